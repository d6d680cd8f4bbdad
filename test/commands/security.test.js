// `chatdds security init / issue`, and `serve` / `spy` refusing broken DDS Security files before they join (exit 1, naming the file).
import assert from 'node:assert/strict'
import {copyFileSync, mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {freePort, killAll, randomDomain, runCli} from '../helpers.js'
import {unwrap} from './serveSupport.js'
import {expire, makePki, tamper} from '../lib/security/support.js'

describe('chatdds security, and serve/spy --dds-security', function () {
  this.timeout(120_000)
  let dir
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'chatdds-security-cli-'))))
  after(async () => {
    await killAll()
    rmSync(dir, {recursive: true, force: true})
  })

  it('init then issue: the files, their modes, --json, and a second init refused (exit 1)', async () => {
    const pki = path.join(dir, 'pki')
    const init = await runCli(['security', 'init', pki])
    assert.equal(init.code, 0, init.stderr)
    assert.match(init.stdout, new RegExp(`^Created a cluster PKI in ${pki}, valid until \\d{4}-`))
    const issue = await runCli(['security', 'issue', pki, 'chat-1', '--json'])
    assert.equal(issue.code, 0, issue.stderr)
    const identity = JSON.parse(issue.stdout)
    assert.deepEqual(
      {name: identity.name, subject: identity.subject, readOnly: identity.readOnly, privateKey: identity.privateKey},
      {name: 'chat-1', subject: 'CN=chat-1,O=chatdds', readOnly: false, privateKey: path.join(pki, 'identities', 'chat-1', 'identity.key')},
    )
    assert.equal(statSync(identity.privateKey).mode & 0o777, 0o600)
    const again = await runCli(['security', 'init', pki])
    assert.equal(again.code, 1)
    assert.match(unwrap(again.stderr), /already holds a PKI/)
    const badName = await runCli(['security', 'issue', pki, 'chat 1'])
    assert.equal(badName.code, 2)
    assert.match(unwrap(badName.stderr), /"chat 1" cannot name an identity/)
  })

  it('--dds-security without --name is bad usage (exit 2)', async () => {
    const pki = await makePki(['chat-1'])
    const serve = await runCli(['serve', '--port', String(await freePort()), '--domain', String(randomDomain()), '--dds-security', pki.dir])
    assert.equal(serve.code, 2, serve.stderr)
    assert.match(unwrap(serve.stderr), /--dds-security needs --name NAME: the identity \(.*\/identities\/NAME\) to join with\./)
    rmSync(pki.dir, {recursive: true, force: true})
  })

  // Each kind of breakage, on its own PKI; serve must exit 1 naming the file before it joins DDS.
  /** @type {Array<[string, (files: any, pki: any) => void, (files: any) => string]>} */
  const breakages = [
    ['a missing private key', (files) => unlinkSync(files.privateKey), (files) => `Cannot read the DDS Security private key ${files.privateKey}`],
    [
      'an identity CA file that is not a certificate',
      (files) => writeFileSync(files.identityCa, 'garbage\n'),
      (files) => `The DDS Security identity CA certificate ${files.identityCa} is not a PEM X.509 certificate`,
    ],
    [
      'a certificate that does not match the key',
      (files, pki) => copyFileSync(pki.files('chat-2').privateKey, files.privateKey),
      (files) => `The DDS Security identity certificate ${files.identityCertificate} does not match the private key ${files.privateKey}`,
    ],
    [
      'an expired certificate',
      (files, pki) => expire(files.identityCertificate, files.privateKey, pki.dir),
      (files) => `The DDS Security identity certificate ${files.identityCertificate} expired on `,
    ],
    [
      'a governance document whose signature does not verify',
      (files) => tamper(files.governance),
      (files) => `The DDS Security governance document ${files.governance} does not verify against the permissions CA ${files.permissionsCa}`,
    ],
    [
      'a permissions document whose signature does not verify',
      (files) => tamper(files.permissions),
      (files) => `The DDS Security permissions document ${files.permissions} does not verify against the permissions CA ${files.permissionsCa}`,
    ],
  ]

  it('serve refuses each kind of broken file: exit 1, naming the file and what is wrong, and never joins DDS', async () => {
    const results = await Promise.all(
      breakages.map(async ([what, breakIt, expected]) => {
        const pki = await makePki(['chat-1', 'chat-2'])
        const files = pki.files('chat-1')
        breakIt(files, pki)
        const serve = await runCli(['serve', '--port', String(await freePort()), '--domain', String(randomDomain()), '--dds-security', pki.dir, '--name', 'chat-1'])
        rmSync(pki.dir, {recursive: true, force: true})
        return {what, serve, expected: expected(files)}
      }),
    )
    for (const {what, serve, expected} of results) {
      assert.equal(serve.code, 1, `${what}: ${serve.stdout}${serve.stderr}`)
      assert.ok(unwrap(serve.stderr).includes(expected), `${what}: expected "${expected}" in:\n${serve.stderr}`)
      assert.doesNotMatch(serve.stdout, /Joined DDS domain|Server is listening/, what)
    }
  })

  it('spy refuses a broken file the same way (exit 1), and an rtps.ini with DCPSSecurity=1 and no files is an error naming its line', async () => {
    const pki = await makePki(['spy'])
    const files = pki.files('spy')
    copyFileSync(files.governance, files.permissions)
    const spy = await runCli(['spy', '--domain', String(randomDomain()), '--dds-security', pki.dir, '--timeout', '5'])
    assert.equal(spy.code, 1, spy.stderr)
    assert.match(unwrap(spy.stderr), new RegExp(`The DDS Security permissions document ${files.permissions} grants nothing to CN=spy,O=chatdds`))
    const ini = path.join(dir, 'secure.ini')
    writeFileSync(ini, '[common]\nDCPSSecurity=1\n')
    const serve = await runCli(['serve', '--port', String(await freePort()), '--dds-config', ini])
    assert.equal(serve.code, 1, serve.stderr)
    assert.match(unwrap(serve.stderr), new RegExp(`${ini}:2: DCPSSecurity=1 asks for DDS Security but no security files are given; add the dds\\.sec\\.\\* keys`))
    rmSync(pki.dir, {recursive: true, force: true})
  })
})
