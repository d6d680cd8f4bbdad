import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {maxDomain, renderRtpsIni, spdpParticipantCount, spdpSendAddrs, spdpUnicastPort} from '../../../dist/lib/cluster/rtpsConfig.js'
import {loadRtpsIni} from '../../../dist/lib/dds/rtpsIni.js'
import {randomDomain} from '../../helpers.js'

describe('cluster rtps.ini generation', () => {
  let dir
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'chatdds-rtps-'))))
  after(() => rmSync(dir, {recursive: true, force: true}))

  const write = (domain, instances) => {
    const file = path.join(dir, `rtps-${domain}-${instances}.ini`)
    writeFileSync(file, renderRtpsIni({domain, instances, configFile: file}))
    return file
  }

  it('uses the RTPS formula for SPDP unicast ports (PB 7400, DG 250, PG 2, d1 10)', () => {
    assert.equal(spdpUnicastPort(10, 0), 9910)
    assert.equal(spdpUnicastPort(10, 1), 9912)
    assert.equal(spdpUnicastPort(0, 0), 7410)
    assert.equal(spdpUnicastPort(232, 39), 7400 + 250 * 232 + 10 + 78)
  })

  it('lists max(N, 8) + 8 participant ids', () => {
    assert.equal(spdpParticipantCount(1), 16)
    assert.equal(spdpParticipantCount(3), 16)
    assert.equal(spdpParticipantCount(8), 16)
    assert.equal(spdpParticipantCount(9), 17)
    assert.equal(spdpParticipantCount(32), 40)
  })

  it('loads through loadRtpsIni with no warning, in the cluster domain, loopback only', () => {
    const domain = randomDomain()
    const file = write(domain, 3)
    const {domain: loaded, config, warnings} = loadRtpsIni(file)
    assert.deepEqual(warnings, [])
    assert.equal(loaded, domain)
    assert.equal(config.multicast, false)
    assert.equal(config.interface, '127.0.0.1')
  })

  it('lists exactly 127.0.0.1 at the SPDP unicast port of participants 0..15 for 3 instances', () => {
    const domain = randomDomain()
    const {config} = loadRtpsIni(write(domain, 3))
    const expected = Array.from({length: 16}, (_, i) => ({address: '127.0.0.1', port: 7400 + 250 * domain + 10 + 2 * i}))
    assert.deepEqual(config.initialPeers, expected)
  })

  it('lists participants 0..39 for 32 instances, still loading with no warning at the highest domain', () => {
    const domain = maxDomain(32)
    assert.equal(domain, 232)
    const {config, warnings} = loadRtpsIni(write(domain, 32))
    assert.deepEqual(warnings, [])
    assert.equal(config.initialPeers.length, 40)
    assert.deepEqual(config.initialPeers.at(-1), {address: '127.0.0.1', port: 7400 + 250 * 232 + 10 + 2 * 39})
    assert.deepEqual(spdpSendAddrs(domain, 32).at(-1), `127.0.0.1:${7400 + 250 * 232 + 10 + 2 * 39}`)
  })

  it('has the OpenDDS sections: [common], [domain/D] DiscoveryConfig, rtps_discovery without SEDP multicast, rtps_udp without multicast', () => {
    const domain = randomDomain()
    const text = renderRtpsIni({domain, instances: 2, configFile: '/run/rtps.ini'})
    assert.doesNotMatch(text, /\{\{/)
    assert.match(text, /^\[common\]$/m)
    assert.match(text, new RegExp(`^\\[domain/${domain}\\]\\nDiscoveryConfig=(\\w+)$`, 'm'))
    const discovery = /^DiscoveryConfig=(\w+)$/m.exec(text)[1]
    assert.match(text, new RegExp(`^\\[rtps_discovery/${discovery}\\]$`, 'm'))
    assert.match(text, /^SedpMulticast=0$/m)
    assert.match(text, /^\[transport\/\w+\]\ntransport_type=rtps_udp\nuse_multicast=0$/m)
    assert.match(text, /^# .*--dds-config \/run\/rtps\.ini/m)
  })
})
