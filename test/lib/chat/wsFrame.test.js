// The pre-encoded text frames the hub writes to many sockets must be exactly what a websocket client reads.
import assert from 'node:assert/strict'
import http from 'node:http'
import {WebSocket, WebSocketServer} from 'ws'
import {textFrame} from '../../../dist/lib/chat/wsFrame.js'
import {listen} from '../../helpers.js'

describe('textFrame', () => {
  it('encodes the three RFC 6455 length forms, unmasked, FIN + text opcode', () => {
    assert.deepEqual([...textFrame('hi')], [0x81, 2, 0x68, 0x69])
    assert.deepEqual([...textFrame('x'.repeat(125)).subarray(0, 2)], [0x81, 125])
    assert.deepEqual([...textFrame('x'.repeat(126)).subarray(0, 4)], [0x81, 126, 0, 126])
    assert.deepEqual([...textFrame('x'.repeat(65_535)).subarray(0, 4)], [0x81, 126, 0xff, 0xff])
    assert.deepEqual([...textFrame('x'.repeat(65_536)).subarray(0, 10)], [0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0])
    assert.equal(textFrame('é').length, 2 + 2)
  })

  it('is read back by a real websocket client as the same texts, in order', async () => {
    const server = http.createServer()
    const wss = new WebSocketServer({server, perMessageDeflate: false})
    const texts = ['', 'hello', 'é ✓ 𝄞', 'y'.repeat(200), 'z'.repeat(70_000)]
    // Written on ws's own TCP socket (private to ws): the frames go out exactly as textFrame built them.
    wss.on('connection', (/** @type {WebSocket & {_socket: import('node:net').Socket}} */ ws) => ws._socket.write(Buffer.concat(texts.map(textFrame))))
    const port = await listen(server)
    try {
      const client = new WebSocket(`ws://127.0.0.1:${port}/`)
      const received = await new Promise((resolve, reject) => {
        const out = []
        client.on('error', reject)
        client.on('message', (data, isBinary) => {
          assert.equal(isBinary, false)
          out.push(data.toString())
          if (out.length === texts.length) resolve(out)
        })
      })
      assert.deepEqual(received, texts)
      client.close()
    } finally {
      wss.close()
      server.close()
    }
  })
})
