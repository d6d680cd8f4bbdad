// The DDS options shared by serve and spy: rtps.ini warnings capped, interfaces checked against this host's.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {assertHostInterface, hostAddresses} from '../../../dist/lib/dds/config.js'
import {MAX_CONFIG_WARNINGS, resolveDdsSettings} from '../../../dist/lib/dds/settings.js'
import {securityProperties} from '../../../dist/lib/dds/security.js'
import {makePki} from '../security/support.js'

const UNKNOWN_KEY = 'key k is not applied by chatdds (it has no Fast DDS equivalent here); remove it to silence this warning'

describe('resolveDdsSettings', () => {
  let dir
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'chatdds-settings-'))))
  after(() => rmSync(dir, {recursive: true, force: true}))

  function warningsOf(keys) {
    const file = path.join(dir, `keys-${keys}.ini`)
    writeFileSync(file, '[common]\n' + 'k=\n'.repeat(keys))
    const lines = []
    resolveDdsSettings({ddsConfig: file, onWarning: (line) => lines.push(line)})
    return {file, lines}
  }

  it('reports 300,000 unknown keys as the first 10 warnings and one line with the count of the rest', () => {
    const {file, lines} = warningsOf(300_000)
    assert.equal(MAX_CONFIG_WARNINGS, 10)
    assert.deepEqual(lines, [
      ...Array.from({length: 10}, (_, i) => `${file}:${i + 2}: ${UNKNOWN_KEY}`),
      `${file}: 299990 more warnings not shown (300000 in all); fix the ones above and run again to see the next.`,
    ])
  })

  it('shows 10 warnings one by one with no count line, and counts a single extra one in the singular', () => {
    assert.deepEqual(warningsOf(10).lines.length, 10)
    const {file, lines} = warningsOf(11)
    assert.equal(lines.length, 11)
    assert.equal(lines[10], `${file}: 1 more warning not shown (11 in all); fix the ones above and run again to see the next.`)
  })

  it("refuses an interface this host does not have, naming it and the host's addresses (EADDRNOTAVAIL, a runtime failure)", () => {
    const addresses = hostAddresses()
    assert.ok(addresses.includes('127.0.0.1'), addresses.join(', '))
    assert.throws(() => resolveDdsSettings({interface: '10.99.99.99'}), {
      name: 'DdsError',
      code: 'EADDRNOTAVAIL',
      message: `DDS interface 10.99.99.99 is not an address of this host (its IPv4 addresses are ${addresses.join(', ')}); pass one of this host's addresses to --interface (or local_address / SpdpLocalAddress in the rtps.ini).`,
    })
    const file = path.join(dir, 'elsewhere.ini')
    writeFileSync(file, '[domain/12]\n[transport/t]\ntransport_type=rtps_udp\nlocal_address=10.99.99.98\n')
    assert.throws(() => resolveDdsSettings({ddsConfig: file}), {code: 'EADDRNOTAVAIL', message: /^DDS interface 10\.99\.99\.98 is not an address of this host/})
    assert.deepEqual(resolveDdsSettings({interface: '127.0.0.1', domain: 12}), {domain: 12, config: {interface: '127.0.0.1'}})
    // A malformed address stays bad usage, checked first.
    assert.throws(() => resolveDdsSettings({interface: 'eth0'}), {code: 'EINVAL'})
  })
})

describe('resolveDdsSettings with DDS Security', function () {
  this.timeout(30_000)
  let pki
  before(async () => (pki = await makePki(['chat-1'])))
  after(() => rmSync(pki.dir, {recursive: true, force: true}))

  const ini = (lines) => {
    const file = path.join(pki.dir, `rtps-${Math.random().toString(36).slice(2)}.ini`)
    writeFileSync(file, lines.join('\n') + '\n')
    return file
  }
  const keys = (files) => [
    `dds.sec.auth.identity_ca=file:${files.identityCa}`,
    `dds.sec.auth.identity_certificate=file:${files.identityCertificate}`,
    `dds.sec.auth.private_key=file:${files.privateKey}`,
    `dds.sec.access.permissions_ca=file:${files.permissionsCa}`,
    `dds.sec.access.governance=file:${files.governance}`,
    `dds.sec.access.permissions=file:${files.permissions}`,
  ]

  it('--dds-security DIR with a name: the checked files, as participant properties', () => {
    const files = pki.files('chat-1')
    const settings = resolveDdsSettings({domain: 12, security: {dir: pki.dir, name: 'chat-1', flag: '--name'}})
    assert.deepEqual(settings, {domain: 12, config: {properties: securityProperties(files)}, security: files})
  })

  it('--dds-security without a name is bad usage, naming the flag', () => {
    assert.throws(() => resolveDdsSettings({security: {dir: pki.dir, flag: '--name'}}), {
      code: 'EINVAL',
      message: `--dds-security needs --name NAME: the identity (${pki.dir}/identities/NAME) to join with.`,
    })
  })

  it('DCPSSecurity=1 with every dds.sec.* key joins with those files; without any, or with some missing, it is an error naming file and line', () => {
    const files = pki.files('chat-1')
    const full = ini(['[common]', 'DCPSSecurity=1', ...keys(files)])
    assert.deepEqual(resolveDdsSettings({ddsConfig: full}).security, files)
    const none = ini(['[common]', '# DDS Security on', 'DCPSSecurity=1'])
    assert.throws(() => resolveDdsSettings({ddsConfig: none}), {
      code: 'EINI',
      message: `${none}:3: DCPSSecurity=1 asks for DDS Security but no security files are given; add the dds.sec.* keys (dds.sec.auth.identity_ca, dds.sec.auth.identity_certificate, dds.sec.auth.private_key, dds.sec.access.permissions_ca, dds.sec.access.governance, dds.sec.access.permissions) to [common], or pass --dds-security DIR with the identity's name.`,
    })
    const some = ini(['[common]', 'DCPSSecurity=1', ...keys(files).slice(0, 5)])
    assert.throws(() => resolveDdsSettings({ddsConfig: some}), {
      code: 'EINI',
      message: `${some}:2: DCPSSecurity=1 needs every DDS Security file, and dds.sec.access.permissions is missing; add it to [common].`,
    })
    // --dds-security wins over the file's keys, and makes a DCPSSecurity=1 without keys fine.
    assert.deepEqual(resolveDdsSettings({ddsConfig: none, security: {dir: pki.dir, name: 'chat-1', flag: '--name'}}).security, files)
  })

  it('a broken file named by the rtps.ini is refused naming it and where it was given', () => {
    const files = {...pki.files('chat-1'), privateKey: path.join(pki.dir, 'no-such.key')}
    const file = ini(['[common]', 'DCPSSecurity=1', ...keys(files)])
    assert.throws(() => resolveDdsSettings({ddsConfig: file}), {
      code: 'ESECURITY',
      message: `Cannot read the DDS Security private key ${files.privateKey} (given by the dds.sec.* keys of ${file}): it does not exist (ENOENT); check the path, or issue the identity with \`chatdds security issue DIR NAME\`.`,
    })
  })
})

describe('assertHostInterface', () => {
  /** @returns {import('node:os').NetworkInterfaceInfo} */
  const up = (address, family = 'IPv4') =>
    /** @type {any} */ ({address, family, netmask: '255.255.255.0', mac: '00:00:00:00:00:00', internal: false, cidr: `${address}/24`})

  it('accepts an IPv4 address of any interface and lists them all, once each, when refusing', () => {
    const interfaces = {lo: [up('127.0.0.1'), up('::1', 'IPv6')], eth0: [up('192.168.1.10'), up('fe80::1', 'IPv6')], eth1: [up('192.168.1.10')]}
    assert.doesNotThrow(() => assertHostInterface('192.168.1.10', interfaces))
    assert.throws(() => assertHostInterface('192.168.1.11', interfaces), {
      code: 'EADDRNOTAVAIL',
      message:
        "DDS interface 192.168.1.11 is not an address of this host (its IPv4 addresses are 127.0.0.1, 192.168.1.10); pass one of this host's addresses to --interface (or local_address / SpdpLocalAddress in the rtps.ini).",
    })
  })

  it('says so when the host has no IPv4 address up at all (a network namespace with lo down)', () => {
    assert.throws(() => assertHostInterface('127.0.0.1', {}), {
      message:
        "DDS interface 127.0.0.1 is not an address of this host (it has no IPv4 address on an interface that is up); pass one of this host's addresses to --interface (or local_address / SpdpLocalAddress in the rtps.ini).",
    })
  })
})
