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

  it('tells every client exactly what it lost (gap frames), recovered:false on a resume, a metric; the rest arrives once, in order', async () => {
    // 200 messages per writer kept: a 10 s stall at 100 msg/s is past the bound.
    const instances = await startInstances(3, {prefix: 'bound', extra: ['--repair-depth', '200']})
    const victim = instances[2]
    const result = await runFault(instances, stall(victim), {seconds: 10, members: 9})
    // Never silent: every client lacks exactly what its gap frames say, and nothing is duplicated or out of order.
    const clients = [...new Set(result.rows.map((row) => row.client))]
    const lost = (client) => result.rows.filter((row) => row.client === client).reduce((n, row) => n + row.missing, 0)
    const told = (client) => result.rows.find((row) => row.client === client).gaps.reduce((n, gap) => n + gap.missing, 0)
    for (const client of clients) assert.equal(lost(client), told(client), `${client}: ${lost(client)} missing, ${told(client)} in gap frames`)
    for (const row of result.rows) assert.deepEqual({duplicated: row.duplicated, ordered: row.ordered}, {duplicated: 0, ordered: true}, JSON.stringify(row))
    // The stalled instance's clients lost messages of each other sender, past what the peers kept.
    const gaps = result.rows.find((row) => row.client === 'bound-3-r0').gaps
    assert.ok(lost('bound-3-r0') > 0)
    assert.deepEqual(new Set(gaps.map((gap) => gap.writer)).size, 2, JSON.stringify(gaps))
    for (const gap of gaps) assert.deepEqual(Object.keys(gap).sort(), ['from', 'missing', 'room', 'to', 'type', 'writer'])
    // The metric counts each instance's losses once (its three clients share them).
    assert.equal(
      result.unrecovered,
      ['bound-1-r0', 'bound-2-r0', 'bound-3-r0'].reduce((n, client) => n + told(client), 0),
    )
    // A client resuming from before the gap hears that it may be missing messages.
    const late = await openClient('127.0.0.1', victim.port, 'late')
    const since = Object.fromEntries(gaps.map((gap) => [gap.writer, gap.from - 1]))
    assert.equal((await late.request({type: 'join', room: 'r', since})).recovered, false)
    late.terminate()
    assert.match(victim.child.output(), /warning: Lost \d+ messages of DDS writer \w+ \(sequence numbers \d+-\d+\): no peer holds them any more/)
  })
})
