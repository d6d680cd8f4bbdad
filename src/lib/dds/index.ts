export * from './types.js'
export {Participant, Writer, Reader, DEFAULT_MAX_SAMPLES, DEFAULT_HEARTBEAT_PERIOD, ENDPOINT_DEFAULTS} from './participant.js'
export {DEFAULT_CONFIG, LOOPBACK, assertHostInterface, discoveryWindowMs, hostAddresses, resolveConfig, parsePeer, validateDomain} from './config.js'
export {isSecure, securityProperties, OPENDDS_SECURITY_KEYS, SECURITY_FILE_KINDS, type SecurityFiles} from './security.js'
