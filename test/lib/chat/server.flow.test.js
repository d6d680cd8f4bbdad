// Flow control: a full DDS writer, slow consumers, dead connections.
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import {MemoryBus, MemoryHub, cleanup, connect, connectV1, eventually, framesOfType, startMemoryServer} from './support.js'

const metric = async (server, name) => {
  const line = (await server.metrics()).split('\n').find((l) => l.startsWith(name + ' '))
  return Number(line?.split(' ')[1])
}

describe('chat server: flow control', () => {
  afterEach(cleanup)

  it('queues when the DDS writer is full (EBUSY) and pauses reading, then delivers everything exactly once, in order', async () => {
    const hub = new MemoryHub()
    const server = await startMemoryServer({}, {hub, capacity: 5})
    const plain = await connect(server)
    const v1 = await connectV1(server, 'alice')
    v1.send(JSON.stringify({type: 'join', room: 'general', ref: 'j'}))
    await eventually(() => framesOfType(v1, 'joined').length === 1)

    server.bus.stall()
    const texts = Array.from({length: 50}, (_, i) => `p${i}`)
    for (const text of texts) plain.send(text)
    for (let i = 0; i < 5; i++) v1.send(JSON.stringify({type: 'send', room: 'general', text: `v${i}`, ref: i}))
    // The writer is full: what was read waits in the queue, and both sockets are no longer read.
    await eventually(async () => (await metric(server, 'chatdds_publish_queue')) > 0 && (await metric(server, 'chatdds_paused_clients')) === 2)
    assert.ok((await metric(server, 'chatdds_dds_writer_busy_total')) >= 1)
    assert.ok((await metric(server, 'chatdds_publish_queue')) <= 50)
    assert.equal(framesOfType(v1, 'ack').length, 0)

    server.bus.unstall()
    const v1Texts = Array.from({length: 5}, (_, i) => `v${i}`)
    const expected = [...texts, ...v1Texts]
    // Exactly once each, and each sender's in the order sent (two senders may interleave either way).
    const inOrder = (received) => {
      assert.deepEqual([...received].sort(), [...expected].sort())
      assert.deepEqual(
        received.filter((t) => t.startsWith('p')),
        texts,
      )
      assert.deepEqual(
        received.filter((t) => t.startsWith('v')),
        v1Texts,
      )
    }
    await eventually(() => plain.texts.length === expected.length)
    inOrder(plain.texts)
    await eventually(() => framesOfType(v1, 'message').length === expected.length)
    inOrder(framesOfType(v1, 'message').map((m) => m.text))
    assert.deepEqual(
      framesOfType(v1, 'message').map((m) => m.text),
      plain.texts,
    )
    assert.deepEqual(
      framesOfType(v1, 'ack').map((a) => a.ref),
      [0, 1, 2, 3, 4],
    )
    assert.equal(await metric(server, 'chatdds_publish_queue'), 0)
    assert.equal(await metric(server, 'chatdds_paused_clients'), 0)
    // Reading resumed: a new message goes straight through.
    plain.send('after')
    await eventually(() => plain.texts.at(-1) === 'after')
  })

  /** @type {Array<[string, Partial<import('../../../dist/lib/chat/connection.js').SlowConsumerLimits>, string]>} */
  const slowConsumerCases = [
    ['at once past the hard bound', {hardBytes: 1024 * 1024, checkIntervalMs: 50}, 'slow consumer: more than 1 MiB unread'],
    [
      'past the soft bound for too long',
      {softBytes: 256 * 1024, softMs: 200, hardBytes: 1024 ** 3, checkIntervalMs: 50},
      'slow consumer: more than 256 KiB unread for 0.2 s',
    ],
  ]
  for (const [label, limits, reason] of slowConsumerCases) {
    it(`closes a slow consumer ${label} with 1008; the others get everything`, async () => {
      const hub = new MemoryHub()
      const server = await startMemoryServer({slowConsumer: limits}, {hub})
      const writer = new MemoryBus(hub, {name: 'writer'})
      const slow = await connect(server)
      const fast = await connect(server)
      slow._socket.pause()
      const chunk = 'z'.repeat(16 * 1024)
      let sent = 0
      // Enough that kernel buffers cannot hide it, spread over time so the soft check sees it stay high.
      while (!(await server.metrics()).includes('chatdds_client_closes_total{reason="slow_consumer"} 1')) {
        assert.ok(sent < 4000, 'the slow consumer was never closed')
        for (let i = 0; i < 50; i++, sent++) writer.publish(chunk)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      slow._socket.resume()
      assert.deepEqual(await slow.closed, {code: 1008, reason})
      await eventually(() => fast.texts.length === sent)
      assert.ok(fast.texts.every((t) => t === chunk))
      assert.ok(server.lines.some((l) => l.startsWith('warning: Closing client') && l.includes('slow consumer')))
      writer.close()
    })
  }

  it('does not mistake a big batch of samples for a slow consumer', async () => {
    const hub = new MemoryHub()
    const server = await startMemoryServer({slowConsumer: {hardBytes: 2 * 1024 * 1024}}, {hub})
    const writer = new MemoryBus(hub, {name: 'writer'})
    const fast = await connect(server)
    const chunk = 'y'.repeat(16 * 1024)
    // Published in one tick: MemoryBus delivers them as one batch of 3 MiB.
    for (let i = 0; i < 192; i++) writer.publish(chunk)
    await eventually(() => fast.texts.length === 192)
    assert.equal(fast.readyState, WebSocket.OPEN)
    assert.match(await server.metrics(), /chatdds_dds_samples_read_total 192/)
    assert.doesNotMatch(await server.metrics(), /slow_consumer/)
    writer.close()
  })

  it('terminates a client that stops answering pings, keeps the ones that do', async () => {
    const server = await startMemoryServer({heartbeatMs: 50})
    const dead = await connect(server, {options: {autoPong: false}})
    const alive = await connect(server)
    assert.equal((await dead.closed).code, 1006)
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.equal(alive.readyState, WebSocket.OPEN)
    alive.send('alive')
    await eventually(() => alive.texts.includes('alive'))
    assert.match(await server.metrics(), /chatdds_client_closes_total\{reason="ping_timeout"\} 1/)
  })
})
