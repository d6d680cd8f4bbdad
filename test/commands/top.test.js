// End to end: `chatdds cluster top --once [--json]` against a real `cluster up -n 2 --detach` with known clients and messages.
import assert from 'node:assert/strict'
import {accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {isClusterInstance} from '../../dist/lib/cluster/processes.js'
import {freeRange} from '../clusterSupport.js'
import {cli, eventually, killAll, randomDomain, runCli, start, waitForOutput} from '../helpers.js'
import {openSocket, unwrap} from './serveSupport.js'

const READY_MS = 90_000
const SENT = 5

describe('chatdds cluster top', function () {
  this.timeout(180_000)
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chatdds-top-'))
  /** @type {import('./serveSupport.js').RecordingSocket[]} */
  const sockets = []
  let manifest

  /** `cluster top --once --json` as an object. */
  async function topJson() {
    const top = await runCli(['cluster', 'top', '--once', '--json', '--interval', '0.5', '--dir', dir])
    assert.equal(top.code, 0, top.stderr)
    return JSON.parse(top.stdout)
  }
  const byName = (frame) => Object.fromEntries(frame.instances.map((instance) => [instance.name, instance]))

  before(async () => {
    const base = await freeRange(2)
    const up = await runCli(['cluster', 'up', '-n', '2', '--detach', '--json', '--domain', String(randomDomain()), '--base-port', String(base), '--dir', dir], {
      timeoutMs: READY_MS,
    })
    assert.equal(up.code, 0, up.stderr + up.stdout)
    manifest = JSON.parse(up.stdout)
    const [first, second] = manifest.instances
    // Plain clients: every message of general reaches each of them, the sender included.
    for (const port of [first.port, first.port, second.port]) sockets.push(await openSocket(port))
  })

  after(async () => {
    for (const socket of sockets) socket.terminate()
    await runCli(['cluster', 'down', '--dir', dir]).catch(() => {})
    if (existsSync(path.join(dir, 'cluster.json'))) {
      const left = JSON.parse(readFileSync(path.join(dir, 'cluster.json'), 'utf8'))
      for (const instance of left.instances) if (isClusterInstance(left, instance)) process.kill(instance.pid, 'SIGKILL')
    }
    await killAll()
    rmSync(dir, {recursive: true, force: true})
  })

  it('--once --json: every instance ready with its exact clients, rooms and peer; message counts grow by what was sent; totals are the sums', async () => {
    await eventually(async () => {
      const frame = byName(await topJson())
      return frame['chat-1'].clients === 2 && frame['chat-2'].clients === 1
    }, 30_000)
    const before = byName(await topJson())

    const sender = sockets[2]
    for (let i = 0; i < SENT; i++) sender.send(`top test message ${i}`)
    await eventually(() => sockets.every((socket) => socket.texts.length === SENT), 30_000)

    const frame = await topJson()
    assert.deepEqual(Object.keys(frame).sort(), ['at', 'domain', 'instances', 'intervalSeconds', 'latencyWindow', 'runDir', 'totals'])
    assert.equal(frame.runDir, manifest.runDir)
    assert.equal(frame.domain, manifest.domain)
    assert.equal(frame.latencyWindow, 'all')
    assert.deepEqual(
      frame.instances.map(({name, state, alive, ready, clients, rooms, peers}) => ({name, state, alive, ready, clients, rooms, peers})),
      [
        {name: 'chat-1', state: 'ready', alive: true, ready: true, clients: 2, rooms: 1, peers: ['chat-2']},
        {name: 'chat-2', state: 'ready', alive: true, ready: true, clients: 1, rooms: 1, peers: ['chat-1']},
      ],
    )
    const now = byName(frame)
    // In: the sender's 5, at chat-2 only. Out: 5 to each plain client (2 on chat-1, the sender on chat-2).
    assert.equal(now['chat-1'].messagesIn - before['chat-1'].messagesIn, 0)
    assert.equal(now['chat-2'].messagesIn - before['chat-2'].messagesIn, SENT)
    assert.equal(now['chat-1'].messagesOut - before['chat-1'].messagesOut, 2 * SENT)
    assert.equal(now['chat-2'].messagesOut - before['chat-2'].messagesOut, SENT)
    for (const instance of frame.instances) {
      // Nothing was sent between the two scrapes of this frame.
      assert.equal(instance.messagesInPerSecond, 0, instance.name)
      assert.equal(instance.messagesOutPerSecond, 0, instance.name)
      // Each instance has received at least the 5 messages, so its histogram has them.
      assert.equal(typeof instance.latencyP50Ms, 'number', instance.name)
      assert.ok(
        instance.latencyP50Ms > 0 && instance.latencyP50Ms <= instance.latencyP99Ms,
        `${instance.name}: p50 ${instance.latencyP50Ms}, p99 ${instance.latencyP99Ms}`,
      )
      assert.ok(instance.rssBytes > 0, instance.name)
      assert.ok(Number.isInteger(instance.uptimeSeconds) && instance.uptimeSeconds >= 0, instance.name)
      assert.equal(instance.pid, manifest.instances.find((i) => i.name === instance.name).pid)
    }
    const sum = (field) => frame.instances.reduce((total, instance) => total + instance[field], 0)
    assert.deepEqual(
      {...frame.totals, latencyP50Ms: typeof frame.totals.latencyP50Ms, latencyP99Ms: typeof frame.totals.latencyP99Ms},
      {
        instances: 2,
        ready: 2,
        clients: 3,
        messagesIn: sum('messagesIn'),
        messagesOut: sum('messagesOut'),
        messagesInPerSecond: 0,
        messagesOutPerSecond: 0,
        latencyP50Ms: 'number',
        latencyP99Ms: 'number',
        rssBytes: sum('rssBytes'),
      },
    )
  })

  it('--once: one frame with a row per instance and the TOTAL line, no colour in a pipe', async () => {
    const top = await runCli(['cluster', 'top', '--once', '--interval', '0.5', '--dir', dir])
    assert.equal(top.code, 0, top.stderr)
    assert.match(top.stdout, /^NAME +STATE +CLIENTS +ROOMS +IN\/s +OUT\/s +P50 ms +P99 ms +PEERS +RSS +UPTIME$/m)
    assert.match(top.stdout, /^chat-1 +ready +2 +1 +0\.0 +0\.0 +[\d.]+ +[\d.]+ +1 +\d+ MiB +\S+$/m)
    assert.match(top.stdout, /^chat-2 +ready +1 +1 +0\.0 +0\.0 +[\d.]+ +[\d.]+ +1 +\d+ MiB +\S+$/m)
    assert.match(top.stdout, /^TOTAL 2\/2 ready · 3 clients · in 0\.0\/s \(\d+\) · out 0\.0\/s \(\d+\) · p50 [\d.]+ ms · p99 [\d.]+ ms · RSS \d+ MiB$/m)
    assert.ok(!top.stdout.includes('\u001b['), 'colour codes in a pipe')
    assert.equal(top.stdout.trim().split('\n').length, 5)
  })

  for (const [key, label] of [
    ['q', 'q'],
    ['\u0003', 'Ctrl-C'],
  ])
    it(`on a terminal: redraws until ${label}, exits 0 and gives the terminal back (cooked mode, echo, cursor)`, async function () {
      try {
        accessSync('/usr/bin/script', constants.X_OK)
      } catch {
        return this.skip() // util-linux's script(1) gives the command a pseudo-terminal
      }
      // A pseudo-terminal of 30 rows (log-update draws only what fits); after top, stty shows the terminal's modes.
      const shell = `stty rows 30 cols 160; ${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} cluster top --interval 0.3 --dir ${JSON.stringify(dir)}; echo "EXIT=$?"; stty -a`
      const terminal = start('/usr/bin/script', ['-qfec', shell, '/dev/null'], {env: {...process.env, npm_command: ''}})
      // Two frames drawn: raw mode is on by then.
      await waitForOutput(terminal, (output) => output.split('TOTAL 2/2 ready').length > 2, 30_000)
      terminal.stdin.write(key)
      await waitForOutput(terminal, (output) => /EXIT=\d+[\s\S]*echoctl/.test(output), 30_000)
      terminal.stdin.end()
      const output = terminal.output()
      assert.match(output, /EXIT=0\r?\n/)
      const modes = output.slice(output.indexOf('EXIT='))
      assert.match(modes, / icanon /)
      assert.match(modes, / echo /)
      // log-update hid the cursor while drawing and shows it again.
      assert.ok(output.lastIndexOf('\u001b[?25h') > output.lastIndexOf('\u001b[?25l'), 'the cursor is still hidden')
      assert.match(output, /chat-1 +\S*ready/)
    })

  it('no cluster in --dir: exit 1 with a sentence saying how to start one; a bad --interval is exit 2', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'chatdds-top-empty-'))
    try {
      // As installed (not through npx), the suggestion is plain `chatdds`.
      const top = await runCli(['cluster', 'top', '--once', '--dir', empty], {env: {npm_command: ''}})
      assert.equal(top.code, 1)
      assert.equal(unwrap(top.stderr).trim(), `Error: No cluster in ${empty}; start one with \`chatdds cluster up\`, or pass the --dir it used.`)
      const bad = await runCli(['cluster', 'top', '--once', '--interval', '0', '--dir', empty])
      assert.equal(bad.code, 2, bad.stderr)
    } finally {
      rmSync(empty, {recursive: true, force: true})
    }
  })
})
