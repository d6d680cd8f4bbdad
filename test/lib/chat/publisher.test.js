// The publisher: the messages of one turn of the event loop go to the bus in one publishMany call, in order; a
// bus that takes only a prefix gets the rest in the next calls; a full writer (EBUSY) delays, never drops.
import assert from 'node:assert/strict'
import {Publisher} from '../../../dist/lib/chat/publisher.js'
import {DdsError} from '../../../dist/lib/dds/types.js'

/** A bus that records every publishMany call; `take(messages)` says how many of them it writes (0: EBUSY). */
function fakeBus(take = (messages) => messages.length) {
  const calls = []
  let seq = 0
  return {
    calls,
    publishMany(messages) {
      const n = take(messages)
      calls.push({offered: [...messages], written: n})
      if (n === 0) throw new DdsError('EBUSY', 'full')
      return messages.slice(0, n).map(() => ({id: `w:${++seq}`, writer: 'w', seq}))
    },
  }
}

const turn = () => new Promise((resolve) => setImmediate(resolve))

describe('publisher', () => {
  it('writes the messages of one turn in one call, in order, and calls back each with its id', async () => {
    const bus = fakeBus()
    const publisher = new Publisher(/** @type {any} */ (bus), {onBusy() {}, onDrained() {}})
    const acks = []
    for (const text of ['a', 'b', 'c']) publisher.publish(text, (error, result) => acks.push([text, error, result?.id]))
    assert.equal(publisher.pendingCount, 3)
    assert.deepEqual(bus.calls, [])
    await turn()
    publisher.publish('d', (error, result) => acks.push(['d', error, result?.id]))
    await turn()
    assert.deepEqual(
      bus.calls.map((call) => call.offered),
      [['a', 'b', 'c'], ['d']],
    )
    assert.deepEqual(acks, [
      ['a', undefined, 'w:1'],
      ['b', undefined, 'w:2'],
      ['c', undefined, 'w:3'],
      ['d', undefined, 'w:4'],
    ])
    assert.equal(publisher.written, 4)
    assert.equal(publisher.pendingCount, 0)
  })

  it('offers the rest again when the bus wrote only a prefix', async () => {
    const bus = fakeBus((messages) => Math.min(2, messages.length))
    const publisher = new Publisher(/** @type {any} */ (bus), {onBusy() {}, onDrained() {}})
    const acked = []
    for (const text of ['a', 'b', 'c', 'd', 'e']) publisher.publish(text, (error, result) => acked.push(`${text}=${result?.id}`))
    await turn()
    assert.deepEqual(
      bus.calls.map((call) => call.offered),
      [['a', 'b', 'c', 'd', 'e'], ['c', 'd', 'e'], ['e']],
    )
    assert.deepEqual(acked, ['a=w:1', 'b=w:2', 'c=w:3', 'd=w:4', 'e=w:5'])
  })

  it('holds everything while the writer is full, pauses once, and writes it all in order once it has room', async () => {
    let full = true
    const bus = fakeBus((messages) => (full ? 0 : messages.length))
    const events = []
    const publisher = new Publisher(/** @type {any} */ (bus), {onBusy: () => events.push('busy'), onDrained: () => events.push('drained')})
    const acked = []
    for (const text of ['a', 'b']) publisher.publish(text, (error, result) => acked.push(`${text}=${result?.id}`))
    await turn()
    assert.equal(publisher.busy, true)
    publisher.publish('c', (error, result) => acked.push(`c=${result?.id}`))
    await new Promise((resolve) => setTimeout(resolve, 20))
    assert.deepEqual(acked, [])
    assert.equal(publisher.pendingCount, 3)
    assert.ok(publisher.busyCount >= 2)
    full = false
    const deadline = Date.now() + 2000
    while (acked.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
    assert.deepEqual(acked, ['a=w:1', 'b=w:2', 'c=w:3'])
    assert.deepEqual(events, ['busy', 'drained'])
    assert.equal(publisher.busy, false)
  })

  it('fails every message of a write that failed for another reason, and goes on with the next', async () => {
    let fail = true
    const bus = {
      publishMany(messages) {
        if (fail) {
          fail = false
          throw new DdsError('ECLOSED', 'closed')
        }
        return messages.map((_, i) => ({id: `w:${i + 1}`, writer: 'w', seq: i + 1}))
      },
    }
    const publisher = new Publisher(/** @type {any} */ (bus), {onBusy() {}, onDrained() {}})
    const outcomes = []
    publisher.publish('a', (error) => outcomes.push(`a:${error?.message}`))
    publisher.publish('b', (error) => outcomes.push(`b:${error?.message}`))
    await turn()
    publisher.publish('c', (error, result) => outcomes.push(`c:${result?.id}`))
    await turn()
    assert.deepEqual(outcomes, ['a:closed', 'b:closed', 'c:w:1'])
  })

  it('stop() fails what waits, with the error given', async () => {
    const bus = fakeBus(() => 0)
    const publisher = new Publisher(/** @type {any} */ (bus), {onBusy() {}, onDrained() {}})
    const outcomes = []
    publisher.publish('a', (error) => outcomes.push(error?.message))
    await turn()
    publisher.publish('b', (error) => outcomes.push(error?.message))
    assert.equal(publisher.flush(), 2)
    publisher.stop(new Error('shutting down'))
    assert.deepEqual(outcomes, ['shutting down', 'shutting down'])
    assert.equal(publisher.pendingCount, 0)
  })
})
