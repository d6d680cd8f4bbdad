// Ends of things: a client that never finishes the close handshake, a DDS write that fails, messages still queued at shutdown.
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import net from 'node:net'
import WebSocket from 'ws'
import {DdsError} from '../../../dist/lib/dds/types.js'
import {MemoryBus, MemoryHub, cleanup, connect, connectV1, eventually, framesOfType, request, startMemoryServer} from './support.js'

const metric = async (server, series) => {
  const line = (await server.metrics()).split('\n').find((l) => l.startsWith(series + ' '))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

const rawSockets = new Set()

/**
 * A websocket client on a bare TCP socket (plain protocol) that only does what the test tells it: it never
 * answers a close frame. Resolves with {socket, address, frames: the server's frames ({opcode, payload}),
 * closed: resolves when the TCP connection is gone}.
 */
function rawConnect(server) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1')
    rawSockets.add(socket)
    const frames = []
    const closed = new Promise((resolveClosed) => socket.once('close', resolveClosed))
    socket.on('error', reject)
    let buffer = Buffer.alloc(0)
    let upgraded = false
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk])
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n')
        if (end < 0) return
        const head = buffer.subarray(0, end).toString()
        buffer = buffer.subarray(end + 4)
        if (!head.startsWith('HTTP/1.1 101 ')) return reject(new Error(`no websocket upgrade: ${head}`))
        upgraded = true
        resolve({socket, address: `127.0.0.1:${socket.localPort}`, frames, closed})
      }
      // Server frames are unmasked; these tests only get short ones.
      while (buffer.length >= 2) {
        let length = buffer[1] & 0x7f
        let offset = 2
        if (length === 126) {
          if (buffer.length < 4) return
          length = buffer.readUInt16BE(2)
          offset = 4
        }
        if (buffer.length < offset + length) return
        frames.push({opcode: buffer[0] & 0x0f, payload: buffer.subarray(offset, offset + length)})
        buffer = buffer.subarray(offset + length)
      }
    })
    const key = randomBytes(16).toString('base64')
    socket.write(
      [
        `GET / HTTP/1.1`,
        `Host: 127.0.0.1:${server.port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${key}`,
        'Sec-WebSocket-Version: 13',
        '',
        '',
      ].join('\r\n'),
    )
  })
}

/** One final, masked client frame (payload under 126 bytes). */
function clientFrame(opcode, payload) {
  const mask = randomBytes(4)
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]))
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked])
}

const OPCODE = {binary: 0x2, close: 0x8}

describe('chat server: ends of connections and of the server', () => {
  afterEach(async () => {
    for (const socket of rawSockets) socket.destroy()
    rawSockets.clear()
    await cleanup()
  })

  it('terminates a client that never answers its close frame once closeGraceMs is over, and counts the close', async function () {
    // ws would destroy the socket by itself only after 30 s: a server that does not terminate fails here.
    this.timeout(10_000)
    const server = await startMemoryServer({closeGraceMs: 100})
    const raw = await rawConnect(server)
    const other = await connect(server)
    await eventually(async () => (await metric(server, 'chatdds_clients{protocol="plain"}')) === 2)

    // A binary frame on the plain protocol: the server closes with 1003; this client stays silent.
    raw.socket.write(clientFrame(OPCODE.binary, Buffer.from('not text')))
    await raw.closed
    assert.deepEqual(
      raw.frames.map(({opcode, payload}) => ({opcode, code: payload.readUInt16BE(0), reason: payload.subarray(2).toString()})),
      [{opcode: OPCODE.close, code: 1003, reason: 'binary frames are not supported; send text frames'}],
    )
    assert.equal(await metric(server, 'chatdds_client_closes_total{reason="binary_frame"}'), 1)
    assert.ok(server.lines.includes(`Closed client ${raw.address}: binary frame on the plain protocol (1003)`), server.lines.join('\n'))
    await eventually(async () => (await metric(server, 'chatdds_clients{protocol="plain"}')) === 1)

    // The other client was not touched.
    assert.equal(other.readyState, WebSocket.OPEN)
    other.send('still here')
    await eventually(() => other.texts.includes('still here'))
  })

  it('answers a send whose DDS write fails with a busy error frame carrying its ref; the other clients see nothing of it', async () => {
    const hub = new MemoryHub()
    const bus = new MemoryBus(hub, {name: 'chat-1'})
    let failure
    const write = bus.publishMany.bind(bus)
    // What the binding throws when the writer went away under the server: not EBUSY, so nothing to retry.
    bus.publishMany = (messages) => {
      if (failure) throw failure
      return write(messages)
    }
    const server = await startMemoryServer({name: 'chat-1', bus}, {hub})
    const other = await startMemoryServer({name: 'chat-2'}, {hub})
    const alice = await connectV1(server, 'alice')
    const bob = await connectV1(server, 'bob')
    const carol = await connectV1(other, 'carol')
    const plain = await connect(other)
    for (const ws of [alice, bob, carol]) assert.equal((await request(ws, {type: 'join', room: 'general', ref: 'j'})).type, 'joined')

    failure = new DdsError('ECLOSED', 'the DDS writer is closed')
    assert.deepEqual(await request(alice, {type: 'send', room: 'general', text: 'lost', ref: 's1'}), {
      type: 'error',
      code: 'busy',
      message: 'The message could not be written to DDS (the DDS writer is closed); send it again later.',
      ref: 's1',
    })
    assert.equal(await metric(server, 'chatdds_bad_requests_total{code="busy"}'), 1)

    failure = undefined
    const ack = await request(alice, {type: 'send', room: 'general', text: 'after', ref: 's2'})
    assert.equal(ack.type, 'ack')
    for (const ws of [alice, bob, carol]) {
      await eventually(() => framesOfType(ws, 'message').length === 1)
      assert.deepEqual(
        framesOfType(ws, 'message').map((m) => [m.id, m.text]),
        [[ack.id, 'after']],
      )
      assert.equal(ws.readyState, WebSocket.OPEN)
    }
    await eventually(() => plain.texts.length === 1)
    assert.deepEqual(plain.texts, ['after'])
    assert.deepEqual(
      framesOfType(alice, 'error').map((e) => e.ref),
      ['s1'],
    )
    assert.deepEqual([...framesOfType(bob, 'error'), ...framesOfType(carol, 'error')], [])
  })

  it('at shutdown, counts the messages still waiting for the DDS writer in one warning and sends each sender an error', async () => {
    const server = await startMemoryServer({}, {capacity: 2})
    const alice = await connectV1(server, 'alice')
    await request(alice, {type: 'join', room: 'general', ref: 'j'})
    server.bus.stall()
    // One TCP write, so the server reads all five at once: two fit in the writer, three wait.
    alice._socket.cork()
    for (let i = 0; i < 5; i++) alice.send(JSON.stringify({type: 'send', room: 'general', text: `m${i}`, ref: i}))
    alice._socket.uncork()
    await eventually(async () => (await metric(server, 'chatdds_publish_queue')) === 3 && framesOfType(alice, 'ack').length === 2)
    assert.deepEqual(
      framesOfType(alice, 'ack').map((a) => a.ref),
      [0, 1],
    )

    await server.close()
    assert.deepEqual(await alice.closed, {code: 1001, reason: 'server shutting down'})
    assert.deepEqual(
      server.lines.filter((line) => /^(warning|error): /.test(line)),
      ['warning: 3 messages were still waiting for the DDS writer at shutdown and were not written'],
    )
    // Every sender learns the fate of each message: acked, or an error frame before the 1001.
    assert.deepEqual(
      alice.frames.filter((f) => f.type === 'ack' || f.type === 'error').map(({type, code, ref, message}) => ({type, code, ref, message})),
      [
        {type: 'ack', code: undefined, ref: 0, message: undefined},
        {type: 'ack', code: undefined, ref: 1, message: undefined},
        ...[2, 3, 4].map((ref) => ({
          type: 'error',
          code: 'busy',
          ref,
          message: 'The message could not be written to DDS (The server is shutting down.); send it again later.',
        })),
      ],
    )
  })
})
