// The regression guard of issue 10 (not a timing): a burst of 20,000 messages through 3 real `chatdds serve` instances,
// under the default settings, arrives complete, exactly once and in per-writer order at every receiver of every instance.
// The instances batch messages between themselves on `chatdds Messages`; with a foreign program reading `User Messages`
// they also write each message there, once: that program and every client still get each message exactly once.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import path from 'node:path'

import {eventually, killAll, randomDomain, root, start} from '../helpers.js'
import {getJson, openSocket, startInstances} from '../commands/serveSupport.js'

const INSTANCES = 3
const TOTAL = 20_000
/** With a foreign reader every message is written twice (batch and `User Messages`): a shorter burst. */
const FOREIGN_TOTAL = 6_000
const PLAIN_RECEIVERS = 2
const V1_RECEIVERS = 1
/** A sender has at most this many of its messages not yet back (its own echo): fast, but bounded in memory. */
const WINDOW = 1000
/** Past this the test fails with what is missing, instead of waiting for mocha's timeout. */
const DEADLINE_MS = 120_000

/** Messages of sender `s` (0-based): `total` split as evenly as the senders allow. */
const perSender = (s, total) => Math.floor(total / INSTANCES) + (s < total % INSTANCES ? 1 : 0)

/**
 * What one client got: per sender, how many times each sequence number came (saturating at 255), and how often a
 * sender's number was not above the one before.
 */
class Tally {
  /**
   * @param {string} label
   * @param {number} total
   */
  constructor(label, total) {
    this.label = label
    this.total = total
    this.received = 0
    this.notAscending = 0
    this.counts = Array.from({length: INSTANCES}, (_, s) => new Uint8Array(perSender(s, total)))
    this.last = Array.from({length: INSTANCES}, () => -1)
    /** @type {string[]} */
    this.strays = []
  }

  /** @param {string} text `s<sender>:<n>` */
  add(text) {
    this.received++
    const match = /^s(\d+):(\d+)$/.exec(text)
    const s = match ? Number(match[1]) : -1
    const n = match ? Number(match[2]) : -1
    if (!match || s >= INSTANCES || n >= perSender(s, this.total)) {
      if (this.strays.length < 5) this.strays.push(text)
      return
    }
    if (n <= this.last[s]) this.notAscending++
    this.last[s] = n
    if (this.counts[s][n] < 255) this.counts[s][n]++
  }

  get complete() {
    return this.received >= this.total
  }

  /** Missing and duplicated per sender, with the first missing numbers: what a failure prints. */
  report() {
    const senders = this.counts.map((counts, s) => {
      let missing = 0
      let duplicated = 0
      /** @type {number[]} */
      const firstMissing = []
      counts.forEach((count, n) => {
        if (count === 0) {
          missing++
          if (firstMissing.length < 5) firstMissing.push(n)
        } else duplicated += count - 1
      })
      return {sender: s, missing, duplicated, firstMissing}
    })
    return {client: this.label, received: this.received, notAscending: this.notAscending, strays: this.strays, senders}
  }
}

describe('burst through 3 instances (issue 10 regression guard)', function () {
  this.timeout(DEADLINE_MS + 60_000)
  // Each test's instances go before the next starts: its random domain may be the same.
  afterEach(() => killAll())

  it(`${TOTAL.toLocaleString('en')} messages from a sender on each instance reach every receiver complete, exactly once, in per-writer order (default settings)`, async () => {
    const instances = await startInstances(INSTANCES, {prefix: 'burst', extra: ['--quiet']})
    await burst(instances, TOTAL)
  })

  it(`with a foreign Fast DDS reader of User Messages: it and every receiver get all ${FOREIGN_TOTAL.toLocaleString('en')} exactly once, in per-writer order`, async function () {
    this.timeout(300_000)
    execFileSync('make', ['-s', '-C', path.join(root, 'test', 'foreign')], {stdio: 'inherit'})
    const domain = randomDomain()
    const sub = start(path.join(root, 'test', 'foreign', 'build', 'foreign-sub'), ['--count', String(FOREIGN_TOTAL), '--domain', String(domain), '--timeout', '150'])
    const instances = await startInstances(INSTANCES, {domain, prefix: 'burst-foreign', extra: ['--quiet']})
    // Every instance counts the foreign reader among those its messages go to: its 3 peers' batch readers + foreign-sub.
    await eventually(async () => {
      for (const {port} of instances) if ((await getJson(port, '/readyz')).matchedReaders < INSTANCES + 1) return false
      return true
    }, 30_000)
    await burst(instances, FOREIGN_TOTAL)
    assert.deepEqual(await sub.exited, {code: 0, signal: null}, sub.output().slice(-2000))
    const foreign = new Tally('foreign-sub', FOREIGN_TOTAL)
    for (const line of sub.output().split('\n')) if (line && !line.startsWith('foreign-sub:')) foreign.add(line)
    assert.deepEqual(foreign.report(), expectedReport(foreign.report(), FOREIGN_TOTAL))
  })

  /** What a complete, duplicate-free, ordered report of `total` messages says. */
  function expectedReport(report, total) {
    return {
      client: report.client,
      received: total,
      notAscending: 0,
      strays: [],
      senders: report.senders.map(({sender}) => ({sender, missing: 0, duplicated: 0, firstMissing: []})),
    }
  }

  /** One sender on each instance, 2 plain and 1 chatdds.v1 receivers on each; `total` messages in all. */
  async function burst(instances, total) {
    /** @type {Tally[]} */
    const tallies = []
    const senders = []
    for (const [i, {port}] of instances.entries()) {
      for (let r = 0; r < PLAIN_RECEIVERS; r++) {
        const ws = await openSocket(port)
        const tally = new Tally(`chat-${i + 1} plain receiver ${r}`, total)
        ws.on('message', (data) => tally.add(data.toString()))
        tallies.push(tally)
      }
      for (let r = 0; r < V1_RECEIVERS; r++) {
        const ws = await openSocket(port, 'chatdds.v1')
        const tally = new Tally(`chat-${i + 1} chatdds.v1 receiver ${r}`, total)
        /** @type {(joined: unknown) => void} */
        let onJoined = () => {}
        const joined = new Promise((resolve) => (onJoined = resolve))
        ws.on('message', (data) => {
          const frame = JSON.parse(data.toString())
          if (frame.type === 'message') tally.add(frame.text)
          else if (frame.type === 'joined') onJoined(frame)
        })
        ws.send(JSON.stringify({type: 'join', room: 'general', ref: 'j'}))
        await joined
        tallies.push(tally)
      }
      // The sender is a plain client too: it gets every message, its own included, and counts them like the others.
      const ws = await openSocket(port)
      const tally = new Tally(`chat-${i + 1} sender`, total)
      tallies.push(tally)
      senders.push({ws, tally, index: i, sent: 0, echoed: 0, fill: () => {}})
    }
    for (const sender of senders) {
      const {ws, tally, index} = sender
      sender.fill = () => {
        while (sender.sent < perSender(index, total) && sender.sent - sender.echoed < WINDOW) ws.send(`s${index}:${sender.sent++}`)
      }
      ws.on('message', (data) => {
        const text = data.toString()
        tally.add(text)
        if (text.startsWith(`s${index}:`)) {
          sender.echoed++
          sender.fill()
        }
      })
    }

    const started = Date.now()
    for (const sender of senders) sender.fill()
    const done = await new Promise((resolve) => {
      const timer = setInterval(() => {
        if (tallies.every((tally) => tally.complete)) resolve(true)
        else if (Date.now() - started > DEADLINE_MS) resolve(false)
        else return
        clearInterval(timer)
      }, 100)
    })
    // Whatever else is still coming would be a duplicate: give it a moment to show.
    await new Promise((resolve) => setTimeout(resolve, 500))
    const elapsed = Date.now() - started
    console.log(`      ${total} messages to ${tallies.length} clients in ${(elapsed / 1000).toFixed(1)} s${done ? '' : ' (deadline passed)'}`)

    const reports = tallies.map((tally) => tally.report())
    const expected = reports.map((report) => expectedReport(report, total))
    assert.deepEqual(reports, expected, done ? 'not exactly once and in order' : `not complete within ${DEADLINE_MS / 1000} s`)
    assert.deepEqual(
      senders.map(({sent}) => sent),
      senders.map(({index}) => perSender(index, total)),
    )
    for (const {ws} of senders) ws.close()
  }
})
