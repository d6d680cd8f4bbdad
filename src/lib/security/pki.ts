/**
 * A cluster PKI (`chatdds security init`, `security issue`): two self-signed CAs (identity and permissions,
 * as DDS Security separates them), a signed governance document, and per participant an identity (ECDSA
 * P-256 key and certificate) and a signed permissions document. Keys come from Node's crypto, certificates
 * and S/MIME signatures from the openssl command; nothing here implements crypto itself.
 */
import {generateKeyPair, randomBytes, X509Certificate} from 'node:crypto'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'
import {ChatddsError} from '../errors.js'
import {governanceXml, permissionsXml} from './documents.js'
import {identityPaths, pkiPaths, SUBJECT_ORGANIZATION, subjectName, validateIdentityName} from './layout.js'
import {opensslStep} from './openssl.js'

/** Validity of the two CAs, in days (10 years). */
export const DEFAULT_CA_DAYS = 3650
/** Validity of an identity and its permissions, in days. */
export const DEFAULT_IDENTITY_DAYS = 365
const DAY_MS = 86_400_000

export interface PkiSummary {
  dir: string
  identityCa: string
  permissionsCa: string
  governance: string
  /** The CA keys: keep them where `issue` runs, copy them nowhere else. */
  privateKeys: string[]
  notAfter: string
}

export interface IdentitySummary {
  name: string
  dir: string
  subject: string
  certificate: string
  privateKey: string
  permissions: string
  readOnly: boolean
  notAfter: string
}

const generateKeyPairAsync = promisify(generateKeyPair)

/** A certificate file's validity period. */
export function validity(file: string): {notBefore: Date; notAfter: Date} {
  const certificate = new X509Certificate(readFileSync(file))
  return {notBefore: new Date(certificate.validFrom), notAfter: new Date(certificate.validTo)}
}

/** A new ECDSA P-256 private key, PKCS#8 PEM, written with mode 0600 before any byte of it is. */
async function writePrivateKey(file: string): Promise<void> {
  const {privateKey} = await generateKeyPairAsync('ec', {
    namedCurve: 'prime256v1',
    publicKeyEncoding: {type: 'spki', format: 'pem'},
    privateKeyEncoding: {type: 'pkcs8', format: 'pem'},
  })
  writeFileSync(file, privateKey, {mode: 0o600, flag: 'wx'})
  chmodSync(file, 0o600) // whatever the umask did
}

/**
 * Runs `openssl req ARGS -config FILE` with a config of our own, so that the system's openssl.cnf adds no extension
 * of its own. (A file, not /dev/stdin: Node's child stdin is a socket, which /dev/stdin cannot open.)
 */
async function request(what: string, args: string[], extensions: string[]): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chatdds-openssl-'))
  const config = path.join(dir, 'openssl.cnf')
  try {
    writeFileSync(config, ['[req]', 'distinguished_name=dn', 'x509_extensions=ext', 'prompt=no', '[dn]', '[ext]', ...extensions, ''].join('\n'))
    await opensslStep(what, ['req', '-config', config, ...args])
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

const CA_EXTENSIONS = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,digitalSignature,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash']
const IDENTITY_EXTENSIONS = [
  'basicConstraints=critical,CA:FALSE',
  'keyUsage=critical,digitalSignature,keyAgreement',
  'subjectKeyIdentifier=hash',
  'authorityKeyIdentifier=keyid',
]

const serial = () => `0x${randomBytes(15).toString('hex')}`

function checkDays(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > 36_500)
    throw new ChatddsError('EUSAGE', `--days must be a whole number of days from 1 to 36500, got ${days}.`, 2)
  return days
}

async function createCa(keyFile: string, certificateFile: string, commonName: string, days: number): Promise<void> {
  await writePrivateKey(keyFile)
  await request(
    `create the ${commonName} certificate`,
    [
      '-x509',
      '-new',
      '-key',
      keyFile,
      '-sha256',
      '-days',
      String(days),
      '-set_serial',
      serial(),
      '-subj',
      `/O=${SUBJECT_ORGANIZATION}/CN=${commonName}`,
      '-out',
      certificateFile,
    ],
    CA_EXTENSIONS,
  )
}

/** Signs `xml` with the permissions CA as S/MIME (clear-signed, text/plain), the form DDS Security requires. */
async function signDocument(dir: string, xml: string, out: string, what: string): Promise<void> {
  const pki = pkiPaths(dir)
  const signed = await opensslStep(
    `sign the ${what}`,
    ['smime', '-sign', '-text', '-md', 'sha256', '-signer', pki.permissionsCa, '-inkey', pki.permissionsCaKey],
    xml,
  )
  writeFileSync(out, signed)
}

/** `chatdds security init DIR`: the two CAs and the signed governance document. Refuses a DIR that already holds a PKI. */
export async function initPki(dir: string, options: {days?: number} = {}): Promise<PkiSummary> {
  const days = checkDays(options.days ?? DEFAULT_CA_DAYS)
  const pki = pkiPaths(dir)
  const existing = [pki.identityCa, pki.permissionsCa, pki.identityCaKey, pki.permissionsCaKey].find((file) => existsSync(file))
  if (existing)
    throw new ChatddsError(
      'EEXIST',
      `${pki.root} already holds a PKI (${existing} exists); issue identities from it with \`chatdds security issue ${dir} NAME\`, or pick another directory.`,
    )
  try {
    mkdirSync(pki.privateDir, {recursive: true, mode: 0o700})
    chmodSync(pki.privateDir, 0o700)
  } catch (error) {
    throw new ChatddsError('EACCES', `Cannot create ${pki.privateDir} (${(error as NodeJS.ErrnoException).code}); pick a directory you can write to.`)
  }
  await Promise.all([
    createCa(pki.identityCaKey, pki.identityCa, 'chatdds identity CA', days),
    createCa(pki.permissionsCaKey, pki.permissionsCa, 'chatdds permissions CA', days),
  ])
  const governance = governanceXml()
  writeFileSync(pki.governanceXml, governance)
  await signDocument(dir, governance, pki.governance, 'governance document')
  return {
    dir: pki.root,
    identityCa: pki.identityCa,
    permissionsCa: pki.permissionsCa,
    governance: pki.governance,
    privateKeys: [pki.identityCaKey, pki.permissionsCaKey],
    notAfter: validity(pki.identityCa).notAfter.toISOString(),
  }
}

/**
 * `chatdds security issue DIR NAME`: NAME's key, its certificate signed by the identity CA, and its permissions
 * document signed by the permissions CA. Refuses a NAME that already has an identity.
 */
export async function issueIdentity(dir: string, name: string, options: {days?: number; readOnly?: boolean} = {}): Promise<IdentitySummary> {
  validateIdentityName(name)
  const days = checkDays(options.days ?? DEFAULT_IDENTITY_DAYS)
  const readOnly = options.readOnly ?? false
  const pki = pkiPaths(dir)
  const missing = [pki.identityCa, pki.identityCaKey, pki.permissionsCa, pki.permissionsCaKey].find((file) => !existsSync(file))
  if (missing) throw new ChatddsError('ENOENT', `${pki.root} holds no complete PKI (${missing} is missing); create one with \`chatdds security init ${dir}\` first.`)
  const identity = identityPaths(dir, name)
  if (existsSync(identity.root))
    throw new ChatddsError('EEXIST', `${name} already has an identity in ${identity.root}; remove that directory to issue a new one, or pick another name.`)
  mkdirSync(identity.root, {recursive: true, mode: 0o700})

  // An identity never outlives its CA: a certificate the CA no longer vouches for is useless.
  const caNotAfter = validity(pki.identityCa).notAfter.getTime()
  const identityDays = Math.max(1, Math.min(days, Math.floor((caNotAfter - Date.now()) / DAY_MS)))
  await writePrivateKey(identity.privateKey)
  await request(
    `create the identity certificate of ${name}`,
    [
      '-x509',
      '-new',
      '-key',
      identity.privateKey,
      '-CA',
      pki.identityCa,
      '-CAkey',
      pki.identityCaKey,
      '-sha256',
      '-days',
      String(identityDays),
      '-set_serial',
      serial(),
      '-subj',
      `/O=${SUBJECT_ORGANIZATION}/CN=${name}`,
      '-out',
      identity.certificate,
    ],
    IDENTITY_EXTENSIONS,
  )
  const certificate = validity(identity.certificate)
  const subject = subjectName(name)
  const xml = permissionsXml({
    name,
    subject,
    // A day early: Fast DDS reads these times as local time, and a host west of UTC would otherwise see them in the future.
    notBefore: new Date(certificate.notBefore.getTime() - DAY_MS),
    notAfter: certificate.notAfter,
    readOnly,
  })
  writeFileSync(identity.permissionsXml, xml)
  await signDocument(dir, xml, identity.permissions, `permissions document of ${name}`)
  return {
    name,
    dir: identity.root,
    subject,
    certificate: identity.certificate,
    privateKey: identity.privateKey,
    permissions: identity.permissions,
    readOnly,
    notAfter: certificate.notAfter.toISOString(),
  }
}
