// Several real `chatdds serve` processes on one random DDS domain, and foreign (non-chatdds) DDS programs.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import path from 'node:path'
import {eventually, killAll, randomDomain, root, start} from '../helpers.js'
import {openSocket, startServe} from './serveSupport.js'

const foreign = (program) => path.join(root, 'test', 'foreign', 'build', program)

/** Resolves once every instance has matched this many readers and writers (its own included). */
async function matched(instances, readers, writers = readers, timeoutMs = 30_000) {
  await eventually(async () => {
    for (const {port} of instances) {
      const status = await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()
      if (status.matchedReaders < readers || status.matchedWriters < writers) return false
    }
    return true
  }, timeoutMs)
}

async function startCluster(n, domain) {
  const instances = await Promise.all(
    Array.from({length: n}, (_, i) => startServe(['--domain', String(domain), '--name', `e2e-${i + 1}`, '--quiet'], {domain: false})),
  )
  await matched(instances, n)
  return instances
}

describe('chatdds serve end to end (DDS)', function () {
  this.timeout(120_000)
  afterEach(() => killAll())

  it("a plain client's hello reaches every plain client of both instances exactly once", async () => {
    const instances = await startCluster(2, randomDomain())
    const clients = []
    for (const {port} of instances) for (let i = 0; i < 3; i++) clients.push(await openSocket(port))
    clients[0].send('hello')
    await eventually(() => clients.every((ws) => ws.texts.length >= 1))
    // A second message proves the first is not followed by a late duplicate.
    clients[4].send('bye')
    await eventually(() => clients.every((ws) => ws.texts.length >= 2))
    for (const ws of clients) assert.deepEqual(ws.texts, ['hello', 'bye'])
  })

  it('burst: 3 instances × (50 plain clients + 1 sender) × 1000 messages, every client gets all 3000 exactly once', async () => {
    const INSTANCES = 3
    const LISTENERS = 50
    const PER_SENDER = 1000
    const instances = await startCluster(INSTANCES, randomDomain())
    /** @type {Array<import('./serveSupport.js').RecordingSocket & {counts?: Map<string, number>, received?: number, outOfOrder?: number, lastBySender?: Map<string, number>}>} */
    const clients = []
    const senders = []
    for (const {port} of instances) {
      for (let i = 0; i < LISTENERS; i++) clients.push(await openSocket(port))
      const sender = await openSocket(port)
      senders.push(sender)
      clients.push(sender)
    }
    const total = INSTANCES * PER_SENDER
    // Count instead of keeping texts: 153 clients × 3000 messages.
    for (const ws of clients) {
      ws.removeAllListeners('message')
      ws.counts = new Map()
      ws.received = 0
      ws.outOfOrder = 0
      ws.lastBySender = new Map()
      ws.on('message', (data) => {
        const text = data.toString()
        ws.received++
        ws.counts.set(text, (ws.counts.get(text) ?? 0) + 1)
        const [sender, n] = text.split(':')
        if ((ws.lastBySender.get(sender) ?? -1) >= Number(n)) ws.outOfOrder++
        ws.lastBySender.set(sender, Number(n))
      })
    }
    senders.forEach((ws, s) => {
      for (let n = 0; n < PER_SENDER; n++) ws.send(`s${s}:${n}`)
    })
    await eventually(() => clients.every((ws) => ws.received >= total), 90_000, 200)
    await new Promise((resolve) => setTimeout(resolve, 500))
    for (const [i, ws] of clients.entries()) {
      let lost = 0
      let duplicates = 0
      for (let s = 0; s < INSTANCES; s++) {
        for (let n = 0; n < PER_SENDER; n++) {
          const count = ws.counts.get(`s${s}:${n}`) ?? 0
          if (count === 0) lost++
          if (count > 1) duplicates += count - 1
        }
      }
      assert.deepEqual(
        {client: i, lost, duplicates, received: ws.received, outOfOrder: ws.outOfOrder},
        {client: i, lost: 0, duplicates: 0, received: total, outOfOrder: 0},
      )
    }
  })

  describe('with foreign DDS programs', () => {
    before(function () {
      this.timeout(300_000)
      execFileSync('make', ['-s', '-C', path.join(root, 'test', 'foreign')], {stdio: 'inherit'})
    })

    it('foreign-sub receives exactly the text a plain client sent', async () => {
      const domain = randomDomain()
      const sub = start(foreign('foreign-sub'), ['--count', '1', '--domain', String(domain), '--timeout', '60'])
      const [instance] = await startCluster(1, domain)
      await matched([instance], 2, 1)
      const ws = await openSocket(instance.port)
      ws.send('hello')
      assert.deepEqual(await sub.exited, {code: 0, signal: null})
      assert.match(sub.output(), /^hello$/m)
      const stdout = sub
        .output()
        .split('\n')
        .filter((line) => !line.startsWith('foreign-sub:'))
      assert.deepEqual(stdout.filter(Boolean), ['hello'])
    })

    it("foreign-pub's samples reach every plain client as exactly their text, and chatdds.v1 clients as plain messages", async () => {
      const domain = randomDomain()
      const instances = await startCluster(2, domain)
      const plain = []
      for (const {port} of instances) for (let i = 0; i < 2; i++) plain.push(await openSocket(port))
      const v1 = await openSocket(instances[1].port, 'chatdds.v1')
      v1.send(JSON.stringify({type: 'join', room: 'general', ref: 'j'}))
      await eventually(() => v1.texts.some((t) => JSON.parse(t).type === 'joined'))
      const pub = start(foreign('foreign-pub'), ['--count', '5', '--domain', String(domain), '--prefix', 'from foreign ', '--wait-readers', '2'])
      assert.equal((await pub.exited).code, 0, pub.output())
      const expected = [0, 1, 2, 3, 4].map((i) => `from foreign ${i}`)
      await eventually(() => plain.every((ws) => ws.texts.length >= 5))
      for (const ws of plain) assert.deepEqual(ws.texts, expected)
      await eventually(() => v1.texts.filter((t) => JSON.parse(t).type === 'message').length === 5)
      const messages = v1.texts.map((t) => JSON.parse(t)).filter((f) => f.type === 'message')
      assert.deepEqual(
        messages.map((m) => [m.room, m.from, m.origin, m.text]),
        expected.map((text) => ['general', null, null, text]),
      )
      for (const m of messages) assert.match(m.id, /^[0-9a-f]{32}:\d+$/)
    })
  })
})
