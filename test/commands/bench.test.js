// End to end: `chatdds bench` against a real `cluster up -n 2`, and against a server that drops a known number of messages.
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {isClusterInstance} from '../../dist/lib/cluster/processes.js'
import {randomDomain, runCli} from '../helpers.js'
import {startDroppingServer} from './benchSupport.js'
import {freeRange} from '../clusterSupport.js'

const FIELDS = ['delivered', 'lost', 'duplicated', 'deliveriesPerSecond', 'p50Ms', 'p99Ms', 'maxMs', 'clients', 'messages', 'expected', 'rateLimited']

/** oclif wraps error messages at 80 columns behind " ›   "; tests match the sentence, not the layout. */
const oneLine = (/** @type {string} */ text) => text.replace(/\s*\n ›\s+/g, ' ')

/** The last stdout line, parsed: what `--json` promises. @param {string} stdout */
const lastJson = (stdout) => JSON.parse(stdout.trim().split('\n').at(-1) ?? '')

/** @param {Record<string, unknown>} result */
function assertFields(result) {
  for (const field of FIELDS) assert.equal(typeof result[field], 'number', `${field} is a number in ${JSON.stringify(result)}`)
  assert.ok(Array.isArray(result.histogram))
}

describe('chatdds bench', function () {
  this.timeout(180_000)

  describe('against a healthy cluster up -n 2', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'chatdds-bench-'))
    const runDir = path.join(dir, 'run')

    before(async () => {
      const base = await freeRange(2)
      const up = await runCli(['cluster', 'up', '-n', '2', '--detach', '--domain', String(randomDomain()), '--base-port', String(base), '--dir', runDir], {
        timeoutMs: 90_000,
      })
      assert.equal(up.code, 0, up.stderr)
    })

    after(async () => {
      await runCli(['cluster', 'down', '--dir', runDir])
      if (existsSync(path.join(runDir, 'cluster.json'))) {
        const manifest = JSON.parse(readFileSync(path.join(runDir, 'cluster.json'), 'utf8'))
        for (const instance of manifest.instances) if (isClusterInstance(manifest, instance)) process.kill(instance.pid, 'SIGKILL')
      }
      rmSync(dir, {recursive: true, force: true})
    })

    it('--shape fanout: every message of both senders reaches all 6 receivers exactly once, exit 0', async () => {
      const run = await runCli(['bench', '--dir', runDir, '--json', '--shape', 'fanout', '--clients', '6', '--messages', '50'], {timeoutMs: 60_000})
      assert.equal(run.code, 0, run.stderr)
      // Not a terminal, and --json: no progress bar; nothing refused: no note.
      assert.equal(run.stderr, '')
      const result = lastJson(run.stdout)
      assertFields(result)
      // One sender per instance, each message to every receiver.
      const expected = 2 * 50 * 6
      assert.deepEqual(
        {
          shape: result.shape,
          senders: result.senders,
          clients: result.clients,
          expected: result.expected,
          delivered: result.delivered,
          lost: result.lost,
          duplicated: result.duplicated,
        },
        {shape: 'fanout', senders: 2, clients: 6, expected, delivered: expected, lost: 0, duplicated: 0},
      )
      assert.deepEqual(result.instances, ['chat-1', 'chat-2'])
      assert.equal(
        result.histogram.reduce((/** @type {number} */ sum, /** @type {{count: number}} */ bucket) => sum + bucket.count, 0),
        expected,
      )
    })

    it('--shape rate: rooms of 3 receivers, one sender each; every delivery arrives exactly once, exit 0', async () => {
      const run = await runCli(['bench', '--dir', runDir, '--json', '--shape', 'rate', '--clients', '6', '--messages', '50'], {timeoutMs: 60_000})
      assert.equal(run.code, 0, run.stderr)
      const result = lastJson(run.stdout)
      assertFields(result)
      // 6 receivers = 2 rooms of 3, one sender per room.
      const expected = 2 * 50 * 3
      assert.deepEqual(
        {
          shape: result.shape,
          rooms: result.rooms,
          senders: result.senders,
          expected: result.expected,
          delivered: result.delivered,
          lost: result.lost,
          duplicated: result.duplicated,
        },
        {shape: 'rate', rooms: 2, senders: 2, expected, delivered: expected, lost: 0, duplicated: 0},
      )
    })

    it('prints the report with the counts and a histogram drawn in block characters', async () => {
      const run = await runCli(['bench', '--dir', runDir, '--clients', '4', '--messages', '20'], {timeoutMs: 60_000})
      assert.equal(run.code, 0, run.stderr)
      assert.match(run.stdout, /^fanout: 2 senders → 4 receivers in 1 room, over chat-1 \(\d+\), chat-2 \(\d+\)$/m)
      assert.match(run.stdout, /^delivered {4}160 of 160 in /m)
      assert.match(run.stdout, /^lost {9}0 {3}duplicated 0 /m)
      assert.match(run.stdout, /^latency of 160 deliveries$/m)
      assert.match(run.stdout, /│█*[▏▎▍▌▋▊▉]? +\d+ {2}\d+\.\d %$/m)
    })
  })

  describe('against a server that drops messages', () => {
    /** @type {Awaited<ReturnType<typeof startDroppingServer>> | undefined} */
    let server
    afterEach(async () => {
      await server?.close()
      server = undefined
    })

    it('reports exactly the dropped messages as lost (every 10th of 50, to 3 receivers) and exits 1 with the sentence', async () => {
      server = await startDroppingServer({dropEvery: 10})
      const run = await runCli(['bench', '--port', String(server.port), '--json', '--clients', '3', '--messages', '50', '--timeout', '5'], {timeoutMs: 60_000})
      assert.equal(server.counts.dropped, 5)
      assert.equal(run.code, 1, run.stderr)
      const result = lastJson(run.stdout)
      assertFields(result)
      assert.deepEqual(
        {expected: result.expected, delivered: result.delivered, lost: result.lost, duplicated: result.duplicated},
        {expected: 150, delivered: 135, lost: 15, duplicated: 0},
      )
      assert.match(oneLine(run.stderr), /^Error: 15 of 150 deliveries were lost and 0 duplicated; check the servers' logs\.$/m)
    })

    it('counts rate_limited refusals, sends those messages again, and loses nothing', async () => {
      server = await startDroppingServer({rateLimited: 7})
      const run = await runCli(['bench', '--port', String(server.port), '--json', '--clients', '2', '--messages', '30'], {timeoutMs: 60_000})
      assert.equal(run.code, 0, run.stderr)
      const result = lastJson(run.stdout)
      assert.deepEqual({rateLimited: result.rateLimited, delivered: result.delivered, lost: result.lost}, {rateLimited: 7, delivered: 60, lost: 0})
      assert.match(oneLine(run.stderr), /The servers refused 7 sends as rate_limited/)
    })
  })

  describe('usage errors exit 2', () => {
    /** @type {Array<[string[], string]>} */
    const cases = [
      [['--clients', '0'], '0 is not an integer from 1 to 1,000.'],
      [['--clients', '1001'], '1001 is not an integer from 1 to 1,000.'],
      [['--messages', '1000001'], '1000001 is not an integer from 1 to 1,000,000.'],
      [['--shape', 'burst'], '--shape is one of fanout, rate, not "burst".'],
      [['--rate', '0'], '0 is not a positive number of messages per second.'],
    ]
    for (const [args, message] of cases) {
      it(`${args.join(' ')}`, async () => {
        const run = await runCli(['bench', '--port', '1', ...args])
        assert.equal(run.code, 2, run.stderr)
        assert.ok(oneLine(run.stderr).includes(message), run.stderr)
      })
    }
  })
})
