// The chat server against MemoryBus: both protocols, HTTP endpoints, history and resume.
import assert from 'node:assert/strict'
import net from 'node:net'
import {ChatddsError} from '../../../dist/lib/errors.js'
import {listen} from '../../helpers.js'
import {MemoryBus, MemoryHub, cleanup, connect, connectV1, eventually, framesOfType, httpGet, request, startChatServer, startMemoryServer} from './support.js'

describe('chat server', () => {
  afterEach(cleanup)

  describe('plain protocol', () => {
    it('writes a text frame to the bus as the raw text and sends it back to every plain client, the sender too', async () => {
      const hub = new MemoryHub()
      const server = await startMemoryServer({}, {hub})
      const other = await startMemoryServer({}, {hub})
      const sender = await connect(server)
      const local = await connect(server)
      const remote = await connect(other)
      const texts = ['hello', '', '  spaced  ', 'üñïçødé ✓ 𝄞', '{"message":"hello"}', 'a'.repeat(60_000)]
      for (const text of texts) sender.send(text)
      for (const ws of [sender, local, remote]) {
        await eventually(() => ws.texts.length === texts.length)
        assert.deepEqual(ws.texts, texts)
      }
      // Read once: room, sender ((plain) for a reference client's message) and text, not the sample's JSON escaped again.
      assert.ok(server.lines.includes('Writing message #general (plain): hello'), server.lines.join('\n'))
      assert.ok(other.lines.includes('Received a message #general (plain): hello'), other.lines.join('\n'))
    })

    it('passes a plain DDS sample byte for byte and an envelope of room general as its text', async () => {
      const hub = new MemoryHub()
      const server = await startMemoryServer({}, {hub})
      const foreign = new MemoryBus(hub, {name: 'foreign'})
      const ws = await connect(server)
      foreign.publish('  raw sample\r\n')
      foreign.publish('{"chatdds":1,"room":"general","from":"alice","text":"hi there","ts":1,"origin":"chat-9"}')
      foreign.publish('{"chatdds":1,"room":"elsewhere","from":"alice","text":"not for plain","ts":1,"origin":"chat-9"}')
      foreign.publish('last')
      await eventually(() => ws.texts.length === 3)
      assert.deepEqual(ws.texts, ['  raw sample\r\n', 'hi there', 'last'])
      foreign.close()
    })
  })

  describe('chatdds.v1', () => {
    it('greets, acks a send with the message id, and delivers the message to the room on every instance', async () => {
      const hub = new MemoryHub()
      const server = await startMemoryServer({name: 'chat-1'}, {hub})
      const other = await startMemoryServer({name: 'chat-2'}, {hub})
      const alice = await connectV1(server, 'alice')
      const bob = await connectV1(other, 'bob')
      const plain = await connect(other)
      assert.deepEqual(alice.frames[0], {
        type: 'hello',
        protocol: 'chatdds.v1',
        instance: 'chat-1',
        name: 'alice',
        maxPayload: 65536,
        instances: [
          {name: 'chat-1', url: server.url},
          {name: 'chat-2', url: other.url},
        ],
      })

      assert.deepEqual(await request(alice, {type: 'join', room: 'general', ref: 'j1'}), {
        type: 'joined',
        room: 'general',
        ref: 'j1',
        recovered: true,
        replayed: 0,
        members: [{name: 'alice', instance: 'chat-1'}],
      })
      await request(bob, {type: 'join', room: 'general', ref: 'j2'})
      const ack = await request(alice, {type: 'send', room: 'general', text: 'hi', ref: 'c1'})
      assert.equal(ack.type, 'ack')
      assert.match(ack.id, /^mem\d+:1$/)
      assert.equal(typeof ack.ts, 'number')

      const expected = {type: 'message', id: ack.id, room: 'general', from: 'alice', text: 'hi', ts: ack.ts, origin: 'chat-1'}
      for (const ws of [alice, bob]) {
        await eventually(() => framesOfType(ws, 'message').length === 1)
        assert.deepEqual(framesOfType(ws, 'message')[0], expected)
      }
      await eventually(() => plain.texts.length === 1)
      assert.deepEqual(plain.texts, ['hi'])
    })

    it('delivers nothing before a join, and only the joined rooms', async () => {
      const server = await startMemoryServer()
      const alice = await connectV1(server, 'alice')
      const bob = await connectV1(server, 'bob')
      await request(bob, {type: 'join', room: 'ops', ref: 1})
      await request(alice, {type: 'send', room: 'general', text: 'to general', ref: 2})
      await request(alice, {type: 'send', room: 'ops', text: 'to ops', ref: 3})
      await eventually(() => framesOfType(bob, 'message').length === 1)
      await request(alice, {type: 'ping', ref: 'p'})
      assert.deepEqual(
        framesOfType(bob, 'message').map((m) => m.text),
        ['to ops'],
      )
      assert.deepEqual(framesOfType(alice, 'message'), [])
    })

    it('answers hello, leave, presence and ping', async () => {
      const server = await startMemoryServer({name: 'chat-7'})
      const ws = await connectV1(server)
      assert.equal(ws.frames[0].name, 'anonymous')
      assert.deepEqual(await request(ws, {type: 'hello', name: 'carol', ref: 'h'}), {
        type: 'hello',
        protocol: 'chatdds.v1',
        instance: 'chat-7',
        name: 'carol',
        maxPayload: 65536,
        instances: [{name: 'chat-7', url: server.url}],
        ref: 'h',
      })
      await request(ws, {type: 'join', room: 'r', ref: 'j'})
      const other = await connectV1(server, 'dave')
      await request(other, {type: 'join', room: 'r', ref: 'j'})
      assert.deepEqual(await request(ws, {type: 'presence', room: 'r', ref: 'pr'}), {
        type: 'presence',
        room: 'r',
        ref: 'pr',
        members: [
          {name: 'carol', instance: 'chat-7'},
          {name: 'dave', instance: 'chat-7'},
        ],
      })
      assert.deepEqual(await request(ws, {type: 'leave', room: 'r', ref: 'l'}), {type: 'left', room: 'r', ref: 'l'})
      assert.deepEqual((await request(other, {type: 'presence', room: 'r', ref: 'pr2'})).members, [{name: 'dave', instance: 'chat-7'}])
      assert.deepEqual(await request(ws, {type: 'ping', ref: 5}), {type: 'pong', ref: 5})
    })

    it('replays history on join, then live messages with no gap and no duplicate', async () => {
      const server = await startMemoryServer({historyDepth: 5})
      const alice = await connectV1(server, 'alice')
      for (let i = 1; i <= 8; i++) await request(alice, {type: 'send', room: 'general', text: `m${i}`, ref: i})
      await eventually(async () => (await server.metrics()).includes('chatdds_dds_samples_read_total 8'))

      const bob = await connectV1(server, 'bob')
      const joined = await request(bob, {type: 'join', room: 'general', history: 3, ref: 'j'})
      assert.deepEqual(joined, {type: 'joined', room: 'general', ref: 'j', recovered: true, replayed: 3, members: [{name: 'bob', instance: server.name}]})
      await request(alice, {type: 'send', room: 'general', text: 'live', ref: 'live'})
      await eventually(() => framesOfType(bob, 'message').length === 4)
      const messages = framesOfType(bob, 'message')
      assert.deepEqual(
        messages.map((m) => m.text),
        ['m6', 'm7', 'm8', 'live'],
      )
      assert.deepEqual(
        messages.map((m) => m.replay),
        [true, true, true, undefined],
      )
      assert.equal(bob.frames.indexOf(joined) < bob.frames.indexOf(messages[0]), true)
    })

    it('resumes from a cursor and says whether anything was lost', async () => {
      const server = await startMemoryServer({historyDepth: 4})
      const alice = await connectV1(server, 'alice')
      const acks = []
      for (let i = 1; i <= 6; i++) acks.push(await request(alice, {type: 'send', room: 'general', text: `m${i}`, ref: i}))
      await eventually(async () => (await server.metrics()).includes('chatdds_dds_samples_read_total 6'))
      const writer = acks[0].id.split(':')[0]

      const resumed = await connectV1(server, 'bob')
      const ok = await request(resumed, {type: 'join', room: 'general', since: acks[3].id, ref: 'r1'})
      assert.deepEqual(ok, {type: 'joined', room: 'general', ref: 'r1', recovered: true, replayed: 2, members: [{name: 'bob', instance: server.name}]})
      await eventually(() => framesOfType(resumed, 'message').length === 2)
      assert.deepEqual(
        framesOfType(resumed, 'message').map((m) => m.text),
        ['m5', 'm6'],
      )

      const late = await connectV1(server, 'eve')
      const gap = await request(late, {type: 'join', room: 'general', since: {[writer]: 1}, ref: 'r2'})
      assert.deepEqual(gap, {
        type: 'joined',
        room: 'general',
        ref: 'r2',
        recovered: false,
        replayed: 4,
        members: [
          {name: 'bob', instance: server.name},
          {name: 'eve', instance: server.name},
        ],
      })
    })
  })

  describe('HTTP', () => {
    it('serves the browser page, health, readiness and metrics', async () => {
      const hub = new MemoryHub()
      const server = await startMemoryServer({name: 'chat-1'}, {hub})
      await startMemoryServer({name: 'chat-2'}, {hub})
      const page = await httpGet(server, '/')
      assert.equal(page.status, 200)
      assert.match(page.type, /^text\/html/)
      for (const id of ['port', 'connect', 'messages', 'messageBox', 'send']) assert.match(page.body, new RegExp(`id="${id}"`))
      // Nothing to fetch from elsewhere (inline data: URLs are fine).
      assert.doesNotMatch(page.body, /<(script|link)[^>]+(src|href)=(?!["']?data:)/)
      assert.deepEqual(await httpGet(server, '/healthz'), {status: 200, type: 'text/plain; charset=utf-8', body: 'ok\n'})
      const ready = await eventually(async () => {
        const answer = await httpGet(server, '/readyz')
        return answer.status === 200 && answer
      })
      assert.equal(ready.body, '{"ready":true,"name":"chat-1","matchedReaders":2,"matchedWriters":2,"peers":["chat-2"],"historyHandOver":"complete"}')
      assert.equal((await httpGet(server, '/nope')).status, 404)
      const post = await fetch(`http://127.0.0.1:${server.port}/`, {method: 'POST'})
      assert.equal(post.status, 405)

      const plain = await connect(server)
      plain.send('x')
      await eventually(() => plain.texts.length === 1)
      const metrics = (await httpGet(server, '/metrics')).body
      for (const line of [
        'chatdds_clients{protocol="plain"} 1',
        'chatdds_clients{protocol="chatdds.v1"} 0',
        'chatdds_messages_in_total{protocol="plain"} 1',
        'chatdds_messages_out_total{protocol="plain"} 1',
        'chatdds_dds_samples_written_total 1',
        'chatdds_dds_samples_read_total 1',
        'chatdds_dds_matched_readers 2',
        'chatdds_dds_matched_writers 2',
        'chatdds_delivery_latency_seconds_count 1',
        'chatdds_messages_dropped_total{reason="duplicate"} 0',
        'chatdds_history_messages 1',
        'chatdds_cluster_instances 2',
        '# TYPE chatdds_delivery_latency_seconds histogram',
      ]) {
        assert.ok(metrics.split('\n').includes(line), `missing ${line} in\n${metrics}`)
      }
    })

    it('answers /readyz 503 until the bus is ready', async () => {
      const bus = new MemoryBus(new MemoryHub())
      bus.status = () => ({ready: false, matchedReaders: 0, matchedWriters: 0, peers: []})
      const server = await startMemoryServer({bus, name: 'chat-x'})
      const ready = await httpGet(server, '/readyz')
      assert.equal(ready.status, 503)
      assert.equal(JSON.parse(ready.body).ready, false)
    })
  })

  describe('lifecycle', () => {
    it('logs the reference listening line and names itself after the port', async () => {
      let info
      const server = await startMemoryServer({bus: (i) => ((info = i), new MemoryBus(new MemoryHub(), {name: i.name}))})
      // The reference's line, then a URL that terminals make clickable.
      assert.ok(server.lines.includes(`Server is listening on ${server.port}! http://127.0.0.1:${server.port}/`), server.lines.join('\n'))
      assert.equal(server.name, `chat-${server.port}`)
      assert.deepEqual(info, {name: server.name, port: server.port})
    })

    it('refuses a port in use with a sentence saying what to do', async () => {
      const blocker = net.createServer()
      const port = await listen(blocker)
      let created = false
      try {
        await assert.rejects(startChatServer({port, bus: () => ((created = true), new MemoryBus())}), (error) => {
          assert.ok(error instanceof ChatddsError)
          assert.equal(error.code, 'EADDRINUSE')
          assert.equal(error.message, `Port ${port} is already in use; stop what is listening there or pick another with --port.`)
          return true
        })
        assert.equal(created, false, 'no bus is created when the port is taken')
      } finally {
        blocker.close()
      }
    })

    it('closes every client with 1001, then the bus', async () => {
      const server = await startMemoryServer()
      const plain = await connect(server)
      const v1 = await connectV1(server)
      await server.close()
      assert.deepEqual(await plain.closed, {code: 1001, reason: 'server shutting down'})
      assert.deepEqual(await v1.closed, {code: 1001, reason: 'server shutting down'})
      assert.throws(() => server.bus.publish('x'), {code: 'ECLOSED'})
      assert.equal(server.status().ready, false)
      await server.close()
    })
  })
})
