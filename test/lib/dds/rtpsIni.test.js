// OpenDDS rtps.ini → DdsConfig: exact values, exact warnings, errors naming file:line.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {formatWarning, loadRtpsIni, parseRtpsIni} from '../../../dist/lib/dds/rtpsIni.js'
import {DdsError} from '../../../dist/lib/dds/types.js'

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/ini')
const fixture = (name) => path.join(fixtures, name)

/** Asserts that `run` throws DdsError EINI (a runtime failure, not bad usage) with exactly `message`, and knows nothing of exit codes. */
function assertIniError(run, message) {
  assert.throws(run, (error) => {
    assert.ok(error instanceof DdsError, String(error))
    assert.equal(error.code, 'EINI')
    assert.equal('exit' in error, false)
    assert.equal(error.message, message)
    return true
  })
}

describe('rtpsIni', () => {
  describe('loadRtpsIni on fixtures', () => {
    it("loads the reference example's rtps.ini with no warning: domain 10, multicast off, 30 s announcements", () => {
      const file = fixture('reference.ini')
      assert.deepEqual(loadRtpsIni(file), {domain: 10, config: {announcementPeriod: 30, multicast: false}, warnings: []})
    })

    it('rejects a broken section header, naming the exact line', () => {
      const file = fixture('broken-header.ini')
      assertIniError(() => loadRtpsIni(file), `${file}:2: broken section header "[domain/10"; write it as [common] or [kind/name], e.g. [domain/10].`)
    })

    it('warns exactly once, with the right line, about a key it does not apply', () => {
      const file = fixture('unknown-key.ini')
      const result = loadRtpsIni(file)
      assert.deepEqual(result.warnings, [
        {file, line: 3, message: 'key DCPSDebugLevel is not applied by chatdds (it has no Fast DDS equivalent here); remove it to silence this warning'},
      ])
      assert.equal(
        formatWarning(result.warnings[0]),
        `${file}:3: key DCPSDebugLevel is not applied by chatdds (it has no Fast DDS equivalent here); remove it to silence this warning`,
      )
      assert.equal(result.domain, 10)
      assert.deepEqual(result.config, {})
    })

    it('reads DCPSSecurity=1 with its line (settings.ts refuses it when no security files are given)', () => {
      const file = fixture('security.ini')
      assert.deepEqual(loadRtpsIni(file), {domain: 10, config: {}, warnings: [], security: {enabled: true, line: 2, files: {}}})
    })

    it("maps OpenDDS's dds.sec.* keys (file: URIs, relative to the working directory) in [common] and [domain/N]", () => {
      const text = [
        '[common]',
        'DCPSSecurity=1',
        'dds.sec.auth.identity_ca=file:pki/identity_ca.pem',
        'dds.sec.auth.identity_certificate=file:///etc/pki/identity.pem',
        'dds.sec.auth.private_key=file://pki/identity.key',
        '[domain/12]',
        'dds.sec.access.permissions_ca=file:pki/permissions_ca.pem',
        'dds.sec.access.governance=file:pki/governance.p7s',
        'dds.sec.access.permissions=file:pki/permissions.p7s',
      ].join('\n')
      assert.deepEqual(parseRtpsIni(text, 'rtps.ini').security, {
        enabled: true,
        line: 2,
        files: {
          identityCa: path.resolve('pki/identity_ca.pem'),
          identityCertificate: '/etc/pki/identity.pem',
          privateKey: path.resolve('pki/identity.key'),
          permissionsCa: path.resolve('pki/permissions_ca.pem'),
          governance: path.resolve('pki/governance.p7s'),
          permissions: path.resolve('pki/permissions.p7s'),
        },
      })
      assertIniError(
        () => parseRtpsIni('[common]\ndds.sec.auth.identity_ca=data:,-----BEGIN\n', 'rtps.ini'),
        'rtps.ini:2: dds.sec.auth.identity_ca=data:,-----BEGIN is not a file: URI (chatdds reads DDS Security files only from files); write e.g. dds.sec.auth.identity_ca=file:security/identity_ca.pem.',
      )
    })

    it('warns that dds.sec.* keys without DCPSSecurity=1 are not applied, and takes DCPSSecurity=0 alone silently', () => {
      assert.deepEqual(parseRtpsIni('[common]\nDCPSSecurity=0\n', 'rtps.ini'), {config: {}, warnings: [], domain: undefined})
      const result = parseRtpsIni('[common]\ndds.sec.auth.identity_ca=file:ca.pem\n', 'rtps.ini')
      assert.equal(result.security, undefined)
      assert.deepEqual(result.warnings.map(formatWarning), [
        'rtps.ini:2: DDS Security keys are not applied by chatdds without DCPSSecurity=1 (as in OpenDDS); add DCPSSecurity=1 to [common] to join securely, or remove the dds.sec.* keys',
      ])
    })

    it('maps 3 SpdpSendAddrs to exactly 3 initial peers, port optional', () => {
      const result = loadRtpsIni(fixture('send-addrs.ini'))
      assert.deepEqual(result, {
        domain: 12,
        config: {
          initialPeers: [{address: '127.0.0.1', port: 10010}, {address: '127.0.0.1', port: 10012}, {address: '192.168.1.20'}],
        },
        warnings: [],
      })
    })

    it('skips comments (# and ;), blank lines and surrounding whitespace', () => {
      assert.deepEqual(loadRtpsIni(fixture('comments.ini')), {domain: 11, config: {}, warnings: []})
    })

    it('rejects a key before any section', () => {
      const file = fixture('key-before-section.ini')
      assertIniError(
        () => loadRtpsIni(file),
        `${file}:2: key DCPSGlobalTransportConfig comes before any [section]; put it under [common] or the section it belongs to.`,
      )
    })

    it('rejects a non-numeric domain id', () => {
      const file = fixture('bad-domain.ini')
      assertIniError(() => loadRtpsIni(file), `${file}:4: domain id "ten" is not a number from 0 to 232; write the section as [domain/10].`)
    })

    it('turns multicast on only when the file says so, on the named interface', () => {
      assert.deepEqual(loadRtpsIni(fixture('multicast-on.ini')), {domain: 10, config: {multicast: true, interface: '192.168.1.5'}, warnings: []})
    })

    it('names the file and what to do when the file cannot be read', () => {
      const file = path.join(os.tmpdir(), `chatdds-no-such-${process.pid}.ini`)
      assertIniError(() => loadRtpsIni(file), `Cannot read the DDS config file ${file} (ENOENT); check the path given to --dds-config or -DCPSConfigFile.`)
      assertIniError(() => loadRtpsIni(fixtures), `Cannot read the DDS config file ${fixtures} (EISDIR); check the path given to --dds-config or -DCPSConfigFile.`)
    })

    describe('config bombs', () => {
      let dir
      before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'chatdds-ini-'))))
      after(() => rmSync(dir, {recursive: true, force: true}))

      it('refuses a path that is not a regular file before reading it: /dev/zero, a FIFO', () => {
        assertIniError(
          () => loadRtpsIni('/dev/zero'),
          'The DDS config file /dev/zero is not a regular file (it is a character device); give --dds-config or -DCPSConfigFile the path of an rtps.ini file.',
        )
        const fifo = path.join(dir, 'rtps.fifo')
        execFileSync('mkfifo', [fifo])
        // Opening a FIFO with no writer would block forever: this returns at all only because it is never opened.
        assertIniError(
          () => loadRtpsIni(fifo),
          `The DDS config file ${fifo} is not a regular file (it is a named pipe); give --dds-config or -DCPSConfigFile the path of an rtps.ini file.`,
        )
      })

      it('refuses a file over 1 MiB, and reads one of exactly 1 MiB', () => {
        const big = path.join(dir, 'big.ini')
        writeFileSync(big, '#'.repeat(1024 * 1024 + 1))
        assertIniError(
          () => loadRtpsIni(big),
          `The DDS config file ${big} is larger than 1 MiB, far more than any rtps.ini; check that --dds-config or -DCPSConfigFile names the right file.`,
        )
        const limit = path.join(dir, 'limit.ini')
        writeFileSync(limit, '[domain/12]\n' + '#'.repeat(1024 * 1024 - 12))
        assert.deepEqual(loadRtpsIni(limit), {domain: 12, config: {}, warnings: []})
      })

      it('parses 300,000 unknown keys into exactly 300,000 warnings, each with its line', () => {
        const result = parseRtpsIni('[common]\n' + 'k=\n'.repeat(300_000), 'keys.ini')
        assert.equal(result.warnings.length, 300_000)
        assert.deepEqual(result.warnings.at(-1), {
          file: 'keys.ini',
          line: 300_001,
          message: 'key k is not applied by chatdds (it has no Fast DDS equivalent here); remove it to silence this warning',
        })
      })

      it('refuses a SpdpSendAddrs of more than 256 addresses', () => {
        const addresses = Array.from({length: 257}, (_, i) => `127.0.0.1:${10_000 + i}`).join(',')
        assertIniError(
          () => parseRtpsIni(`[domain/10]\n[rtps_discovery/DEFAULT_RTPS]\nSpdpSendAddrs=${addresses}\n`, 'rtps.ini'),
          'rtps.ini:3: SpdpSendAddrs lists 257 addresses, more than the 256 chatdds accepts; list one address per peer host (without a port, every participant id on it is reached).',
        )
        const ok = Array.from({length: 256}, (_, i) => `127.0.0.1:${10_000 + i}`).join(',')
        assert.equal(parseRtpsIni(`[domain/10]\n[rtps_discovery/DEFAULT_RTPS]\nSpdpSendAddrs=${ok}\n`, 'rtps.ini').config.initialPeers.length, 256)
      })
    })
  })

  describe('parseRtpsIni', () => {
    const file = 'rtps.ini'

    it('maps every discovery key with a Fast DDS meaning', () => {
      const text = [
        '[domain/7]',
        '[rtps_discovery/DEFAULT_RTPS]',
        'ResendPeriod=2.5',
        'LeaseDuration=20',
        'TTL=3',
        'InteropMulticastOverride=239.255.0.2',
        'SedpMulticast=1',
        'SpdpLocalAddress=10.0.0.4',
      ].join('\n')
      assert.deepEqual(parseRtpsIni(text, file), {
        domain: 7,
        config: {announcementPeriod: 2.5, leaseDuration: 20, ttl: 3, multicastAddress: '239.255.0.2', multicast: true, interface: '10.0.0.4'},
        warnings: [],
      })
    })

    it("reads OpenDDS's `host:` (empty port) as the host alone", () => {
      const text = '[domain/10]\n[transport/t]\ntransport_type=rtps_udp\nlocal_address=127.0.0.1:\n'
      assert.deepEqual(parseRtpsIni(text, file), {domain: 10, config: {interface: '127.0.0.1'}, warnings: []})
    })

    it('also accepts whitespace-separated SpdpSendAddrs, as OpenDDS does', () => {
      const text = '[domain/10]\n[rtps_discovery/DEFAULT_RTPS]\nSpdpSendAddrs=127.0.0.1:9910 127.0.0.1:9912,\tpeer-2.lan:9914\n'
      assert.deepEqual(parseRtpsIni(text, file).config.initialPeers, [
        {address: '127.0.0.1', port: 9910},
        {address: '127.0.0.1', port: 9912},
        {address: 'peer-2.lan', port: 9914},
      ])
    })

    it('leaves multicast unset when no key mentions it, and has no domain without [domain/N]', () => {
      assert.deepEqual(parseRtpsIni('[common]\nDCPSGlobalTransportConfig=$file\n', file), {domain: undefined, config: {}, warnings: []})
    })

    it('warns about a second domain, an unused discovery section, a non-rtps_udp transport and a local_address port', () => {
      const text = [
        '[domain/10]', //                  1
        '[domain/11]', //                  2
        'DiscoveryConfig=other', //        3
        '[rtps_discovery/other]', //       4
        'SpdpSendAddrs=10.0.0.9', //       5
        '[transport/tcp1]', //             6
        'transport_type=tcp', //           7
        'local_address=10.0.0.1', //       8
        '[transport/udp1]', //             9
        'transport_type=rtps_udp', //      10
        'local_address=127.0.0.1:7610', // 11
      ].join('\n')
      const result = parseRtpsIni(text, file)
      assert.deepEqual(result.config, {interface: '127.0.0.1'})
      assert.deepEqual(result.warnings.map(formatWarning), [
        'rtps.ini:2: section [domain/11] is not applied by chatdds (it joins one domain, the first in the file: 10); use --domain to pick another',
        'rtps.ini:4: section [rtps_discovery/other] is not applied by chatdds (no domain uses it; the domain uses DEFAULT_RTPS)',
        'rtps.ini:7: section [transport/tcp1] is not applied by chatdds (transport_type=tcp; chatdds only speaks rtps_udp)',
        'rtps.ini:11: port 7610 of key local_address is not applied by chatdds (ports follow the RTPS formula); only the interface 127.0.0.1 is',
      ])
    })

    it('warns when a later key overrides a field set earlier', () => {
      const text = '[domain/10]\n[rtps_discovery/DEFAULT_RTPS]\nSpdpLocalAddress=10.0.0.1\n[transport/t]\ntransport_type=rtps_udp\nlocal_address=10.0.0.2\n'
      const result = parseRtpsIni(text, file)
      assert.deepEqual(result.config, {interface: '10.0.0.2'})
      assert.deepEqual(result.warnings.map(formatWarning), ['rtps.ini:6: key local_address overrides the interface set at line 3'])
    })

    it('rejects invalid values of mapped keys with file:line', () => {
      const discovery = (line) => `[domain/10]\n[rtps_discovery/DEFAULT_RTPS]\n${line}\n`
      assertIniError(
        () => parseRtpsIni(discovery('ResendPeriod=soon'), file),
        'rtps.ini:3: ResendPeriod=soon is not a positive number of seconds; write e.g. ResendPeriod=30.',
      )
      assertIniError(
        () => parseRtpsIni(discovery('SpdpSendAddrs=127.0.0.1:9910,,10.0.0.2'), file),
        'rtps.ini:3: "" in SpdpSendAddrs is not host or host:port; write e.g. SpdpSendAddrs=127.0.0.1:9910.',
      )
      assertIniError(
        () => parseRtpsIni(discovery('SpdpSendAddrs=127.0.0.1:99999'), file),
        'rtps.ini:3: "127.0.0.1:99999" in SpdpSendAddrs is not host or host:port; write e.g. SpdpSendAddrs=127.0.0.1:9910.',
      )
      assertIniError(
        () => parseRtpsIni(discovery('SedpMulticast=yes'), file),
        'rtps.ini:3: SedpMulticast=yes is not 0 or 1; write SedpMulticast=0 or SedpMulticast=1.',
      )
      assertIniError(() => parseRtpsIni(discovery('TTL=300'), file), 'rtps.ini:3: TTL=300 is not a TTL from 0 to 255; write e.g. TTL=1.')
      assertIniError(
        () => parseRtpsIni(discovery('InteropMulticastOverride=10.0.0.1'), file),
        'rtps.ini:3: InteropMulticastOverride=10.0.0.1 is not an IPv4 multicast group; write e.g. InteropMulticastOverride=239.255.0.1.',
      )
    })

    it('rejects other malformed lines and references with file:line', () => {
      assertIniError(() => parseRtpsIni('[common]\n[]\n', file), 'rtps.ini:2: broken section header "[]"; write it as [common] or [kind/name], e.g. [domain/10].')
      assertIniError(
        () => parseRtpsIni('[common]\nDCPSSecurity\n', file),
        'rtps.ini:2: "DCPSSecurity" is neither a [section] header nor key=value; fix it or comment it out with #.',
      )
      assertIniError(() => parseRtpsIni('[transport]\n', file), 'rtps.ini:1: section [transport] needs a name; write it as [transport/NAME].')
      assertIniError(
        () => parseRtpsIni('[transport/t]\nuse_multicast=0\n', file),
        'rtps.ini:1: section [transport/t] has no transport_type; add transport_type=rtps_udp.',
      )
      assertIniError(
        () => parseRtpsIni('[domain/10]\nDiscoveryConfig=nowhere\n', file),
        'rtps.ini:2: DiscoveryConfig=nowhere names no [rtps_discovery/nowhere] section (chatdds only does RTPS discovery); add that section or use DEFAULT_RTPS.',
      )
    })
  })
})
