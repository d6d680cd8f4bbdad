import assert from 'node:assert/strict'
import net from 'node:net'
import {WebSocketServer} from 'ws'

import {ChatClient} from '../../../dist/lib/client/chatClient.js'
import {ChatddsError} from '../../../dist/lib/errors.js'
import {freePort, listen} from '../../helpers.js'
import {useCleanup} from './support.js'

describe('ChatClient', () => {
  const {fake, cleanup} = useCleanup()

  async function connect(options) {
    const client = await ChatClient.connect(options)
    cleanup(() => client.close())
    return client
  }

  it('connects with chatdds.v1 and ?name=, joins, sends and gets its own message back', async () => {
    const server = await fake({instance: 'chat-7'})
    const client = await connect({port: server.port, name: 'alice bob'})
    assert.equal(client.hello.instance, 'chat-7')
    assert.equal(client.url, server.url)
    assert.deepEqual(server.names, ['alice bob'])

    const joined = await client.join('general', {history: 5})
    assert.equal(joined.type, 'joined')
    assert.equal(joined.room, 'general')

    const echoed = new Promise((resolve) => client.on('message', resolve))
    const {id, ts} = await client.send('general', 'hi')
    assert.match(id, /^[0-9a-f]{32}:1$/)
    assert.equal(typeof ts, 'number')
    const message = await echoed
    assert.deepEqual(
      {id: message.id, room: message.room, from: message.from, text: message.text, origin: message.origin},
      {id, room: 'general', from: 'alice bob', text: 'hi', origin: 'chat-7'},
    )
    assert.deepEqual(client.cursor, {[server.writer]: 1})

    assert.deepEqual(
      server.frames.map((f) => f.type),
      ['join', 'send'],
    )
    assert.equal(server.frames[0].history, 5)
    assert.notEqual(server.frames[0].ref, server.frames[1].ref)
  })

  it('resumes with `since: client.cursor` on a new connection', async () => {
    const server = await fake()
    const first = await connect({port: server.port})
    await first.join('general')
    const firstSeen = []
    first.on('message', (m) => firstSeen.push(m.text))
    server.publish('general', 'one')
    server.publish('general', 'two')
    await first.leave('general')
    assert.deepEqual(firstSeen, ['one', 'two'])
    await first.close()
    server.publish('general', 'three')

    const second = await connect({port: server.port})
    const secondSeen = []
    second.on('message', (m) => secondSeen.push(m.text))
    const joined = await second.join('general', {since: first.cursor})
    assert.equal(joined.replayed, 1)
    await second.leave('general')
    assert.deepEqual(secondSeen, ['three'])
  })

  it('leaves a room', async () => {
    const server = await fake()
    const client = await connect({port: server.port})
    await client.join('random')
    const left = await client.leave('random')
    assert.deepEqual([left.type, left.room], ['left', 'random'])
  })

  it('rejects a request answered by an error frame with the server code and sentence', async () => {
    const server = await fake({sendError: 'too_large'})
    const client = await connect({port: server.port})
    await client.join('general')
    await assert.rejects(client.send('general', 'x'), (error) => {
      assert.ok(error instanceof ChatddsError)
      assert.equal(error.code, 'too_large')
      assert.equal(error.message, 'Refused by the fake server (too_large).')
      return true
    })
  })

  it('reports an error frame that answers no request as a serverError event', async () => {
    const server = await fake()
    const client = await connect({port: server.port})
    const reported = new Promise((resolve) => client.on('serverError', resolve))
    server.broadcast({type: 'error', code: 'rate_limited', message: 'Slow down.'})
    const error = await reported
    assert.deepEqual([error.code, error.message], ['rate_limited', 'Slow down.'])
  })

  it('says how to start a server when nothing listens', async () => {
    const port = await freePort()
    await assert.rejects(ChatClient.connect({port}), (error) => {
      assert.ok(error instanceof ChatddsError)
      assert.equal(error.code, 'ECONNREFUSED')
      assert.equal(error.message, `No chatdds server at ws://127.0.0.1:${port}/; start one with \`chatdds serve --port ${port}\`.`)
      return true
    })
  })

  it('gives up with ETIMEDOUT when the server never answers', async () => {
    const silent = net.createServer(() => {})
    const sockets = new Set()
    silent.on('connection', (socket) => sockets.add(socket))
    const port = await listen(silent)
    cleanup(
      () =>
        new Promise((resolve) => {
          for (const socket of sockets) socket.destroy()
          silent.close(resolve)
        }),
    )
    await assert.rejects(ChatClient.connect({port, timeoutMs: 300}), (error) => {
      assert.ok(error instanceof ChatddsError)
      assert.equal(error.code, 'ETIMEDOUT')
      assert.match(error.message, new RegExp(`ws://127\\.0\\.0\\.1:${port}/`))
      return true
    })
  })

  it('gives up with ETIMEDOUT when a websocket server never says hello', async () => {
    const server = await fake({noHello: true})
    await assert.rejects(ChatClient.connect({port: server.port, timeoutMs: 300}), {code: 'ETIMEDOUT'})
  })

  it('refuses a websocket server that does not speak chatdds.v1', async () => {
    const wss = new WebSocketServer({host: '127.0.0.1', port: 0, handleProtocols: () => false})
    await new Promise((resolve) => wss.once('listening', resolve))
    cleanup(() => new Promise((resolve) => wss.close(resolve)))
    await assert.rejects(ChatClient.connect({port: /** @type {net.AddressInfo} */ (wss.address()).port}), (error) => {
      assert.ok(error instanceof ChatddsError)
      assert.equal(error.code, 'EPROTO')
      assert.match(error.message, /does not speak chatdds\.v1/)
      return true
    })
  })

  it('drops duplicates: the same id twice, or an older sequence number of a writer', async () => {
    const server = await fake()
    const client = await connect({port: server.port})
    await client.join('general')
    const seen = []
    client.on('message', (m) => seen.push(m.id))
    const w = 'ab'.repeat(16)
    const frame = (seq, room = 'general') => ({type: 'message', id: `${w}:${seq}`, room, from: null, text: `m${seq}`, ts: Date.now(), origin: null})
    for (const seq of [1, 2, 2, 1, 3, 3]) server.broadcast(frame(seq))
    // One writer's sequence numbers are shared by all rooms: a replay of an older one in another room is news.
    server.broadcast(frame(2, 'random'))
    server.broadcast({type: 'message', id: 'opaque', room: 'general', from: null, text: 'x', ts: 1, origin: null})
    server.broadcast({type: 'message', id: 'opaque', room: 'general', from: null, text: 'x', ts: 1, origin: null})
    await client.leave('general') // a round trip: every frame above has arrived
    assert.deepEqual(seen, [`${w}:1`, `${w}:2`, `${w}:3`, `${w}:2`, 'opaque'])
    assert.deepEqual(client.cursor, {[w]: 3})
  })

  it('emits close and rejects pending requests when the connection drops', async () => {
    const server = await fake({echo: false})
    const client = await connect({port: server.port})
    const closed = new Promise((resolve) => client.once('close', (code) => resolve(code)))
    server.dropClients()
    assert.equal(await closed, 1006)
    await assert.rejects(client.send('general', 'late'), {code: 'ECONNRESET'})
  })

  it('times out a request the server never answers', async () => {
    const server = await fake({ignoreSends: true})
    const client = await connect({port: server.port})
    await assert.rejects(client.send('general', 'x', {timeoutMs: 200}), (error) => {
      assert.ok(error instanceof ChatddsError)
      assert.equal(error.code, 'ETIMEDOUT')
      assert.equal(error.message, `${server.url} did not answer send within 0.2 s; check that \`chatdds serve --port ${server.port}\` is ready (GET /readyz).`)
      return true
    })
  })
})
