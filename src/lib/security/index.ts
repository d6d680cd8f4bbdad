/** DDS Security for a chatdds cluster: the PKI (`chatdds security init / issue`) and the checks before joining. */
export {initPki, issueIdentity, DEFAULT_CA_DAYS, DEFAULT_IDENTITY_DAYS, type IdentitySummary, type PkiSummary} from './pki.js'
export {identityPaths, pkiPaths, securityFiles, subjectName, validateIdentityName} from './layout.js'
export {validateSecurityFiles, type ValidateOptions} from './validate.js'
export {CHATDDS_TOPICS, governanceXml, permissionsXml} from './documents.js'
