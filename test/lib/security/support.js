// Shared by the security tests: PKIs made by chatdds's own library, and ways to break their files.
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {initPki, issueIdentity, securityFiles} from '../../../dist/lib/security/index.js'

/** A PKI in a new temporary directory with identities `names`: {dir, files(name)}. */
export async function makePki(names = ['chat-1'], {prefix = 'chatdds-pki-'} = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix))
  await initPki(dir)
  for (const name of names) await issueIdentity(dir, name, {readOnly: name === 'spy'})
  return {dir, files: (name) => securityFiles(dir, name)}
}

/** Re-signs `certificate` (same key, same subject) with the CA of `pkiDir` so that it expired yesterday. */
export function expire(certificate, privateKey, pkiDir) {
  const request = execFileSync('openssl', ['req', '-new', '-key', privateKey, '-subj', '/O=chatdds/CN=chat-1'], {stdio: ['ignore', 'pipe', 'pipe']})
  const expired = execFileSync(
    'openssl',
    ['x509', '-req', '-CA', path.join(pkiDir, 'identity_ca.pem'), '-CAkey', path.join(pkiDir, 'private', 'identity_ca.key'), '-days', '-1'],
    {input: request, stdio: ['pipe', 'pipe', 'pipe']},
  )
  writeFileSync(certificate, expired)
}

/** Flips one character of the signed content of an S/MIME document (its signature no longer verifies). */
export function tamper(signedFile) {
  const text = readFileSync(signedFile, 'utf8')
  writeFileSync(
    signedFile,
    text.replace('<default>DENY</default>', '<default>ALLOW</default>').replace('ENCRYPT</rtps_protection_kind>', 'NONE</rtps_protection_kind>'),
  )
}
