// An instance stalls (SIGSTOP) for longer than the DDS lease while every instance sends 100
// messages/s: once it resumes, the cluster reconciles. Every client has every acknowledged message
// of every sender exactly once, in each sender's order, and presence agrees everywhere again.
import assert from 'node:assert/strict'
import {startInstances} from '../commands/serveSupport.js'
import {killAll} from '../helpers.js'
import {runFault, stall} from './faultSupport.js'

describe('a stalled instance (SIGSTOP longer than the lease), real processes', function () {
  this.timeout(180_000)
  afterEach(() => killAll())

  for (const seconds of [10, 30]) {
    it(`${seconds} s stall of 1 of 3 instances: every message everywhere exactly once and in order, presence whole again within 10 s`, async () => {
      const instances = await startInstances(3, {prefix: `stall${seconds}`})
      const victim = instances[2]
      // 3 receivers on each of 3 instances are in the room.
      const result = await runFault(instances, stall(victim), {seconds, members: 9})
      console.log(`      presence agreed ${(result.presenceMs / 1000).toFixed(1)} s and everything arrived ${(result.reconcileMs / 1000).toFixed(1)} s after SIGCONT`)
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
