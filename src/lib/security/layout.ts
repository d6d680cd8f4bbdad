/**
 * The files of a chatdds cluster PKI (`chatdds security init DIR`, `security issue DIR NAME`):
 *
 *   DIR/identity_ca.pem        identity CA certificate                 every host
 *   DIR/permissions_ca.pem     permissions CA certificate              every host
 *   DIR/governance.p7s         governance document, signed             every host
 *   DIR/governance.xml         the same, unsigned, to read
 *   DIR/private/*.key          the two CA keys (0600)                  only where `issue` runs
 *   DIR/identities/NAME/       identity.pem, identity.key (0600),      only the host of NAME
 *                              permissions.p7s (signed), permissions.xml
 */
import path from 'node:path'
import type {SecurityFiles} from '../dds/security.js'
import {ChatddsError} from '../errors.js'

/** An identity name: a DDS instance name, a certificate CN and a directory name at once, so no character needs escaping in any. */
const IDENTITY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** The organisation of every certificate subject. */
export const SUBJECT_ORGANIZATION = 'chatdds'

export function pkiPaths(dir: string) {
  const root = path.resolve(dir)
  return {
    root,
    identityCa: path.join(root, 'identity_ca.pem'),
    permissionsCa: path.join(root, 'permissions_ca.pem'),
    governance: path.join(root, 'governance.p7s'),
    governanceXml: path.join(root, 'governance.xml'),
    privateDir: path.join(root, 'private'),
    identityCaKey: path.join(root, 'private', 'identity_ca.key'),
    permissionsCaKey: path.join(root, 'private', 'permissions_ca.key'),
    identities: path.join(root, 'identities'),
  }
}

export function identityPaths(dir: string, name: string) {
  const root = path.join(pkiPaths(dir).identities, name)
  return {
    root,
    certificate: path.join(root, 'identity.pem'),
    privateKey: path.join(root, 'identity.key'),
    permissions: path.join(root, 'permissions.p7s'),
    permissionsXml: path.join(root, 'permissions.xml'),
  }
}

/** The six files identity NAME of the PKI in DIR joins with. */
export function securityFiles(dir: string, name: string): SecurityFiles {
  validateIdentityName(name)
  const pki = pkiPaths(dir)
  const identity = identityPaths(dir, name)
  return {
    identityCa: pki.identityCa,
    identityCertificate: identity.certificate,
    privateKey: identity.privateKey,
    permissionsCa: pki.permissionsCa,
    governance: pki.governance,
    permissions: identity.permissions,
  }
}

/** Throws a usage error (exit 2) for a name that cannot be an identity. */
export function validateIdentityName(name: string): void {
  if (!IDENTITY_NAME.test(name)) {
    throw new ChatddsError(
      'EUSAGE',
      `"${name}" cannot name an identity; use 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit (e.g. chat-1).`,
      2,
    )
  }
}

/** The subject of NAME's identity certificate, in the RFC 2253 form Fast DDS compares with the permissions document's. */
export function subjectName(name: string): string {
  return `CN=${name},O=${SUBJECT_ORGANIZATION}`
}
