// Two hosts (network namespaces of our own) joined by a veth pair that carries DDS; the test's
// clients reach each host over a veth of its own. The DDS link goes down for longer than the lease
// while both sides send 100 messages/s, then up: every client on both sides has every message
// exactly once and in each sender's order, and a client joining afterwards with history gets the
// same history on either side. Needs root and iproute2 (CI has both).
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {cli, eventually, killAll, randomDomain, start} from '../helpers.js'
import {openClient, presenceAgrees, settle, startLoad} from './faultSupport.js'

const suffix = process.pid.toString(36)
// DDS between the hosts on 10.251.17.0/24; the test's own link to each host on 10.251.18/19.0/24.
const hosts = [
  {ns: `chatdds-pa-${suffix}`, dds: `pda${suffix}`, ddsAddress: '10.251.17.1', link: `pla${suffix}`, root: `pra${suffix}`, rootAddress: '10.251.18.1', host: '10.251.18.2', name: 'west'},
  {ns: `chatdds-pb-${suffix}`, dds: `pdb${suffix}`, ddsAddress: '10.251.17.2', link: `plb${suffix}`, root: `prb${suffix}`, rootAddress: '10.251.19.1', host: '10.251.19.2', name: 'east'},
]
const ip = (...args) => execFileSync('ip', args, {stdio: 'pipe'})
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function canMakeNamespaces() {
  if (process.getuid?.() !== 0) return false
  try {
    execFileSync('ip', ['-V'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

function removeNamespaces() {
  for (const host of hosts) {
    try {
      ip('netns', 'del', host.ns) // also removes its veth ends, and so the pairs
    } catch {}
  }
}

describe('a partition between two hosts (network namespaces), real processes', function () {
  this.timeout(180_000)
  let load

  before(function () {
    if (!canMakeNamespaces()) return this.skip()
    try {
      for (const host of hosts) ip('netns', 'add', host.ns)
      ip('link', 'add', hosts[0].dds, 'type', 'veth', 'peer', 'name', hosts[1].dds)
      for (const host of hosts) {
        ip('link', 'set', host.dds, 'netns', host.ns)
        ip('-n', host.ns, 'addr', 'add', `${host.ddsAddress}/24`, 'dev', host.dds)
        ip('-n', host.ns, 'link', 'set', host.dds, 'up')
        ip('-n', host.ns, 'link', 'set', 'lo', 'up')
        ip('link', 'add', host.root, 'type', 'veth', 'peer', 'name', host.link)
        ip('link', 'set', host.link, 'netns', host.ns)
        ip('addr', 'add', `${host.rootAddress}/24`, 'dev', host.root)
        ip('link', 'set', host.root, 'up')
        ip('-n', host.ns, 'addr', 'add', `${host.host}/24`, 'dev', host.link)
        ip('-n', host.ns, 'link', 'set', host.link, 'up')
      }
    } catch (error) {
      removeNamespaces()
      throw error
    }
  })

  afterEach(async () => {
    load?.close()
    load = undefined
    await killAll()
  })

  after(removeNamespaces)

  /** `chatdds serve` in each host: DDS on the shared link only, websockets on the test's link. */
  async function startHosts() {
    const domain = randomDomain()
    const instances = hosts.map((host, i) => {
      const other = hosts[1 - i]
      const child = start('ip', ['netns', 'exec', host.ns, process.execPath, cli, 'serve', '--port', '7000', '--host', host.host, '--name', host.name, '--domain', String(domain), '--interface', host.ddsAddress, '--peer', other.ddsAddress])
      return {child, host: host.host, port: 7000, name: host.name}
    })
    for (const instance of instances) {
      await eventually(async () => {
        if (instance.child.exitCode !== null) throw new Error(`${instance.name} exited:\n${instance.child.output()}`)
        const status = await (await fetch(`http://${instance.host}:7000/readyz`)).json()
        return status.ready && status.peers.length === 1
      }, 30_000).catch((error) => {
        throw new Error(`${instance.name} never became ready: ${error.message}\n${instance.child.output()}`)
      })
    }
    return instances
  }

  for (const seconds of [10, 30]) {
    it(`DDS link down ${seconds} s: both sides get everything exactly once, in order; later joiners get the same history`, async () => {
      const instances = await startHosts()
      load = await startLoad(instances)
      await sleep(1500)
      const [west] = hosts
      try {
        ip('-n', west.ns, 'link', 'set', west.dds, 'down')
        await sleep(seconds * 1000)
      } finally {
        ip('-n', west.ns, 'link', 'set', west.dds, 'up')
      }
      const healed = Date.now()
      await eventually(() => presenceAgrees(instances, 'r', 6), 15_000)
      console.log(`      presence agreed ${((Date.now() - healed) / 1000).toFixed(1)} s after the link came up`)
      await sleep(1000)
      load.stop()
      const rows = await settle(load)
      console.log(`      reconciled ${((Date.now() - healed) / 1000).toFixed(1)} s after the link came up (1 s of it still sending)`)
      for (const row of rows) {
        assert.ok(row.expected > seconds * 50, `sender ${row.sender} had only ${row.expected} acknowledged messages`)
        assert.deepEqual({...row, gaps: row.gaps.length}, {...row, missing: 0, duplicated: 0, ordered: true, gaps: 0}, JSON.stringify(row))
      }
      const histories = []
      for (const instance of instances) {
        const late = await openClient(instance.host, instance.port, 'late')
        const joined = await late.request({type: 'join', room: 'r', history: 100})
        assert.equal(joined.replayed, 100)
        await eventually(() => late.frames.filter((f) => f.type === 'message').length === 100)
        histories.push(late.frames.filter((f) => f.type === 'message').map((f) => f.id))
        late.terminate()
      }
      assert.deepEqual(histories[0], histories[1])
      for (const instance of instances) {
        // The partition outlived the lease: each side missed the other's samples and had them repaired.
        assert.match(instance.child.output(), /Missed \d+ samples of DDS writer \w+ \(sequence numbers \d+-\d+\); asking the peers/)
        assert.doesNotMatch(instance.child.output(), /Lost \d+ message/)
      }
    })
  }
})
