// Cluster-wide state against MemoryBus: history hand-over, presence, resume on another instance.
import assert from 'node:assert/strict'
import {MemoryBus, MemoryHub, cleanup, connectV1, eventually, framesOfType, httpGet, request, startMemoryServer} from './support.js'

const texts = (ws) => framesOfType(ws, 'message').map((m) => m.text)
const changes = (ws) => framesOfType(ws, 'presence-change').map(({room, change, name, instance}) => `${room} ${change} ${name}@${instance}`)

async function readiness(server) {
  return eventually(async () => {
    const answer = await httpGet(server, '/readyz')
    return answer.status === 200 && JSON.parse(answer.body)
  })
}

describe('chat server: cluster-wide state', () => {
  afterEach(cleanup)

  describe('history hand-over', () => {
    it("a late instance gets its peers' recent messages of every room, merged without duplicates, before it is ready", async () => {
      const hub = new MemoryHub()
      const one = await startMemoryServer({name: 'chat-1', historyDepth: 10}, {hub})
      const two = await startMemoryServer({name: 'chat-2', historyDepth: 10}, {hub})
      const alice = await connectV1(one, 'alice')
      const bob = await connectV1(two, 'bob')
      const sent = []
      for (let i = 1; i <= 12; i++) {
        const [client, room] = i % 3 === 0 ? [bob, 'other'] : [i % 2 ? alice : bob, 'r']
        await request(client, {type: 'send', room, text: `m${i}`, ref: i})
        sent.push({room, text: `m${i}`})
        // Distinct timestamps: the merged order is the send order.
        await new Promise((resolve) => setTimeout(resolve, 2))
      }
      await eventually(async () => (await Promise.all([one, two].map((s) => s.metrics()))).every((m) => m.includes('chatdds_dds_samples_read_total 12')))

      const late = await startMemoryServer({name: 'chat-3', historyDepth: 10}, {hub})
      assert.equal((await readiness(late)).historyHandOver, 'complete')
      assert.ok(
        late.lines.some((line) => /^History hand-over complete in [\d.]+ s: 2 peers answered \(chat-1, chat-2\); 12 messages merged into 2 rooms$/.test(line)),
        late.lines.join('\n'),
      )
      assert.ok(one.lines.includes('Handed 12 messages of 2 rooms over to chat-3'))

      const carol = await connectV1(late, 'carol')
      const joined = await request(carol, {type: 'join', room: 'r', history: 50, ref: 'j'})
      assert.equal(joined.replayed, 8)
      await eventually(() => framesOfType(carol, 'message').length === 8)
      assert.deepEqual(
        texts(carol),
        sent.filter((m) => m.room === 'r').map((m) => m.text),
      )
      await request(carol, {type: 'join', room: 'other', history: 2, ref: 'o'})
      await eventually(() => framesOfType(carol, 'message').length === 10)
      assert.deepEqual(texts(carol).slice(8), ['m9', 'm12'])

      // Live messages continue after the replay, once each.
      await request(alice, {type: 'send', room: 'r', text: 'live', ref: 'live'})
      await eventually(() => texts(carol).includes('live'))
      await request(carol, {type: 'ping', ref: 'p'})
      assert.equal(texts(carol).filter((t) => t === 'live').length, 1)
    })

    it('speaks the documented JSON, and still asks a peer found after the hand-over ended', async () => {
      const hub = new MemoryHub()
      const server = await startMemoryServer({name: 'chat-1'}, {hub})
      assert.equal((await readiness(server)).historyHandOver, 'complete')
      // A peer written by hand from docs/protocol.md, discovered late: its History reader matches now.
      const peer = new MemoryBus(hub, {name: 'hand'})
      const requests = []
      const message = JSON.stringify({chatdds: 1, room: 'r', from: 'zoe', text: 'from before', ts: 5, origin: 'hand'})
      peer.onAuxSamples('history', (batch) => {
        for (const sample of batch) {
          const frame = JSON.parse(sample.message)
          if (frame.type !== 'history-request') continue
          requests.push(frame)
          // Answers go to the asking participant: the GUID prefix of the request's writer.
          const to = peer.participantOf(sample.writer)
          const answer = {type: 'history', to, from: 'hand', nonce: frame.nonce, room: 'r', coverage: {w1: [0, 3]}}
          peer.publishAux('history', JSON.stringify({...answer, messages: [{id: 'w1:3', writer: 'w1', seq: 3, message, sourceTimestamp: 5}]}))
          peer.publishAux('history', JSON.stringify({type: 'history-end', to, from: 'hand', nonce: frame.nonce, rooms: 1, messages: 1}))
        }
      })
      await eventually(() => server.lines.includes('History hand-over: hand answered late; 1 message merged in all'))
      assert.equal(requests[0].from, 'chat-1')
      assert.match(requests[0].nonce, /^[0-9a-f]{16}$/)
      assert.deepEqual(requests[0].answered, [])
      assert.equal(requests[0].depth, 100)

      const client = await connectV1(server, 'carol')
      const joined = await request(client, {type: 'join', room: 'r', history: 5, ref: 'j'})
      assert.equal(joined.replayed, 1)
      await eventually(() => framesOfType(client, 'message').length === 1)
      assert.deepEqual(framesOfType(client, 'message')[0], {
        type: 'message',
        id: 'w1:3',
        room: 'r',
        from: 'zoe',
        text: 'from before',
        ts: 5,
        origin: 'hand',
        replay: true,
      })
      // The peer vouched for w1 up to 3: a resume after w1:2 is complete.
      assert.equal((await request(client, {type: 'join', room: 'r', since: 'w1:2', ref: 's'})).recovered, true)
      peer.close()
    })

    it('becomes ready without the answer of a peer that never gives one, and says who it was', async () => {
      const hub = new MemoryHub()
      const silent = new MemoryBus(hub, {name: 'silent'})
      // A History reader and a presence snapshot, but no answers.
      silent.onAuxSamples('history', () => {})
      silent.publishAux('presence', JSON.stringify({instance: 'silent', url: 'ws://127.0.0.1:1/', rooms: {}}))
      const server = await startMemoryServer({name: 'chat-1', handOver: {settleMs: 0, quietMs: 0, retryMs: 100, timeoutMs: 500}}, {hub})
      assert.equal((await readiness(server)).historyHandOver, 'incomplete')
      assert.ok(
        server.lines.some((line) =>
          /^warning: History hand-over incomplete after [\d.]+ s: no answer from silent; no peer answered; 0 messages merged into 0 rooms; serving what this instance holds$/.test(
            line,
          ),
        ),
        server.lines.join('\n'),
      )
      silent.close()
    })
  })

  describe('presence', () => {
    it("lists the members of a room across instances, pushes joins and leaves, and forgets a crashed instance's users", async () => {
      const hub = new MemoryHub()
      const one = await startMemoryServer({name: 'chat-1'}, {hub})
      const twoBus = new MemoryBus(hub, {name: 'chat-2'})
      const two = await startMemoryServer({name: 'chat-2', bus: twoBus}, {hub})
      const alice = await connectV1(one, 'alice')
      const bob = await connectV1(two, 'bob')
      const dave = await connectV1(two, 'dave')
      await request(alice, {type: 'join', room: 'r', ref: 'a'})
      await request(dave, {type: 'join', room: 'elsewhere', ref: 'd'})
      const joined = await request(bob, {type: 'join', room: 'r', ref: 'b'})
      const both = [
        {name: 'alice', instance: 'chat-1'},
        {name: 'bob', instance: 'chat-2'},
      ]
      assert.deepEqual(joined.members, both)
      await eventually(() => changes(alice).length === 1)
      assert.deepEqual(changes(alice), ['r join bob@chat-2'])
      assert.deepEqual(changes(bob), [])
      for (const ws of [alice, bob]) assert.deepEqual((await request(ws, {type: 'presence', room: 'r', ref: 'p'})).members, both)

      assert.deepEqual(JSON.parse((await httpGet(one, '/presence')).body), {
        instance: 'chat-1',
        instances: [
          {name: 'chat-1', url: one.url},
          {name: 'chat-2', url: two.url},
        ],
        rooms: {elsewhere: [{name: 'dave', instance: 'chat-2'}], r: both},
      })

      // A rename is a leave and a join; a second connection with the same name adds nobody.
      await request(bob, {type: 'hello', name: 'robert', ref: 'h'})
      const bob2 = await connectV1(two, 'robert')
      await request(bob2, {type: 'join', room: 'r', ref: 'b2'})
      await eventually(() => changes(alice).length === 3)
      assert.deepEqual(changes(alice), ['r join bob@chat-2', 'r leave bob@chat-2', 'r join robert@chat-2'])
      await request(alice, {type: 'leave', room: 'r', ref: 'l'})
      await eventually(() => changes(bob2).length === 1)
      assert.deepEqual(changes(bob2), ['r leave alice@chat-1'])
      // The renamed client is told too: it is a member of the room.
      assert.deepEqual(changes(bob), ['r leave bob@chat-2', 'r join robert@chat-2', 'r leave alice@chat-1'])

      // chat-2 dies: its members leave everyone's presence, with a push.
      await request(alice, {type: 'join', room: 'r', ref: 'a2'})
      twoBus.crash()
      await eventually(() => changes(alice).includes('r leave robert@chat-2'))
      assert.deepEqual((await request(alice, {type: 'presence', room: 'r', ref: 'p2'})).members, [{name: 'alice', instance: 'chat-1'}])
      assert.deepEqual(JSON.parse((await httpGet(one, '/presence')).body), {
        instance: 'chat-1',
        instances: [{name: 'chat-1', url: one.url}],
        rooms: {r: [{name: 'alice', instance: 'chat-1'}]},
      })
    })

    it("a late instance learns every live instance's members, and greets with every instance's URL", async () => {
      const hub = new MemoryHub()
      const one = await startMemoryServer({name: 'chat-1'}, {hub})
      const alice = await connectV1(one, 'alice')
      await request(alice, {type: 'join', room: 'r', ref: 'a'})
      const two = await startMemoryServer({name: 'chat-2'}, {hub})
      const bob = await connectV1(two, 'bob')
      assert.deepEqual(bob.frames[0].instances, [
        {name: 'chat-1', url: one.url},
        {name: 'chat-2', url: two.url},
      ])
      const joined = await request(bob, {type: 'join', room: 'r', ref: 'b'})
      assert.deepEqual(joined.members, [
        {name: 'alice', instance: 'chat-1'},
        {name: 'bob', instance: 'chat-2'},
      ])
      // The same name on two instances is two members.
      const alice2 = await connectV1(two, 'alice')
      await request(alice2, {type: 'join', room: 'r', ref: 'a2'})
      await eventually(() => changes(alice).length === 2)
      assert.deepEqual(changes(alice), ['r join bob@chat-2', 'r join alice@chat-2'])
    })
  })

  describe('resume on another instance', () => {
    it('replays what a client missed after its instance went away, and says recovered:false when it cannot', async () => {
      const hub = new MemoryHub()
      const one = await startMemoryServer({name: 'chat-1', historyDepth: 5}, {hub})
      const two = await startMemoryServer({name: 'chat-2', historyDepth: 5}, {hub})
      const sender = await connectV1(two, 'sender')
      const reader = await connectV1(one, 'reader')
      await request(reader, {type: 'join', room: 'r', ref: 'j'})
      const acks = []
      for (let i = 1; i <= 3; i++) acks.push(await request(sender, {type: 'send', room: 'r', text: `m${i}`, ref: i}))
      await eventually(() => framesOfType(reader, 'message').length === 3)
      const last = framesOfType(reader, 'message').at(-1).id
      await one.close()
      for (let i = 4; i <= 6; i++) acks.push(await request(sender, {type: 'send', room: 'r', text: `m${i}`, ref: i}))

      const resumed = await connectV1(two, 'reader')
      const joined = await request(resumed, {type: 'join', room: 'r', since: last, ref: 'r'})
      assert.deepEqual([joined.recovered, joined.replayed], [true, 3])
      await eventually(() => framesOfType(resumed, 'message').length === 3)
      assert.deepEqual(texts(resumed), ['m4', 'm5', 'm6'])

      // Older than what chat-2 still holds (depth 5), or from a writer it never heard of: it says so.
      const old = await request(resumed, {type: 'join', room: 'r', since: acks[0].id, ref: 'o'})
      assert.deepEqual([old.recovered, old.replayed], [true, 5])
      for (let i = 7; i <= 8; i++) await request(sender, {type: 'send', room: 'r', text: `m${i}`, ref: i})
      await eventually(() => framesOfType(resumed, 'message').length === 3 + 5 + 2)
      const gap = await request(resumed, {type: 'join', room: 'r', since: acks[0].id, ref: 'g'})
      assert.deepEqual([gap.recovered, gap.replayed], [false, 5])
      const unknown = await request(resumed, {type: 'join', room: 'r', since: 'feedfacefeedfacefeedfacefeedface:7', ref: 'u'})
      assert.equal(unknown.recovered, false)
    })
  })
})
