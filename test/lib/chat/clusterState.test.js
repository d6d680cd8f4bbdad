// ClusterPresence and HistoryExchange on their own, over a MemoryBus: they do no I/O until start(),
// and then speak the frames of docs/protocol.md ("Cluster-wide state").
import assert from 'node:assert/strict'
import {MemoryBus, MemoryHub} from '../../../dist/lib/chat/bus.js'
import {HistoryExchange} from '../../../dist/lib/chat/handover.js'
import {History} from '../../../dist/lib/chat/history.js'
import {ClusterPresence} from '../../../dist/lib/chat/presence.js'
import {ControlPlane} from '../../../dist/lib/chat/controlPlane.js'
import {createChatMetrics} from '../../../dist/lib/chat/chatMetrics.js'
import {encodeEnvelope} from '../../../dist/lib/wire/index.js'
import {eventually, recordingLogger} from './support.js'

/** Records what `bus` writes on the auxiliary topics, parsed, in `written`. */
function recordWrites(bus) {
  bus.written = []
  const publishAux = bus.publishAux.bind(bus)
  bus.publishAux = (topic, message) => {
    bus.written.push({topic, ...JSON.parse(message)})
    return publishAux(topic, message)
  }
  return bus
}

/**
 * A MemoryBus on `hub` whose auxiliary samples (its own included) are recorded per topic.
 * @returns {MemoryBus & {seen: {history: any[], presence: any[]}}}
 */
function recordedBus(hub, name) {
  const bus = Object.assign(new MemoryBus(hub, {name}), {seen: {history: [], presence: []}})
  for (const topic of /** @type {const} */ (['history', 'presence']))
    bus.onAuxSamples(topic, (batch) => bus.seen[topic].push(...batch.map((s) => JSON.parse(s.message))))
  return bus
}

const SOURCES = [
  'clients',
  'pausedClients',
  'rooms',
  'matchedReaders',
  'matchedWriters',
  'samplesWritten',
  'writerBusy',
  'publishQueue',
  'historyMessages',
  'clusterInstances',
  'repairStoreMessages',
  'repairsPending',
]
/** @type {any} */
const zeroSources = Object.fromEntries(SOURCES.map((source) => [source, () => 0]))
const metrics = () => createChatMetrics(zeroSources)
/** The history exchange reads `chatdds History` through the control plane, as in the server. */
function startExchange(bus, exchange, logger) {
  const reconciler = /** @type {any} */ ({onRequest() {}, onAnswer() {}, onEnd() {}, onSync() {}})
  new ControlPlane(bus, {maxSampleBytes: 1 << 20, metrics: metrics(), logger, exchange, reconciler, presence: {republish() {}}}).start()
  exchange.start()
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 20))
const timing = {settleMs: 0, quietMs: 0, retryMs: 60_000, timeoutMs: 3000}

describe('cluster state parts (unit)', () => {
  const closers = []
  afterEach(() => {
    for (const close of closers.splice(0)) close()
  })

  describe('ClusterPresence', () => {
    it('writes nothing until start(), then its snapshot; joins are coalesced into one snapshot', async () => {
      const hub = new MemoryHub()
      const observer = recordedBus(hub, 'observer')
      const bus = new MemoryBus(hub, {name: 'chat-a'})
      const changes = []
      const presence = new ClusterPresence(bus, {name: 'chat-a', url: 'ws://127.0.0.1:7000/', logger: recordingLogger([]), coalesceMs: 5}, (c) => changes.push(c))
      closers.push(
        () => presence.close(),
        () => bus.close(),
        () => observer.close(),
      )
      presence.join('general', 'alice')
      await tick()
      assert.deepEqual(observer.seen.presence, [], 'no snapshot before start()')
      assert.deepEqual(changes, [{room: 'general', change: 'join', name: 'alice', instance: 'chat-a'}])

      presence.start()
      await tick()
      assert.deepEqual(observer.seen.presence, [{instance: 'chat-a', participant: bus.guidPrefix, url: 'ws://127.0.0.1:7000/', rooms: {general: ['alice']}}])
      presence.join('general', 'bob')
      presence.join('random', 'bob')
      await eventually(() => observer.seen.presence.length === 2)
      await tick()
      assert.deepEqual(observer.seen.presence[1], {
        instance: 'chat-a',
        participant: bus.guidPrefix,
        url: 'ws://127.0.0.1:7000/',
        rooms: {general: ['alice', 'bob'], random: ['bob']},
      })
      assert.equal(observer.seen.presence.length, 2)
    })

    it("learns another instance's members from its snapshot, and forgets them when its participant goes", async () => {
      const hub = new MemoryHub()
      const peer = new MemoryBus(hub, {name: 'chat-b'})
      const bus = new MemoryBus(hub, {name: 'chat-a'})
      const lines = []
      const changes = []
      const presence = new ClusterPresence(bus, {name: 'chat-a', url: 'ws://a/', logger: recordingLogger(lines)}, (c) => changes.push(c))
      closers.push(
        () => presence.close(),
        () => bus.close(),
        () => peer.close(),
      )
      presence.start()
      peer.publishAux('presence', JSON.stringify({instance: 'chat-b', url: 'ws://b/', rooms: {general: ['carol']}}))
      await eventually(() => presence.members('general').length === 1)
      assert.deepEqual(presence.members('general'), [{name: 'carol', instance: 'chat-b'}])
      assert.deepEqual(presence.instances(), [
        {name: 'chat-a', url: 'ws://a/'},
        {name: 'chat-b', url: 'ws://b/'},
      ])
      presence.participantGone(peer.guidPrefix)
      assert.deepEqual(presence.members('general'), [])
      assert.deepEqual(presence.instances(), [{name: 'chat-a', url: 'ws://a/'}])
      assert.deepEqual(changes, [
        {room: 'general', change: 'join', name: 'carol', instance: 'chat-b'},
        {room: 'general', change: 'leave', name: 'carol', instance: 'chat-b'},
      ])
      assert.ok(lines.includes('Presence: chat-b is gone; 1 member left its rooms'), lines.join('\n'))
    })

    it('ignores a snapshot that does not parse, and says so', async () => {
      const hub = new MemoryHub()
      const peer = new MemoryBus(hub, {name: 'chat-b'})
      const bus = new MemoryBus(hub, {name: 'chat-a'})
      const lines = []
      const presence = new ClusterPresence(bus, {name: 'chat-a', url: 'ws://a/', logger: recordingLogger(lines)}, () => {})
      closers.push(
        () => presence.close(),
        () => bus.close(),
        () => peer.close(),
      )
      presence.start()
      peer.publishAux('presence', '{"instance":"","url":5}')
      await eventually(() => lines.some((line) => line.startsWith('warning: Ignored a malformed presence snapshot')))
      assert.deepEqual(presence.instances(), [{name: 'chat-a', url: 'ws://a/'}])
    })
  })

  describe('HistoryExchange', () => {
    it('writes no request until start(); then asks, merges a peer answer and completes', async () => {
      const hub = new MemoryHub()
      // The peer: a history with two messages of #general, answering through its own exchange.
      const peerBus = recordWrites(new MemoryBus(hub, {name: 'chat-b'}))
      const peerHistory = new History(10)
      const w = 'feedface'
      for (const seq of [1, 2]) {
        peerHistory.add({id: `${w}:${seq}`, writer: w, seq, room: 'general', from: 'alice', text: `m${seq}`, ts: seq, origin: 'chat-b', envelope: true})
      }
      const peerPresence = new ClusterPresence(peerBus, {name: 'chat-b', url: 'ws://b/', logger: recordingLogger([])}, () => {})
      const peerExchange = new HistoryExchange(peerBus, peerHistory, peerPresence, {name: 'chat-b', logger: recordingLogger([]), timing})
      peerPresence.start()
      startExchange(peerBus, peerExchange, recordingLogger([]))

      const bus = recordWrites(new MemoryBus(hub, {name: 'chat-a'}))
      const history = new History(10)
      const lines = []
      const presence = new ClusterPresence(bus, {name: 'chat-a', url: 'ws://a/', logger: recordingLogger([])}, () => {})
      const exchange = new HistoryExchange(bus, history, presence, {name: 'chat-a', logger: recordingLogger(lines), timing})
      closers.push(
        () => exchange.close(),
        () => presence.close(),
        () => peerExchange.close(),
        () => peerPresence.close(),
        () => bus.close(),
        () => peerBus.close(),
      )
      await tick()
      assert.deepEqual(bus.written, [], 'nothing written before start()')
      assert.equal(exchange.state, 'pending')

      presence.start()
      startExchange(bus, exchange, recordingLogger(lines))
      await eventually(() => exchange.state !== 'pending')
      assert.equal(exchange.state, 'complete')
      const requests = bus.written.filter((f) => f.type === 'history-request')
      assert.equal(requests.length, 1)
      assert.deepEqual(Object.keys(requests[0]), ['topic', 'type', 'from', 'nonce', 'attempt', 'depth', 'answered'])
      const answers = peerBus.written.filter((f) => f.type === 'history' && f.to === bus.guidPrefix)
      assert.equal(answers.length, 1)
      assert.deepEqual(
        answers[0].messages.map((m) => m.message),
        [1, 2].map((seq) => encodeEnvelope({room: 'general', from: 'alice', text: `m${seq}`, ts: seq, origin: 'chat-b'})),
      )
      assert.deepEqual(
        history.lookup('general', {limit: 10}).messages.map((m) => m.text),
        ['m1', 'm2'],
      )
      assert.ok(
        lines.some((line) => /^History hand-over complete in .*: 1 peer answered \(chat-b\); 2 messages merged into 1 room$/.test(line)),
        lines.join('\n'),
      )
    })

    it('answers a participant once per attempt, for one nonce only, and not when it is listed as answered', async () => {
      const hub = new MemoryHub()
      const observer = recordedBus(hub, 'observer')
      const bus = new MemoryBus(hub, {name: 'chat-b'})
      const presence = new ClusterPresence(bus, {name: 'chat-b', url: 'ws://b/', logger: recordingLogger([])}, () => {})
      const exchange = new HistoryExchange(bus, new History(10), presence, {name: 'chat-b', logger: recordingLogger([]), timing})
      closers.push(
        () => exchange.close(),
        () => presence.close(),
        () => bus.close(),
        () => observer.close(),
      )
      presence.start()
      startExchange(bus, exchange, recordingLogger([]))
      const asker = new MemoryBus(hub, {name: 'asker'})
      const other = new MemoryBus(hub, {name: 'other'})
      closers.push(
        () => asker.close(),
        () => other.close(),
      )
      const request = (nonce, attempt, answered = []) => JSON.stringify({type: 'history-request', from: 'chat-z', nonce, attempt, answered})
      asker.publishAux('history', request('n1', 1))
      asker.publishAux('history', request('n1', 1))
      asker.publishAux('history', request('n1', 2))
      other.publishAux('history', request('n3', 1, [bus.guidPrefix]))
      const ends = (to) => observer.seen.history.filter((f) => f.type === 'history-end' && f.to === to)
      await eventually(() => ends(asker.guidPrefix).length >= 2)
      // Then a second nonce from the same participant (within its rate: 2 requests/s, burst 10).
      asker.publishAux('history', request('n2', 1))
      await new Promise((resolve) => setTimeout(resolve, 100))
      assert.deepEqual(
        ends(asker.guidPrefix).map((f) => f.nonce),
        ['n1', 'n1'],
        'attempt 1 once, attempt 2 once, and never n2',
      )
      assert.deepEqual(ends(other.guidPrefix), [], 'other listed chat-b as answered')
    })

    it('answers one of 20 forged requests from one participant: 10 more pass the rate limit and are refused for their nonce, 10 are counted as rate limited', async () => {
      const hub = new MemoryHub()
      const observer = recordedBus(hub, 'observer')
      const bus = new MemoryBus(hub, {name: 'chat-b'})
      const lines = []
      const presence = new ClusterPresence(bus, {name: 'chat-b', url: 'ws://b/', logger: recordingLogger([])}, () => {})
      const exchange = new HistoryExchange(bus, new History(10), presence, {name: 'chat-b', logger: recordingLogger([]), timing})
      const reconciler = /** @type {any} */ ({onRequest() {}, onAnswer() {}, onEnd() {}, onSync() {}})
      const counters = metrics()
      new ControlPlane(bus, {maxSampleBytes: 1 << 20, metrics: counters, logger: recordingLogger(lines), exchange, reconciler, presence}).start()
      exchange.start()
      presence.start()
      const forger = new MemoryBus(hub, {name: 'forger'})
      closers.push(
        () => exchange.close(),
        () => presence.close(),
        () => bus.close(),
        () => observer.close(),
        () => forger.close(),
      )
      for (let i = 0; i < 20; i++)
        forger.publishAux('history', JSON.stringify({type: 'history-request', from: `fake-${i}`, nonce: `n${i}`, attempt: 1, answered: []}))
      await eventually(() => observer.seen.history.some((f) => f.type === 'history-end'))
      await tick()
      assert.deepEqual(
        observer.seen.history.filter((f) => f.type === 'history-end').map((f) => f.nonce),
        ['n0'],
      )
      const text = await counters.registry.metrics()
      assert.match(text, /chatdds_dds_samples_ignored_total\{topic="history",reason="rate_limited"\} 10\n/)
      assert.equal(lines.filter((line) => line.startsWith('warning: Ignored a history-request (rate limited) from forger')).length, 1)
    })
  })
})
