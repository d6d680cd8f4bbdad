import assert from 'node:assert/strict'
import {MemoryBus, MemoryHub} from '../../../dist/lib/chat/bus.js'
import {DdsBus} from '../../../dist/lib/chat/ddsBus.js'
import {eventually, randomDomain} from '../../helpers.js'

describe('chat bus', () => {
  describe('MemoryBus', () => {
    it('delivers every sample, its own included, to every bus on the hub, with DDS-like ids', async () => {
      const hub = new MemoryHub()
      const a = new MemoryBus(hub, {name: 'a'})
      const b = new MemoryBus(hub, {name: 'b'})
      const seen = {a: [], b: []}
      a.onSamples((batch) => seen.a.push(...batch))
      b.onSamples((batch) => seen.b.push(...batch))
      const first = a.publish('one')
      a.publish('two')
      assert.equal(first.id, `${first.writer}:1`)
      assert.match(first.writer, /^mem\d+$/)
      await eventually(() => seen.a.length === 2 && seen.b.length === 2)
      assert.deepEqual(
        seen.b.map((s) => [s.message, s.seq, s.participantName]),
        [
          ['one', 1, 'a'],
          ['two', 2, 'a'],
        ],
      )
      assert.deepEqual(a.status(), {ready: true, matchedReaders: 2, matchedWriters: 2, peers: ['b']})
      b.close()
      assert.deepEqual(a.status().peers, [])
      a.close()
    })

    it('throws EBUSY when its undelivered samples reach capacity, and takes more once they are delivered', async () => {
      const bus = new MemoryBus(new MemoryHub(), {capacity: 2})
      const got = []
      bus.onSamples((batch) => got.push(...batch))
      bus.stall()
      bus.publish('1')
      bus.publish('2')
      assert.throws(() => bus.publish('3'), {name: 'DdsError', code: 'EBUSY'})
      bus.unstall()
      await eventually(() => got.length === 2)
      bus.publish('3')
      await eventually(() => got.length === 3)
      bus.close()
      assert.throws(() => bus.publish('4'), {code: 'ECLOSED'})
    })
  })

  describe('DdsBus', function () {
    this.timeout(30_000)
    let bus
    afterEach(() => bus?.close())

    it('reads back what it writes, with the DDS sample identity as id, and reports itself ready', async () => {
      bus = new DdsBus({domain: randomDomain(), name: 'bus-test'})
      const got = []
      bus.onSamples((batch) => got.push(...batch))
      await eventually(() => bus.status().ready)
      const result = bus.publish('hello')
      assert.match(result.id, /^[0-9a-f]{32}:1$/)
      await eventually(() => got.length === 1)
      assert.deepEqual([got[0].message, got[0].id, got[0].seq], ['hello', result.id, 1])
      // Other tests may share the random domain: count at least ourselves.
      const status = bus.status()
      assert.equal(status.ready, true)
      assert.ok(status.matchedReaders >= 1 && status.matchedWriters >= 1)
      assert.ok(Array.isArray(status.peers))
      bus.close()
      assert.equal(bus.status().ready, false)
    })

    it('auxiliary topics: a late presence reader gets only the last snapshot of each writer; history is volatile', async () => {
      const domain = randomDomain()
      bus = new DdsBus({domain, name: 'aux-first'})
      bus.onAuxSamples('presence', () => {})
      bus.onAuxSamples('history', () => {})
      bus.publishAux('history', 'before anyone listened')
      bus.publishAux('presence', 'snapshot 1')
      bus.publishAux('presence', 'snapshot 2')
      const late = new DdsBus({domain, name: 'aux-late'})
      try {
        const presence = []
        const history = []
        late.onAuxSamples('presence', (batch) => presence.push(...batch))
        late.onAuxSamples('history', (batch) => history.push(...batch))
        await eventually(() => presence.length === 1 && bus.auxMatchedReaders('history') === 2, 20_000)
        assert.equal(presence[0].message, 'snapshot 2')
        assert.equal(late.participantOf(presence[0].writer), bus.guidPrefix)
        assert.notEqual(late.guidPrefix, bus.guidPrefix)
        bus.publishAux('history', 'after')
        await eventually(() => history.length === 1)
        assert.deepEqual(
          history.map((s) => s.message),
          ['after'],
        )
      } finally {
        late.close()
      }
    })
  })
})
