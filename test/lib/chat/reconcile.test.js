// Reconciliation over MemoryBus: instances cut off from each other (no lease expires, samples are
// simply lost) get every missed message from a peer once they see each other again, exactly once
// and in each writer's order; what no peer holds any more is reported, never silent.
import assert from 'node:assert/strict'
import {MemoryBus, MemoryHub, cleanup, connectV1, eventually, framesOfType, request, startMemoryServer} from './support.js'

const fast = {coalesceMs: 5, retryMs: 300, attempts: 3, syncMs: 100, graceMs: 200}

async function cluster(n, options = {}) {
  const hub = new MemoryHub()
  const instances = []
  for (let i = 1; i <= n; i++) {
    const bus = new MemoryBus(hub, {name: `chat-${i}`})
    const server = await startMemoryServer({name: `chat-${i}`, bus, reconcile: fast, ...options}, {hub})
    const client = await connectV1(server, `user-${i}`)
    await request(client, {type: 'join', room: 'r', ref: 'j'})
    instances.push({bus, server, client})
  }
  // Every instance knows every other through presence (the peers a repair asks).
  await eventually(() => instances.every(({server}) => server.presence().instances.length === n))
  // One message from each first: a writer's samples before the first one an instance reads are the
  // history hand-over's business, so the gaps these tests make are after it.
  for (const [i, {client}] of instances.entries()) await send(client, `w${i + 1}`, 0, 1)
  await eventually(() => instances.every(({client}) => framesOfType(client, 'message').length === n))
  for (const {client} of instances) client.frames = client.frames.filter((f) => f.type !== 'message' && f.type !== 'ack')
  return instances
}

/** Sends `count` messages from `client` to room r, numbered from `from`, and waits for their acks. */
async function send(client, label, from, count) {
  for (let i = from; i < from + count; i++) client.send(JSON.stringify({type: 'send', room: 'r', text: `${label}-${i}`, ref: `${label}-${i}`}))
  await eventually(() => framesOfType(client, 'ack').filter((a) => String(a.ref).startsWith(`${label}-`)).length >= from + count)
}

const texts = (client) => framesOfType(client, 'message').map((m) => m.text)
const fromSender = (client, label) => texts(client).filter((text) => text.startsWith(`${label}-`))
const numbered = (label, count) => Array.from({length: count}, (_, i) => `${label}-${i}`)

async function metric(server, series) {
  const line = (await server.metrics()).split('\n').find((l) => l.startsWith(series + ' '))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

describe('reconciliation after a partition (MemoryBus)', function () {
  this.timeout(30_000)
  afterEach(cleanup)

  it("repairs both sides of a cut: every client gets every message once, in each sender's order", async () => {
    const [a, b, c] = await cluster(3)
    a.bus.cut(c.bus)
    await send(a.client, 'a', 0, 50)
    await send(c.client, 'c', 0, 50)
    a.bus.heal(c.bus)
    // The next message of each shows the jump in its writer's sequence numbers.
    await send(a.client, 'a', 50, 1)
    await send(c.client, 'c', 50, 1)
    for (const {client} of [a, b, c]) {
      await eventually(() => texts(client).length === 102)
      assert.deepEqual(fromSender(client, 'a'), numbered('a', 51))
      assert.deepEqual(fromSender(client, 'c'), numbered('c', 51))
    }
    assert.equal(await metric(c.server, 'chatdds_messages_repaired_total'), 50)
    assert.equal(await metric(a.server, 'chatdds_messages_repaired_total'), 50)
    assert.equal(await metric(b.server, 'chatdds_messages_repaired_total'), 0)
    for (const {server} of [a, b, c]) assert.equal(await metric(server, 'chatdds_messages_unrecovered_total'), 0)
    for (const {client} of [a, b, c]) assert.deepEqual(framesOfType(client, 'gap'), [])
  })

  it("finds a gap at the end of a writer's run from its announcements, with no later message", async () => {
    const [a, , c] = await cluster(3)
    a.bus.cut(c.bus)
    await send(a.client, 'a', 0, 20)
    a.bus.heal(c.bus)
    await eventually(() => texts(c.client).length === 20)
    assert.deepEqual(fromSender(c.client, 'a'), numbered('a', 20))
  })

  it('takes each missed message once when two peers answer with it', async () => {
    const [a, b, c] = await cluster(3)
    a.bus.cut(c.bus)
    await send(a.client, 'a', 0, 30)
    a.bus.heal(c.bus)
    await send(a.client, 'a', 30, 1)
    await eventually(() => fromSender(c.client, 'a').length === 31)
    // Both a and b hold the 30 and both answer: 30 repaired, the second copies not delivered.
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.equal(await metric(c.server, 'chatdds_messages_repaired_total'), 30)
    assert.equal(texts(c.client).length, 31)
    assert.deepEqual(fromSender(c.client, 'a'), numbered('a', 31))
    assert.deepEqual(fromSender(b.client, 'a'), numbered('a', 31))
  })

  it('past what the peers keep: a gap frame with the exact count, recovered:false, a metric and a log line; the rest in order', async () => {
    const [a, b, c] = await cluster(3, {repairDepth: 10})
    a.bus.cut(c.bus)
    await send(a.client, 'a', 0, 30)
    a.bus.heal(c.bus)
    await send(a.client, 'a', 30, 1)
    await eventually(() => framesOfType(c.client, 'gap').length === 1)
    const [gap] = framesOfType(c.client, 'gap')
    const writer = framesOfType(a.client, 'ack')[0].id.split(':')[0]
    // 30 missed (sequence numbers 2-31, after the first message); a and b keep the last 10 of a's
    // writer, 23-32, the 31st message included: 2-22 are lost.
    assert.deepEqual(gap, {type: 'gap', room: 'r', writer, missing: 21, from: 2, to: 22})
    await eventually(() => fromSender(c.client, 'a').length === 10)
    assert.deepEqual(fromSender(c.client, 'a'), numbered('a', 31).slice(21))
    assert.equal(await metric(c.server, 'chatdds_messages_unrecovered_total'), 21)
    assert.ok(
      c.server.lines.includes(`warning: Lost 21 messages of DDS writer ${writer} (sequence numbers 2-22): no peer holds them any more`),
      c.server.lines.join('\n'),
    )
    // A client that resumes from before the gap is told it may be missing messages.
    const late = await connectV1(c.server, 'late')
    assert.equal((await request(late, {type: 'join', room: 'r', since: {[writer]: 0}, ref: 's'})).recovered, false)
    // Nobody else lost anything.
    assert.deepEqual(framesOfType(b.client, 'gap'), [])
    assert.deepEqual(fromSender(b.client, 'a'), numbered('a', 31))
  })

  it('gives up on a gap nobody can be asked about (a foreign writer, no peer) after its attempts, and delivers what waited', async () => {
    const hub = new MemoryHub()
    const server = await startMemoryServer({name: 'alone', reconcile: fast}, {hub})
    const client = await connectV1(server, 'reader')
    await request(client, {type: 'join', room: 'general', ref: 'j'})
    const foreign = new MemoryBus(hub, {name: 'foreign'})
    foreign.publish('first')
    await eventually(() => texts(client).length === 1)
    foreign.cut(server.bus)
    for (let i = 0; i < 5; i++) foreign.publish(`lost-${i}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
    foreign.heal(server.bus)
    foreign.publish('after')
    await eventually(() => texts(client).length === 2, 5000)
    assert.deepEqual(texts(client), ['first', 'after'])
    assert.deepEqual(framesOfType(client, 'gap'), [{type: 'gap', room: 'general', writer: foreign.writer, missing: 5, from: 2, to: 6}])
    foreign.close()
  })
})
