// Bad input never crashes the server and never hurts the other clients.
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import net from 'node:net'
import {cleanup, connect, connectV1, eventually, framesOfType, request, startMemoryServer} from './support.js'

/** After a bad client, a good one still gets its own message back. */
async function stillServes(server) {
  const ws = await connect(server)
  ws.send('still here')
  await eventually(() => ws.texts.includes('still here'))
}

/** A raw TCP websocket client: handshake, then frames written by hand. */
async function rawWebsocket(port) {
  const socket = net.connect(port, '127.0.0.1')
  let received = Buffer.alloc(0)
  socket.on('data', (chunk) => (received = Buffer.concat([received, chunk])))
  socket.on('error', () => {})
  await new Promise((resolve) => socket.once('connect', resolve))
  const key = crypto.randomBytes(16).toString('base64')
  socket.write(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` + `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  )
  await eventually(() => received.includes('\r\n\r\n'))
  const headerEnd = received.indexOf('\r\n\r\n') + 4
  assert.match(received.subarray(0, headerEnd).toString(), /^HTTP\/1\.1 101 /)
  received = received.subarray(headerEnd)
  return {
    socket,
    received: () => received,
    /** One masked frame with FIN set (payload < 126 bytes). */
    sendFrame(opcode, payload) {
      const mask = crypto.randomBytes(4)
      const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]))
      socket.write(Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked]))
    },
  }
}

describe('chat server: bad input', () => {
  afterEach(cleanup)

  it('closes a client whose frame is over --max-payload with 1009', async () => {
    const server = await startMemoryServer({maxPayload: 1024})
    const plain = await connect(server)
    plain.send('x'.repeat(1025))
    assert.equal((await plain.closed).code, 1009)
    const v1 = await connectV1(server)
    v1.send(JSON.stringify({type: 'send', room: 'general', text: 'y'.repeat(2000)}))
    assert.equal((await v1.closed).code, 1009)
    await stillServes(server)
    assert.match(await server.metrics(), /chatdds_client_closes_total\{reason="too_large"\} 2/)
  })

  it('closes a client that sends invalid UTF-8 in a text frame with 1007 (raw socket)', async () => {
    const server = await startMemoryServer()
    const raw = await rawWebsocket(server.port)
    raw.sendFrame(0x1, [0x68, 0x69, 0xff, 0xfe, 0xc3])
    // The server's close frame: 0x88, length, then the 2-byte status code.
    await eventually(() => raw.received().length >= 4)
    const frame = raw.received()
    assert.equal(frame[0], 0x88)
    assert.equal(frame.readUInt16BE(2), 1007)
    raw.socket.destroy()
    await stillServes(server)
    assert.match(await server.metrics(), /chatdds_client_closes_total\{reason="invalid_utf8"\} 1/)
  })

  it('closes a plain client that sends a binary frame with 1003 and a reason', async () => {
    const server = await startMemoryServer()
    const plain = await connect(server)
    plain.send(Buffer.from('binary'), {binary: true})
    assert.deepEqual(await plain.closed, {code: 1003, reason: 'binary frames are not supported; send text frames'})
    await stillServes(server)
  })

  it('answers a binary frame on chatdds.v1 with an error frame and stays open', async () => {
    const server = await startMemoryServer()
    const ws = await connectV1(server)
    ws.send(Buffer.from('{"type":"ping"}'), {binary: true})
    await eventually(() => framesOfType(ws, 'error').length === 1)
    assert.equal(framesOfType(ws, 'error')[0].code, 'bad_request')
    assert.deepEqual(await request(ws, {type: 'ping', ref: 1}), {type: 'pong', ref: 1})
  })

  it('answers malformed JSON, unknown types and missing fields with error frames and stays open', async () => {
    const server = await startMemoryServer()
    const ws = await connectV1(server)
    const bystander = await connect(server)
    ws.send('{"type": "send", ')
    ws.send('null')
    await request(ws, {type: 'teleport', ref: 'u'})
    await request(ws, {type: 'send', room: 'general', ref: 'm'})
    await request(ws, {type: 'join', ref: 'j'})
    const errors = framesOfType(ws, 'error').map(({code, ref}) => ({code, ref}))
    assert.deepEqual(errors, [
      {code: 'bad_json', ref: undefined},
      {code: 'bad_request', ref: undefined},
      {code: 'unknown_type', ref: 'u'},
      {code: 'bad_request', ref: 'm'},
      {code: 'bad_request', ref: 'j'},
    ])
    for (const error of framesOfType(ws, 'error')) assert.match(error.message, /\.$/)
    assert.equal((await request(ws, {type: 'send', room: 'general', text: 'ok', ref: 'ok'})).type, 'ack')
    await eventually(() => bystander.texts.includes('ok'))
    assert.equal(bystander.texts.length, 1, 'nothing of the bad frames reached DDS')
  })

  it('answers chatdds.v1 frames over the rate with rate_limited, others unaffected', async () => {
    const server = await startMemoryServer({rateLimit: {perSecond: 5, burst: 10}})
    const flooder = await connectV1(server)
    const calm = await connectV1(server)
    for (let i = 0; i < 30; i++) flooder.send(JSON.stringify({type: 'ping', ref: i}))
    await eventually(() => flooder.frames.filter((f) => f.ref === 29).length === 1)
    const limited = framesOfType(flooder, 'error').filter((f) => f.code === 'rate_limited')
    assert.ok(limited.length > 0, 'no frame was rate limited')
    assert.equal(limited.length + framesOfType(flooder, 'pong').length, 30)
    assert.deepEqual(await request(calm, {type: 'ping', ref: 'c'}), {type: 'pong', ref: 'c'})
    assert.equal(flooder.readyState, flooder.OPEN)
    assert.match(await server.metrics(), /chatdds_rate_limited_total\{protocol="chatdds.v1"\} [1-9]/)
  })

  it('pauses a plain client over the rate instead of dropping: every message arrives, in order', async () => {
    const server = await startMemoryServer({rateLimit: {perSecond: 400, burst: 20}})
    const flooder = await connect(server)
    const other = await connect(server)
    const texts = Array.from({length: 300}, (_, i) => `f${i}`)
    for (const text of texts) flooder.send(text)
    other.send('other')
    await eventually(() => other.texts.length === 301)
    assert.deepEqual(
      other.texts.filter((t) => t !== 'other'),
      texts,
    )
    await eventually(() => flooder.texts.length === 301)
    assert.match(await server.metrics(), /chatdds_rate_limited_total\{protocol="plain"\} [1-9]/)
  })
})
