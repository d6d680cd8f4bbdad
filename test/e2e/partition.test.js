// Two hosts (network namespaces of our own, netHosts.js): the DDS link between them goes down for
// longer than the lease while both sides send 100 messages/s, then up. Every client on both sides
// has every message exactly once and in each sender's order, and a client joining afterwards with
// history gets the same history on either side. Needs root and iproute2 (CI has both).
import assert from 'node:assert/strict'
import {eventually, killAll} from '../helpers.js'
import {openClient, runFault} from './faultSupport.js'
import {canMakeNamespaces, twoHosts} from './netHosts.js'

describe('a partition between two hosts (network namespaces), real processes', function () {
  this.timeout(180_000)
  const net = twoHosts()

  before(function () {
    if (!canMakeNamespaces()) return this.skip()
    net.create()
  })
  afterEach(() => killAll())
  after(() => net.remove())

  for (const seconds of [10, 30]) {
    it(`DDS link down ${seconds} s: both sides get everything exactly once, in order; later joiners get the same history`, async () => {
      const instances = await net.startInstances()
      const result = await runFault(instances, net.partition(), {seconds, members: 6})
      console.log(
        `      presence agreed ${(result.presenceMs / 1000).toFixed(1)} s and everything arrived ${(result.reconcileMs / 1000).toFixed(1)} s after the link came up`,
      )
      assert.ok(result.presenceMs < 15_000, 'presence did not agree within 15 s')
      for (const row of result.rows) {
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
