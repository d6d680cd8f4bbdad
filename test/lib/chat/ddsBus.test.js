// DdsBus: over a participant that joined before it (the name check) no discovery event is lost; messages go to the
// other instances in batches, and to strangers (non-instance readers of User Messages) one sample each.
import assert from 'node:assert/strict'
import {DdsBus} from '../../../dist/lib/chat/ddsBus.js'
import {Participant} from '../../../dist/lib/dds/index.js'
import {INSTANCE_USER_DATA} from '../../../dist/lib/wire/index.js'
import {MAX_BATCH_CHARS} from '../../../dist/lib/chat/ddsBus.js'
import {execFileSync} from 'node:child_process'
import path from 'node:path'
import {eventually, killAll, randomDomain, root, start} from '../../helpers.js'

describe('DdsBus', function () {
  this.timeout(20_000)
  const closing = []
  afterEach(async () => {
    for (const thing of closing.splice(0)) thing.close()
    await killAll()
  })

  it('reports the participants discovered before it to the handlers registered at once, as joined, once each', async () => {
    const domain = randomDomain()
    const peer = new DdsBus({domain, name: 'peer'})
    closing.push(peer)
    const participant = new Participant({domain, name: 'late', userData: INSTANCE_USER_DATA})
    assert.equal(await participant.findNamesake(), undefined)
    assert.deepEqual([...participant.participants.values()], ['peer'])
    const bus = new DdsBus({participant})
    closing.push(bus)
    assert.equal(bus.name, 'late')
    const early = []
    bus.onEvent((event) => early.push(event))
    // The snapshot goes to the handlers of this turn of the event loop only; later ones see events from then on.
    const later = []
    await new Promise((resolve) => setImmediate(resolve))
    bus.onEvent((event) => later.push(event))
    await eventually(() => bus.status().matchedReaders === 2)
    const joins = (events) => events.filter((event) => event.kind === 'joined')
    assert.deepEqual(joins(early), [{kind: 'joined', name: 'peer', guidPrefix: peer.guidPrefix}])
    assert.deepEqual(joins(later), [])
    assert.deepEqual(bus.status().peers, ['peer'])
    peer.close()
    await eventually(() => later.some((event) => event.kind === 'left'))
    assert.deepEqual(
      early.filter((event) => event.kind !== 'matched'),
      [
        {kind: 'joined', name: 'peer', guidPrefix: peer.guidPrefix},
        {kind: 'left', name: 'peer', guidPrefix: peer.guidPrefix},
      ],
    )
  })

  it('sends a run of messages as one batch with contiguous ids, splits what one sample cannot carry, and copies each to strangers only while one reads', async () => {
    const domain = randomDomain()
    const a = new DdsBus({domain, name: 'a'})
    const b = new DdsBus({domain, name: 'b'})
    closing.push(a, b)
    const got = {a: [], b: []}
    a.onSamples((batch) => got.a.push(...batch))
    b.onSamples((batch) => got.b.push(...batch))
    await eventually(() => a.status().matchedReaders === 2 && b.status().matchedReaders === 2)

    const first = a.publishMany(['one', 'two', 'three'])
    assert.equal(first.length, 3)
    const writer = first[0].writer
    assert.deepEqual(
      first.map((r) => r.id),
      [1, 2, 3].map((seq) => `${writer}:${seq}`),
    )
    // More than one sample carries: the bus writes a prefix and says so.
    const big = 'x'.repeat(MAX_BATCH_CHARS / 2 + 1)
    assert.equal(a.publishMany([big, big, 'after']).length, 1)
    assert.deepEqual(
      a.publishMany([big, 'after']).map((r) => r.seq),
      [5, 6],
    )
    await eventually(() => got.b.length === 6 && got.a.length === 6)
    for (const received of [got.a, got.b]) {
      assert.deepEqual(
        received.map((s) => [s.id, s.seq, s.message.length > 10 ? 'big' : s.message, s.participantName]),
        [
          [`${writer}:1`, 1, 'one', 'a'],
          [`${writer}:2`, 2, 'two', 'a'],
          [`${writer}:3`, 3, 'three', 'a'],
          [`${writer}:4`, 4, 'big', 'a'],
          [`${writer}:5`, 5, 'big', 'a'],
          [`${writer}:6`, 6, 'after', 'a'],
        ],
      )
    }

    // A stranger reading User Messages: counted among the readers, and given each message as one sample of its own.
    const stranger = new Participant({domain, name: 'stranger'})
    closing.push(stranger)
    const reader = stranger.createReader()
    const strange = []
    reader.on('samples', (batch) => strange.push(...batch.map((s) => s.message)))
    await eventually(() => a.status().matchedReaders === 3 && reader.matchedWriters === 2)
    a.publishMany(['seen by all', 'twice'])
    await eventually(() => strange.length === 2 && got.b.length === 8)
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.deepEqual(strange, ['seen by all', 'twice'])
    // The instances read them once, from the batch: not a second time from User Messages.
    assert.deepEqual(
      got.b.slice(6).map((s) => [s.seq, s.message]),
      [
        [7, 'seen by all'],
        [8, 'twice'],
      ],
    )
    assert.equal(got.b.length, 8)
    assert.equal(got.a.length, 8)
    stranger.close()
    await eventually(() => a.status().matchedReaders === 2)
  })

  it("makes later messages wait, never drops a copy, while a stranger's reader does not acknowledge (SIGSTOP)", async function () {
    this.timeout(120_000)
    execFileSync('make', ['-s', '-C', path.join(root, 'test', 'foreign')], {stdio: 'inherit'})
    const domain = randomDomain()
    const total = 5000
    const sub = start(path.join(root, 'test', 'foreign', 'build', 'foreign-sub'), ['--count', String(total), '--domain', String(domain), '--timeout', '90'])
    // A small history for the strangers' copies, so that a stopped reader fills it well within the 5 s lease.
    const bus = new DdsBus({domain, name: 'writer', strangerHistory: 500})
    closing.push(bus)
    await eventually(() => bus.status().matchedReaders === 2, 30_000)
    const texts = Array.from({length: total}, (_, i) => `copy ${i}`)
    let next = 0
    let busy = 0
    /** Writes what it can; true once all of them are written. */
    const pump = () => {
      while (next < total) {
        try {
          next += bus.publishMany(texts.slice(next, next + 100)).length
        } catch (error) {
          if (error.code !== 'EBUSY') throw error
          busy++
          return false
        }
      }
      return true
    }
    process.kill(sub.pid, 'SIGSTOP')
    try {
      const stalledAt = Date.now()
      while (busy === 0 && Date.now() - stalledAt < 2000) {
        pump()
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      // The copies it had no room for wait, and so does every later message: nothing was written past them.
      assert.ok(busy > 0, 'the bus never said EBUSY while the stranger was stopped')
      assert.ok(next >= 500 && next < total, `wrote ${next}`)
    } finally {
      process.kill(sub.pid, 'SIGCONT')
    }
    while (!pump()) await new Promise((resolve) => setTimeout(resolve, 5))
    assert.deepEqual(await sub.exited, {code: 0, signal: null}, sub.output().slice(-1000))
    const lines = sub
      .output()
      .split('\n')
      .filter((line) => line && !line.startsWith('foreign-sub:'))
    assert.equal(lines.length, total)
    assert.deepEqual(lines, texts)
  })
})
