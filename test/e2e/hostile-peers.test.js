// A DDS program that is not chatdds writes junk on chatdds's auxiliary topics: the instance logs it,
// stays up, and its clients keep getting messages.
import assert from 'node:assert/strict'
import path from 'node:path'
import {killAll, randomDomain, root, start} from '../helpers.js'
import {getJson, openSocket, openV1, startServe} from '../commands/serveSupport.js'
import {eventually} from '../helpers.js'

const ddsPeer = path.join(root, 'test', 'lib', 'dds', 'fixtures', 'dds-peer.js')

describe('hostile DDS peers (real instance over DDS)', function () {
  this.timeout(60_000)
  afterEach(() => killAll())

  it('survives malformed samples on chatdds History and chatdds Presence and keeps delivering', async () => {
    const domain = randomDomain()
    const {child, port} = await startServe(['--domain', String(domain), '--name', 'target'], {domain: false})
    const junk = {
      'chatdds History': [
        'not json',
        '[1,2,3]',
        '{"type":"history-request"}',
        '{"type":"history-request","from":7,"nonce":{}}',
        '{"type":"history","to":"target","room":5,"messages":"nope"}',
        '{"type":"history","to":"target","nonce":"x","room":"r","messages":[{"id":1},null,"x",{"id":"a:1","writer":"a","seq":"1","message":3}]}',
      ],
      'chatdds Presence': [
        'not json',
        '{"instance":"ghost","url":"ws://127.0.0.1:1/","rooms":"bad"}',
        '{"instance":"ghost","url":"ws://127.0.0.1:1/","rooms":{"r":[1,null,{"x":1}]}}',
        '{"instance":"","url":5}',
      ],
    }
    for (const [topic, texts] of Object.entries(junk)) {
      const peer = start(process.execPath, [ddsPeer, 'topic', String(domain), topic, ...texts])
      assert.equal((await peer.exited).code, 0, peer.output())
    }
    const ws = await openSocket(port)
    ws.send('still here')
    const deadline = Date.now() + 15_000
    while (!ws.texts.includes('still here') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    assert.deepEqual(ws.texts, ['still here'])
    assert.equal(child.exitCode, null, child.output())
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200)
    assert.doesNotMatch(child.output(), /TypeError|RangeError|Unhandled|at .*\.js:\d+/)
    // The junk did arrive, and was named as such.
    assert.match(child.output(), /warning: Ignored a malformed history sample from binding-test-topic/)
    assert.match(child.output(), /warning: Ignored a malformed presence snapshot from binding-test-topic/)
    ws.close()
  })

  /** Writes `texts` on `topic` from a foreign participant (binding-test-topic) and waits until it is done. */
  async function foreignWrite(domain, topic, ...texts) {
    const peer = start(process.execPath, [ddsPeer, 'topic', String(domain), topic, ...texts])
    assert.equal((await peer.exited).code, 0, peer.output())
  }

  const metric = async (port, series) => {
    const line = (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).split('\n').find((l) => l.startsWith(series + ' '))
    return line === undefined ? undefined : Number(line.slice(series.length + 1))
  }

  it('drops a 32 MiB sample on User Messages with a warning and a metric; no client is closed, the next message arrives', async () => {
    const domain = randomDomain()
    const {child, port} = await startServe(['--domain', String(domain), '--name', 'target'], {domain: false})
    const plain = await openSocket(port)
    const v1 = await openV1(port, 'reader')
    await v1.request({type: 'join', room: 'general'})
    await foreignWrite(domain, 'User Messages', `@repeat:${32 * 1024 * 1024}:x`, 'after the big one')
    await eventually(() => plain.texts.length === 1 && v1.ofType('message').length === 1, 20_000)
    assert.deepEqual(plain.texts, ['after the big one'])
    assert.deepEqual(
      v1.ofType('message').map((m) => m.text),
      ['after the big one'],
    )
    assert.equal(plain.readyState, 1)
    assert.equal(v1.readyState, 1)
    assert.equal(await metric(port, 'chatdds_dds_samples_ignored_total{topic="messages",reason="too_large"}'), 1)
    assert.match(child.output(), /warning: Dropped DDS sample \w+:1 from binding-test-topic: 33554432 bytes, over the 1048576-byte bound/)
    plain.close()
    v1.close()
  })

  it('ignores malformed batches on chatdds Messages with one warning and a metric each; a well-formed one is delivered, and so is the next message', async () => {
    const domain = randomDomain()
    const {child, port} = await startServe(['--domain', String(domain), '--name', 'target'], {domain: false})
    const plain = await openSocket(port)
    const v1 = await openV1(port, 'reader')
    await v1.request({type: 'join', room: 'general'})
    const malformed = [
      'not a batch',
      'chatdds-batch 1 x 1\n0 1\nx',
      'chatdds-batch 1 1 2\n0 5\nhello',
      'chatdds-batch 1 3 1\n0 99\nshort',
      'chatdds-batch 1 4 1\n0 2\nhi and more',
    ]
    const wellFormed = 'chatdds-batch 1 1 2\n1764115200000 5\nfirst1764115200000 6\nsecond'
    await foreignWrite(domain, 'chatdds Messages', ...malformed, wellFormed)
    await eventually(() => plain.texts.length === 2 && v1.ofType('message').length === 2, 20_000)
    plain.send('still here')
    await eventually(() => plain.texts.length === 3 && v1.ofType('message').length === 3, 20_000)
    assert.deepEqual(plain.texts, ['first', 'second', 'still here'])
    const messages = v1.ofType('message')
    assert.deepEqual(
      messages.map((m) => [m.text, m.ts, m.from]),
      [
        ['first', 1764115200000, null],
        ['second', 1764115200000, null],
        ['still here', messages[2].ts, null],
      ],
    )
    // The batch's ids: the writer's GUID and the batch's own numbering.
    assert.match(messages[0].id, /^[0-9a-f]{32}:1$/)
    assert.equal(messages[1].id, messages[0].id.replace(/:1$/, ':2'))
    assert.equal(await metric(port, 'chatdds_dds_samples_ignored_total{topic="messages",reason="malformed_batch"}'), malformed.length)
    // One warning per writer every 10 s at most, naming the writer and what was wrong with the first.
    const warnings = child.output().match(/warning: Ignored a malformed batch of chatdds Messages from binding-test-topic: .*/g)
    assert.deepEqual(warnings, ['warning: Ignored a malformed batch of chatdds Messages from binding-test-topic: not a chatdds batch'])
    assert.equal(child.exitCode, null)
    assert.doesNotMatch(child.output(), /TypeError|RangeError|Unhandled|at .*\.js:\d+/)
    plain.close()
    v1.close()
  })

  it('ignores a presence snapshot that names another participant: no planted fail-over URL', async () => {
    const domain = randomDomain()
    const {child, port} = await startServe(['--domain', String(domain), '--name', 'target'], {domain: false})
    const forged = JSON.stringify({instance: 'evil', participant: '0102030405060708090a0b0c', url: 'ws://127.0.0.1:1/', rooms: {general: ['mallory']}})
    await foreignWrite(domain, 'chatdds Presence', forged)
    await eventually(() => /Ignored a presence snapshot from binding-test-topic that names another participant \(0102030405060708090a0b0c\)/.test(child.output()))
    const client = await openV1(port, 'alice')
    assert.deepEqual(
      client.ofType('hello')[0].instances.map((i) => i.name),
      ['target'],
    )
    assert.deepEqual((await getJson(port, '/presence')).rooms, {})
    assert.equal(await metric(port, 'chatdds_dds_samples_ignored_total{topic="presence",reason="forged"}'), 1)
    client.close()
  })

  it('answers 1 of 20 forged history requests from one participant and counts 10 as rate limited', async () => {
    const domain = randomDomain()
    const {child, port} = await startServe(['--domain', String(domain), '--name', 'target'], {domain: false})
    const requests = Array.from({length: 20}, (_, i) => JSON.stringify({type: 'history-request', from: `fake-${i}`, nonce: `n${i}`, attempt: 1, answered: []}))
    await foreignWrite(domain, 'chatdds History', ...requests)
    await eventually(async () => (await metric(port, 'chatdds_dds_samples_ignored_total{topic="history",reason="rate_limited"}')) === 10)
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.deepEqual(child.output().match(/Handed \d+ messages? of \d+ rooms? over to \S+/g), ['Handed 0 messages of 0 rooms over to fake-0'])
  })

  it('lets one client join at most 100 rooms: the rest are refused with too_many_rooms, others unaffected', async () => {
    const {port} = await startServe()
    const greedy = await openV1(port, 'greedy')
    const other = await openV1(port, 'other')
    await other.request({type: 'join', room: 'r0'})
    for (let i = 0; i < 150; i++) greedy.send(JSON.stringify({type: 'join', room: `r${i}`, ref: i}))
    await eventually(() => greedy.frames.filter((f) => typeof f.ref === 'number').length === 150)
    const answers = greedy.frames.filter((f) => typeof f.ref === 'number')
    assert.deepEqual(
      answers.filter((a) => a.type === 'joined').map((a) => a.ref),
      Array.from({length: 100}, (_, i) => i),
    )
    assert.equal(answers.filter((a) => a.type === 'joined').length, 100)
    const refused = answers.filter((a) => a.type === 'error')
    assert.equal(refused.length, 50)
    assert.deepEqual(refused[0], {
      type: 'error',
      code: 'too_many_rooms',
      message: 'This connection is in 100 rooms already, the most it may be in; leave one first.',
      ref: refused[0].ref,
    })
    assert.equal(Object.keys((await getJson(port, '/presence')).rooms).length, 100)
    await other.request({type: 'send', room: 'r0', text: 'still fine'})
    await eventually(() => other.ofType('message').some((m) => m.text === 'still fine'))
    greedy.close()
    other.close()
  })
})
