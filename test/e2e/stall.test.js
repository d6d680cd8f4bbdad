// An instance stalls (SIGSTOP) for longer than the DDS lease while every instance sends 100
// messages/s: once it resumes, the cluster reconciles. Every client has every acknowledged message
// of every sender exactly once, in each sender's order, and presence agrees everywhere again.
import assert from 'node:assert/strict'
import {startInstances} from '../commands/serveSupport.js'
import {killAll} from '../helpers.js'
import {openClient, runFault, stall} from './faultSupport.js'

describe('a stalled instance (SIGSTOP longer than the lease), real processes', function () {
  this.timeout(180_000)
  afterEach(() => killAll())

  for (const seconds of [10, 30]) {
    it(`${seconds} s stall of 1 of 3 instances: every message everywhere exactly once and in order, presence whole again within 10 s`, async () => {
      const instances = await startInstances(3, {prefix: `stall${seconds}`})
      const victim = instances[2]
      // 3 receivers on each of 3 instances are in the room.
      const result = await runFault(instances, stall(victim), {seconds, members: 9})
      console.log(
        `      presence agreed ${(result.presenceMs / 1000).toFixed(1)} s and everything arrived ${(result.reconcileMs / 1000).toFixed(1)} s after SIGCONT`,
      )
      assert.ok(result.presenceMs < 10_000, 'presence did not agree within 10 s of SIGCONT')
      for (const row of result.rows) {
        assert.ok(row.expected > seconds * 50, `sender ${row.sender} had only ${row.expected} acknowledged messages`)
        assert.deepEqual({...row, gaps: row.gaps.length}, {...row, missing: 0, duplicated: 0, ordered: true, gaps: 0}, JSON.stringify(row))
      }
      // The stalled instance's peers had to repair it, and it them.
      assert.match(victim.child.output(), /Missed \d+ samples of DDS writer \w+ \(sequence numbers \d+-\d+\); asking the peers/)
      assert.doesNotMatch(victim.child.output(), /Lost \d+ message/)
    })
  }
})

describe('a stall longer than the repair bound, real processes', function () {
  this.timeout(120_000)
  afterEach(() => killAll())

  it("tells the stalled instance's clients what is lost (gap frames, exact counts), recovered:false on a resume, a metric; everything else arrives once, in order", async () => {
    // 200 messages per writer kept: a 10 s stall at 100 msg/s is past the bound.
    const instances = await startInstances(3, {prefix: 'bound', extra: ['--repair-depth', '200']})
    const victim = instances[2]
    const result = await runFault(instances, stall(victim), {seconds: 10, members: 9})
    const victimRows = result.rows.filter((row) => row.client.startsWith('bound-3-'))
    const others = result.rows.filter((row) => !row.client.startsWith('bound-3-'))
    // The stalled instance's clients: for each other sender, exactly the lost messages are missing, and a gap frame says how many.
    for (const row of victimRows.filter((r) => r.sender !== 'bound-3')) {
      assert.equal(row.duplicated, 0)
      assert.ok(row.ordered)
      assert.ok(row.missing > 0, JSON.stringify(row))
    }
    const [probe] = result.rows.filter((row) => row.client === 'bound-3-r0')
    const gaps = probe.gaps
    assert.equal(gaps.length, 2, JSON.stringify(gaps))
    for (const gap of gaps) assert.deepEqual(Object.keys(gap).sort(), ['from', 'missing', 'room', 'to', 'type', 'writer'])
    const lostInFrames = gaps.reduce((n, gap) => n + gap.missing, 0)
    const lostForClient = victimRows.filter((r) => r.client === 'bound-3-r0' && r.sender !== 'bound-3').reduce((n, r) => n + r.missing, 0)
    assert.equal(lostInFrames, lostForClient)
    assert.equal(result.unrecovered, lostInFrames)
    // A client resuming from before the gap hears that it may be missing messages.
    const late = await openClient('127.0.0.1', victim.port, 'late')
    const since = Object.fromEntries(gaps.map((gap) => [gap.writer, gap.from - 1]))
    assert.equal((await late.request({type: 'join', room: 'r', since})).recovered, false)
    late.terminate()
    assert.match(victim.child.output(), /warning: Lost \d+ messages of DDS writer \w+ \(sequence numbers \d+-\d+\): no peer holds them any more/)
    // The instances that did not stall lost nothing.
    for (const row of others) assert.deepEqual({...row, gaps: row.gaps.length}, {...row, missing: 0, duplicated: 0, ordered: true, gaps: 0}, JSON.stringify(row))
  })
})
