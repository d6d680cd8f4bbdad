/**
 * The checks `serve` and `spy` make on their DDS Security files before they join the domain. Fast DDS
 * would refuse the same files, but only by failing to create the participant, with a log line at best:
 * these name the file and what is wrong with it.
 */
import {createPrivateKey, X509Certificate, type KeyObject} from 'node:crypto'
import {closeSync, fstatSync, openSync, readSync, statSync} from 'node:fs'
import {DdsError} from '../dds/types.js'
import {SECURITY_FILE_KINDS, type SecurityFiles} from '../dds/security.js'
import {parseGrants, sameSubject} from './documents.js'
import {firstError, opensslSync} from './openssl.js'

/** Largest security file read: certificates and documents are a few KiB. */
export const MAX_SECURITY_FILE_BYTES = 1024 * 1024

export interface ValidateOptions {
  /** The time the files must be valid at; default now. */
  now?: Date
  /** What the user should check when a file is missing, e.g. "--dds-security DIR --name chat-1". */
  source?: string
}

const fail = (message: string): never => {
  throw new DdsError('ESECURITY', message)
}

const day = (date: Date) => date.toISOString().replace(/\.\d+Z$/, 'Z')

/** Throws DdsError ESECURITY naming the first file that is missing, unreadable, expired, mismatched or badly signed. */
export function validateSecurityFiles(files: SecurityFiles, options: ValidateOptions = {}): void {
  const now = options.now ?? new Date()
  const where = options.source ? ` (given by ${options.source})` : ''
  const label = (key: keyof SecurityFiles) => `DDS Security ${SECURITY_FILE_KINDS[key]} ${files[key]}`

  const texts = {} as Record<keyof SecurityFiles, string>
  for (const key of Object.keys(SECURITY_FILE_KINDS) as Array<keyof SecurityFiles>) texts[key] = readSecurityFile(files[key], label(key), where)

  const certificate = (key: 'identityCa' | 'permissionsCa' | 'identityCertificate', renew: string): X509Certificate => {
    let parsed: X509Certificate
    try {
      parsed = new X509Certificate(texts[key])
    } catch {
      return fail(`The ${label(key)} is not a PEM X.509 certificate; give the certificate file itself.`)
    }
    const notBefore = new Date(parsed.validFrom)
    const notAfter = new Date(parsed.validTo)
    if (notAfter.getTime() < now.getTime()) fail(`The ${label(key)} expired on ${day(notAfter)}; ${renew}.`)
    if (notBefore.getTime() > now.getTime()) fail(`The ${label(key)} is not valid before ${day(notBefore)}; check this host's clock.`)
    return parsed
  }
  const renewPki = 'create a new PKI with `chatdds security init` and issue every identity from it'
  const identityCa = certificate('identityCa', renewPki)
  certificate('permissionsCa', renewPki)
  const identity = certificate('identityCertificate', 'issue a new identity with `chatdds security issue DIR NAME`')
  if (!identity.checkIssued(identityCa) || !identity.verify(identityCa.publicKey)) {
    fail(
      `The ${label('identityCertificate')} is not signed by the identity CA ${files.identityCa}; issue the identity from this PKI (\`chatdds security issue\`), or give the CA that signed it.`,
    )
  }

  let key: KeyObject
  try {
    key = createPrivateKey(texts.privateKey)
  } catch {
    return fail(`The ${label('privateKey')} is not an unencrypted PEM private key; give the key the identity was issued with.`)
  }
  if (!identity.checkPrivateKey(key)) fail(`The ${label('identityCertificate')} does not match the private key ${files.privateKey}; give the key it was issued for.`)

  const governance = verifySigned(files, 'governance', label('governance'))
  if (!/<domain_access_rules>/.test(governance))
    fail(`The ${label('governance')} is signed but is not a DDS Security governance document (no <domain_access_rules>); give the governance.p7s of the PKI.`)

  const permissions = verifySigned(files, 'permissions', label('permissions'))
  const subject = certificateSubject(files.identityCertificate)
  const grant = parseGrants(permissions).find((candidate) => sameSubject(candidate.subject, subject))
  if (!grant)
    fail(
      `The ${label('permissions')} grants nothing to ${subject}, the subject of the identity certificate ${files.identityCertificate}; give that identity's own permissions.p7s.`,
    )
  if (grant!.notAfter && grant!.notAfter.getTime() < now.getTime())
    fail(`The ${label('permissions')} expired on ${day(grant!.notAfter)}; issue a new identity with \`chatdds security issue DIR NAME\`.`)
  if (grant!.notBefore && grant!.notBefore.getTime() > now.getTime())
    fail(`The ${label('permissions')} is not valid before ${day(grant!.notBefore)}; check this host's clock.`)
}

/** The file's text: a regular file of at most MAX_SECURITY_FILE_BYTES (a FIFO or /dev/zero is refused, never read). */
function readSecurityFile(file: string, label: string, where: string): string {
  // stat before open: opening a FIFO blocks until someone writes to it.
  let fd: number
  try {
    if (!statSync(file).isFile()) fail(`The ${label}${where} is not a regular file; give the path of the file itself.`)
    fd = openSync(file, 'r')
  } catch (error) {
    if (error instanceof DdsError) throw error
    return fail(`Cannot read the ${label}${where}: ${readProblem(error)}; check the path, or issue the identity with \`chatdds security issue DIR NAME\`.`)
  }
  try {
    const stats = fstatSync(fd)
    if (!stats.isFile()) fail(`The ${label}${where} is not a regular file; give the path of the file itself.`)
    if (stats.size > MAX_SECURITY_FILE_BYTES) fail(`The ${label}${where} is larger than 1 MiB, far more than any certificate or document; check the path.`)
    const buffer = Buffer.alloc(stats.size)
    let length = 0
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null)
      if (read === 0) break
      length += read
    }
    return buffer.toString('utf8', 0, length)
  } catch (error) {
    if (error instanceof DdsError) throw error
    return fail(`Cannot read the ${label}${where}: ${readProblem(error)}; check its permissions.`)
  } finally {
    closeSync(fd)
  }
}

function readProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return 'it does not exist (ENOENT)'
  if (code === 'EACCES') return 'permission denied (EACCES)'
  if (code === 'EISDIR') return 'it is a directory (EISDIR)'
  return code ?? String(error)
}

/** The signed content of an S/MIME document, once its signature verified against the permissions CA (as Fast DDS checks it). */
function verifySigned(files: SecurityFiles, key: 'governance' | 'permissions', label: string): string {
  const result = opensslSync(['smime', '-verify', '-text', '-CAfile', files.permissionsCa, '-in', files[key]])
  if (!result.ok) {
    fail(
      `The ${label} does not verify against the permissions CA ${files.permissionsCa} (openssl: ${firstError(result.stderr)}); sign it with that CA, e.g. issue it anew with \`chatdds security\`.`,
    )
  }
  return result.stdout
}

/** The certificate's subject in RFC 2253 form, as Fast DDS prints it to compare it with the permissions document's. */
function certificateSubject(file: string): string {
  const result = opensslSync(['x509', '-noout', '-subject', '-nameopt', 'RFC2253', '-in', file])
  if (!result.ok) fail(`The DDS Security identity certificate ${file} cannot be read by openssl (${firstError(result.stderr)}); give the certificate file itself.`)
  return result.stdout.trim().replace(/^subject=\s*/, '')
}
