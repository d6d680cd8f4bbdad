/**
 * DDS Security (OMG DDS Security 1.1, Fast DDS's builtin plugins) as participant properties: PKI-DH
 * authentication, Access-Permissions access control, AES-GCM-GMAC cryptography. The binding knows no
 * property names; this module is the one place that does.
 */
import path from 'node:path'
import type {DdsConfig, DdsProperty} from './types.js'

/** The six files a secure participant joins with (absolute paths). */
export interface SecurityFiles {
  /** Identity CA certificate (PEM): the CA every participant's identity certificate must chain to. */
  identityCa: string
  /** This participant's identity certificate (PEM), signed by the identity CA. */
  identityCertificate: string
  /** The identity certificate's private key (PEM). */
  privateKey: string
  /** Permissions CA certificate (PEM): the CA that signed the governance and permissions documents. */
  permissionsCa: string
  /** Governance document (S/MIME, signed by the permissions CA): what the domain protects, and how. */
  governance: string
  /** This participant's permissions document (S/MIME, signed by the permissions CA): what it may read and write. */
  permissions: string
}

/** What each file is, in error messages. */
export const SECURITY_FILE_KINDS: Record<keyof SecurityFiles, string> = {
  identityCa: 'identity CA certificate',
  identityCertificate: 'identity certificate',
  privateKey: 'private key',
  permissionsCa: 'permissions CA certificate',
  governance: 'governance document',
  permissions: 'permissions document',
}

/** OpenDDS's names for the six files (its rtps.ini and participant QoS properties). */
export const OPENDDS_SECURITY_KEYS: Record<keyof SecurityFiles, string> = {
  identityCa: 'dds.sec.auth.identity_ca',
  identityCertificate: 'dds.sec.auth.identity_certificate',
  privateKey: 'dds.sec.auth.private_key',
  permissionsCa: 'dds.sec.access.permissions_ca',
  governance: 'dds.sec.access.governance',
  permissions: 'dds.sec.access.permissions',
}

/** Fast DDS's names for them (DomainParticipantQos properties of its builtin plugins). */
const FAST_DDS_SECURITY_KEYS: Record<keyof SecurityFiles, string> = {
  identityCa: 'dds.sec.auth.builtin.PKI-DH.identity_ca',
  identityCertificate: 'dds.sec.auth.builtin.PKI-DH.identity_certificate',
  privateKey: 'dds.sec.auth.builtin.PKI-DH.private_key',
  permissionsCa: 'dds.sec.access.builtin.Access-Permissions.permissions_ca',
  governance: 'dds.sec.access.builtin.Access-Permissions.governance',
  permissions: 'dds.sec.access.builtin.Access-Permissions.permissions',
}

const AUTH_PLUGIN = 'dds.sec.auth.plugin'

/** The participant properties that turn DDS Security on with these files. */
export function securityProperties(files: SecurityFiles): DdsProperty[] {
  // Fast DDS reads only `file://` URIs; an absolute path makes it file:///… and independent of the working directory.
  const uri = (file: string) => `file://${path.resolve(file)}`
  return [
    {name: AUTH_PLUGIN, value: 'builtin.PKI-DH'},
    {name: 'dds.sec.access.plugin', value: 'builtin.Access-Permissions'},
    {name: 'dds.sec.crypto.plugin', value: 'builtin.AES-GCM-GMAC'},
    ...(Object.keys(FAST_DDS_SECURITY_KEYS) as Array<keyof SecurityFiles>).map((key) => ({name: FAST_DDS_SECURITY_KEYS[key], value: uri(files[key])})),
  ]
}

/** Whether a participant with this configuration authenticates its peers (DDS Security is on). */
export function isSecure(config: Pick<DdsConfig, 'properties'>): boolean {
  return config.properties.some((property) => property.name === AUTH_PLUGIN)
}
