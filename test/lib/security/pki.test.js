// The cluster PKI (`security init` / `issue`) and the checks before joining: exact files, modes, documents and messages.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {X509Certificate} from 'node:crypto'
import {copyFileSync, mkdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {securityProperties} from '../../../dist/lib/dds/security.js'
import {CHATDDS_TOPICS, initPki, issueIdentity, validateSecurityFiles} from '../../../dist/lib/security/index.js'
import {expire, makePki, tamper} from './support.js'

const mode = (file) => statSync(file).mode & 0o777

/** Asserts that validation throws DdsError ESECURITY with exactly `message`. */
function assertRefused(files, message) {
  assert.throws(
    () => validateSecurityFiles(files),
    (/** @type {Error & {code?: string}} */ error) => {
      assert.equal(error.name, 'DdsError')
      assert.equal(error.code, 'ESECURITY')
      assert.equal(error.message, message)
      return true
    },
  )
}

describe('security PKI', function () {
  this.timeout(30_000)
  let pki
  let other
  before(async () => {
    pki = await makePki(['chat-1', 'chat-2', 'spy'])
    other = await makePki(['chat-1'], {prefix: 'chatdds-other-pki-'})
  })
  after(() => {
    for (const dir of [pki.dir, other.dir]) rmSync(dir, {recursive: true, force: true})
  })

  it('init writes two self-signed CAs, a signed governance and the CA keys (0600 in a 0700 private/); issue writes a key (0600), a certificate from the identity CA and signed permissions', () => {
    const ca = (name) => new X509Certificate(readFileSync(path.join(pki.dir, name)))
    const [identityCa, permissionsCa] = [ca('identity_ca.pem'), ca('permissions_ca.pem')]
    assert.equal(identityCa.subject, 'O=chatdds\nCN=chatdds identity CA')
    assert.equal(permissionsCa.subject, 'O=chatdds\nCN=chatdds permissions CA')
    assert.equal(identityCa.ca && permissionsCa.ca, true)
    assert.notEqual(identityCa.fingerprint256, permissionsCa.fingerprint256)
    assert.equal(mode(path.join(pki.dir, 'private')), 0o700)
    for (const key of ['identity_ca.key', 'permissions_ca.key']) assert.equal(mode(path.join(pki.dir, 'private', key)), 0o600, key)

    const files = pki.files('chat-1')
    assert.equal(mode(files.privateKey), 0o600)
    const certificate = new X509Certificate(readFileSync(files.identityCertificate))
    assert.equal(certificate.subject, 'O=chatdds\nCN=chat-1')
    assert.equal(certificate.ca, false)
    assert.equal(certificate.verify(identityCa.publicKey), true)
    assert.equal(certificate.publicKey.asymmetricKeyDetails.namedCurve, 'prime256v1')
    const days = (Date.parse(certificate.validTo) - Date.parse(certificate.validFrom)) / 86_400_000
    assert.equal(days, 365)

    // What Fast DDS checks: S/MIME signatures by the permissions CA, and the grant for this subject.
    const verified = (file) =>
      execFileSync('openssl', ['smime', '-verify', '-text', '-CAfile', files.permissionsCa, '-in', file], {stdio: ['ignore', 'pipe', 'pipe']}).toString()
    assert.match(verified(files.governance), /<allow_unauthenticated_participants>false<\/allow_unauthenticated_participants>/)
    for (const kind of ['discovery', 'liveliness', 'rtps']) assert.match(verified(files.governance), new RegExp(`<${kind}_protection_kind>ENCRYPT</`))
    const permissions = verified(files.permissions)
    assert.match(permissions, /<subject_name>CN=chat-1,O=chatdds<\/subject_name>/)
    assert.match(
      permissions,
      /<publish><topics><topic>User Messages<\/topic><topic>chatdds Messages<\/topic><topic>chatdds History<\/topic><topic>chatdds Presence<\/topic><\/topics><\/publish>/,
    )
    assert.deepEqual(CHATDDS_TOPICS, ['User Messages', 'chatdds Messages', 'chatdds History', 'chatdds Presence'])
    const readOnly = verified(pki.files('spy').permissions)
    assert.doesNotMatch(readOnly, /<publish>/)
    assert.match(readOnly, /<subscribe><topics><topic>User Messages<\/topic>/)
  })

  it('refuses to init over a PKI, to issue a name twice, an impossible name, and to issue without a PKI', async () => {
    await assert.rejects(initPki(pki.dir), {
      code: 'EEXIST',
      message: `${pki.dir} already holds a PKI (${path.join(pki.dir, 'identity_ca.pem')} exists); issue identities from it with \`chatdds security issue ${pki.dir} NAME\`, or pick another directory.`,
    })
    await assert.rejects(issueIdentity(pki.dir, 'chat-1'), {
      code: 'EEXIST',
      message: `chat-1 already has an identity in ${path.join(pki.dir, 'identities', 'chat-1')}; remove that directory to issue a new one, or pick another name.`,
    })
    await assert.rejects(issueIdentity(pki.dir, '../x'), {code: 'EUSAGE', exit: 2})
    const empty = path.join(pki.dir, 'identities', 'chat-1')
    await assert.rejects(issueIdentity(empty, 'a'), {
      code: 'ENOENT',
      message: `${empty} holds no complete PKI (${path.join(empty, 'identity_ca.pem')} is missing); create one with \`chatdds security init ${empty}\` first.`,
    })
  })

  it('accepts the files of an issued identity, and maps them to the Fast DDS properties of the builtin plugins', () => {
    const files = pki.files('chat-2')
    validateSecurityFiles(files)
    validateSecurityFiles(pki.files('spy'))
    assert.deepEqual(securityProperties(files), [
      {name: 'dds.sec.auth.plugin', value: 'builtin.PKI-DH'},
      {name: 'dds.sec.access.plugin', value: 'builtin.Access-Permissions'},
      {name: 'dds.sec.crypto.plugin', value: 'builtin.AES-GCM-GMAC'},
      {name: 'dds.sec.auth.builtin.PKI-DH.identity_ca', value: `file://${files.identityCa}`},
      {name: 'dds.sec.auth.builtin.PKI-DH.identity_certificate', value: `file://${files.identityCertificate}`},
      {name: 'dds.sec.auth.builtin.PKI-DH.private_key', value: `file://${files.privateKey}`},
      {name: 'dds.sec.access.builtin.Access-Permissions.permissions_ca', value: `file://${files.permissionsCa}`},
      {name: 'dds.sec.access.builtin.Access-Permissions.governance', value: `file://${files.governance}`},
      {name: 'dds.sec.access.builtin.Access-Permissions.permissions', value: `file://${files.permissions}`},
    ])
  })

  describe('refuses, naming the file and what is wrong', () => {
    let broken
    let files
    beforeEach(async () => {
      broken = await makePki(['chat-1', 'chat-2'], {prefix: 'chatdds-broken-pki-'})
      files = broken.files('chat-1')
    })
    afterEach(() => rmSync(broken.dir, {recursive: true, force: true}))

    it('a missing file', () => {
      unlinkSync(files.privateKey)
      assertRefused(
        files,
        `Cannot read the DDS Security private key ${files.privateKey}: it does not exist (ENOENT); check the path, or issue the identity with \`chatdds security issue DIR NAME\`.`,
      )
    })

    it('a directory where a file should be', () => {
      rmSync(files.governance)
      mkdirSync(files.governance)
      assertRefused(files, `The DDS Security governance document ${files.governance} is not a regular file; give the path of the file itself.`)
    })

    it('a certificate file that is not a certificate', () => {
      writeFileSync(files.identityCa, 'not a certificate\n')
      assertRefused(files, `The DDS Security identity CA certificate ${files.identityCa} is not a PEM X.509 certificate; give the certificate file itself.`)
    })

    it('a certificate that does not match the key', () => {
      copyFileSync(broken.files('chat-2').privateKey, files.privateKey)
      assertRefused(
        files,
        `The DDS Security identity certificate ${files.identityCertificate} does not match the private key ${files.privateKey}; give the key it was issued for.`,
      )
    })

    it('an expired certificate', () => {
      expire(files.identityCertificate, files.privateKey, broken.dir)
      const expiredOn = new Date(new X509Certificate(readFileSync(files.identityCertificate)).validTo).toISOString().replace('.000Z', 'Z')
      assertRefused(
        files,
        `The DDS Security identity certificate ${files.identityCertificate} expired on ${expiredOn}; issue a new identity with \`chatdds security issue DIR NAME\`.`,
      )
    })

    it('a certificate from another identity CA', () => {
      copyFileSync(other.files('chat-1').identityCertificate, files.identityCertificate)
      copyFileSync(other.files('chat-1').privateKey, files.privateKey)
      assertRefused(
        files,
        `The DDS Security identity certificate ${files.identityCertificate} is not signed by the identity CA ${files.identityCa}; issue the identity from this PKI (\`chatdds security issue\`), or give the CA that signed it.`,
      )
    })

    it('a governance document signed by another permissions CA', () => {
      copyFileSync(other.files('chat-1').governance, files.governance)
      assert.throws(() => validateSecurityFiles(files), {
        code: 'ESECURITY',
        message: new RegExp(
          `^The DDS Security governance document ${files.governance} does not verify against the permissions CA ${files.permissionsCa} \\(openssl: .+\\); sign it with that CA`,
        ),
      })
    })

    it('a permissions document whose content was changed after signing', () => {
      tamper(files.permissions)
      assert.throws(() => validateSecurityFiles(files), {
        code: 'ESECURITY',
        message: new RegExp(
          `^The DDS Security permissions document ${files.permissions} does not verify against the permissions CA ${files.permissionsCa} \\(openssl: .+\\)`,
        ),
      })
    })

    it("another identity's permissions", () => {
      copyFileSync(broken.files('chat-2').permissions, files.permissions)
      assertRefused(
        files,
        `The DDS Security permissions document ${files.permissions} grants nothing to CN=chat-1,O=chatdds, the subject of the identity certificate ${files.identityCertificate}; give that identity's own permissions.p7s.`,
      )
    })

    it('at a time after the certificate expires', () => {
      const later = new Date(Date.now() + 400 * 86_400_000)
      assert.throws(() => validateSecurityFiles(files, {now: later}), {
        code: 'ESECURITY',
        message: new RegExp(`^The DDS Security identity certificate ${files.identityCertificate} expired on `),
      })
    })
  })
})
