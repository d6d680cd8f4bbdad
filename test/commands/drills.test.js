// End to end: the fault drills `chatdds cluster kill / pause / resume / restart / scale` on real clusters.
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {isAlive, isClusterInstance} from '../../dist/lib/cluster/processes.js'
import {eventually, killAll, randomDomain, runCli, startCli, waitForOutput} from '../helpers.js'
import {freeRange} from '../clusterSupport.js'

const READY_MS = 90_000

/** oclif wraps error messages at 80 columns behind " ›   "; tests match the sentence, not the layout. */
const oneLine = (text) => text.replace(/\s*\n ›\s+/g, ' ')

const manifestOf = (dir) => JSON.parse(readFileSync(path.join(dir, 'cluster.json'), 'utf8'))

/** Kills, by pid, every instance the manifest names that still is one of ours. */
function killLeftovers(dir) {
  if (!existsSync(path.join(dir, 'cluster.json'))) return
  const manifest = manifestOf(dir)
  for (const instance of manifest.instances) {
    if (isClusterInstance(manifest, instance)) process.kill(instance.pid, 'SIGKILL')
  }
}

async function clients(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, {headers: {connection: 'close'}})).text()
  return text
    .split('\n')
    .filter((line) => line.startsWith('chatdds_clients{') || line.startsWith('chatdds_clients '))
    .reduce((sum, line) => sum + Number(line.split(/\s+/).at(-1)), 0)
}

/** `cluster status --json`'s instances, by name. */
async function statusOf(dir) {
  const status = await runCli(['cluster', 'status', '--json', '--dir', dir])
  assert.equal(status.code, 0, status.stderr)
  return Object.fromEntries(JSON.parse(status.stdout).instances.map((instance) => [instance.name, instance]))
}

/** The message texts of `tail` output lines ("12:00:00.000 #room name: text"). */
const textsOf = (output) =>
  output
    .split('\n')
    .filter((line) => /^\d\d:\d\d:\d\d\.\d{3} #/.test(line))
    .map((line) => line.slice(line.indexOf(': ') + 2))

const unique = (label) => `${label} ${Math.random().toString(36).slice(2, 10)}`

/** Sends `text` through `fromPort` and checks that a tail on `toPort` (started first) prints exactly it. */
async function assertDelivered(fromPort, toPort, text, room = 'general') {
  const tail = startCli(['tail', '--port', String(toPort), '--room', room, '--count', '1', '--timeout', '60'])
  await eventually(async () => (await clients(toPort)) >= 1, 30_000)
  const send = await runCli(['send', '--port', String(fromPort), '--room', room, text])
  assert.equal(send.code, 0, send.stderr)
  const {code} = await tail.exited
  assert.equal(code, 0, tail.output())
  assert.deepEqual(textsOf(tail.output()), [text])
}

describe('chatdds cluster kill / pause / resume / restart / scale (detached cluster of 3)', function () {
  this.timeout(180_000)
  let dir
  let base
  const port = (name) => base + Number(name.split('-')[1]) - 1

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'chatdds-drills-'))
    base = await freeRange(4)
    const up = await runCli(['cluster', 'up', '-n', '3', '--detach', '--domain', String(randomDomain()), '--base-port', String(base), '--dir', dir], {
      timeoutMs: READY_MS,
    })
    assert.equal(up.code, 0, up.stderr)
  })

  after(async () => {
    await killAll()
    killLeftovers(dir)
    rmSync(dir, {recursive: true, force: true})
  })

  for (const action of ['kill', 'pause', 'resume', 'restart']) {
    it(`${action} of an unknown instance: exit 2, naming it and the instances there are`, async () => {
      const result = await runCli(['cluster', action, 'chat-9', '--dir', dir])
      assert.equal(result.code, 2, result.stderr)
      assert.match(oneLine(result.stderr), /has no instance chat-9; its instances are chat-1, chat-2, chat-3\./)
      const none = await runCli(['cluster', action, '--dir', dir])
      assert.equal(none.code, 2, none.stderr)
      assert.match(oneLine(none.stderr), new RegExp(`Name the instance to ${action}: one of chat-1, chat-2, chat-3 \\(the cluster in `))
    })
  }

  it('kill chat-2: status --json shows it killed, and a message sent on chat-1 still reaches a tail on chat-3', async () => {
    const before = manifestOf(dir).instances.find((instance) => instance.name === 'chat-2')
    const kill = await runCli(['cluster', 'kill', 'chat-2', '--json', '--dir', dir])
    assert.equal(kill.code, 0, kill.stderr)
    const result = JSON.parse(kill.stdout)
    assert.deepEqual(
      {
        action: result.action,
        running: result.running,
        name: result.instance.name,
        pid: result.instance.pid,
        alive: result.instance.alive,
        state: result.instance.state,
      },
      {action: 'kill', running: 2, name: 'chat-2', pid: before.pid, alive: false, state: 'killed'},
    )
    assert.equal(isAlive(before.pid), false)
    const status = await statusOf(dir)
    assert.deepEqual(
      Object.values(status).map(({name, alive, state}) => ({name, alive, state})),
      [
        {name: 'chat-1', alive: true, state: 'ready'},
        {name: 'chat-2', alive: false, state: 'killed'},
        {name: 'chat-3', alive: true, state: 'ready'},
      ],
    )
    await assertDelivered(port('chat-1'), port('chat-3'), unique('after the kill'))

    const again = await runCli(['cluster', 'kill', 'chat-2', '--dir', dir])
    assert.equal(again.code, 1)
    assert.match(oneLine(again.stderr), /chat-2 was killed at \S+; bring it back with `(?:npx )?chatdds cluster restart chat-2 --dir /)
  })

  it('restart chat-2 (killed): same name and port, ready, and its history holds the messages sent while it was dead; its log is appended to', async () => {
    assert.equal((await statusOf(dir))['chat-2'].state, 'killed')
    const room = `drill-${Math.random().toString(36).slice(2, 8)}`
    const whileDead = [unique('sent on chat-1 while chat-2 was dead'), unique('sent on chat-3 while chat-2 was dead')]
    for (const [index, text] of whileDead.entries()) {
      const send = await runCli(['send', '--port', String(port(index === 0 ? 'chat-1' : 'chat-3')), '--room', room, text])
      assert.equal(send.code, 0, send.stderr)
    }
    const {pid: oldPid, log} = manifestOf(dir).instances.find((instance) => instance.name === 'chat-2')
    const oldLog = readFileSync(log, 'utf8')

    const restart = await runCli(['cluster', 'restart', 'chat-2', '--json', '--dir', dir], {timeoutMs: READY_MS})
    assert.equal(restart.code, 0, restart.stderr)
    const {instance} = JSON.parse(restart.stdout)
    assert.deepEqual(
      {name: instance.name, port: instance.port, alive: instance.alive, ready: instance.ready, state: instance.state},
      {name: 'chat-2', port: port('chat-2'), alive: true, ready: true, state: 'ready'},
    )
    assert.notEqual(instance.pid, oldPid)
    assert.equal(manifestOf(dir).instances.find((record) => record.name === 'chat-2').pid, instance.pid)
    assert.equal((await statusOf(dir))['chat-2'].state, 'ready')
    assert.ok(readFileSync(log, 'utf8').startsWith(oldLog), `${log} was not appended to`)

    const history = await runCli(['tail', '--port', String(port('chat-2')), '--room', room, '--history', '10', '--count', '2', '--timeout', '30'])
    assert.equal(history.code, 0, history.stdout + history.stderr)
    assert.deepEqual(textsOf(history.stdout), whileDead)
    await assertDelivered(port('chat-2'), port('chat-1'), unique('through the restarted chat-2'))
  })

  it('pause chat-3: status says paused; resume: ready again and messages flow to and from it', async () => {
    const pause = await runCli(['cluster', 'pause', 'chat-3', '--json', '--dir', dir])
    assert.equal(pause.code, 0, pause.stderr)
    assert.equal(JSON.parse(pause.stdout).instance.state, 'paused')
    try {
      const status = await statusOf(dir)
      assert.deepEqual({alive: status['chat-3'].alive, ready: status['chat-3'].ready, state: status['chat-3'].state}, {alive: true, ready: false, state: 'paused'})
      const table = await runCli(['cluster', 'status', '--dir', dir])
      assert.match(table.stdout, /^chat-3 +http:\S+ +\d+ +paused /m)
      const again = await runCli(['cluster', 'pause', 'chat-3', '--dir', dir])
      assert.equal(again.code, 0, again.stderr)
      assert.match(again.stdout, /^chat-3 \(pid \d+\) was already paused\./)
    } finally {
      const resume = await runCli(['cluster', 'resume', 'chat-3', '--json', '--dir', dir])
      assert.equal(resume.code, 0, resume.stderr)
      assert.notEqual(JSON.parse(resume.stdout).instance.state, 'paused')
    }
    await eventually(async () => (await statusOf(dir))['chat-3'].state === 'ready', 60_000, 250)
    await assertDelivered(port('chat-1'), port('chat-3'), unique('to the resumed chat-3'))
    await assertDelivered(port('chat-3'), port('chat-2'), unique('from the resumed chat-3'))
  })

  it('scale -n 4: chat-4 starts on the next port, ready, peers with every instance, and a message sent on it reaches chat-1', async () => {
    const scale = await runCli(['cluster', 'scale', '-n', '4', '--json', '--dir', dir], {timeoutMs: READY_MS})
    assert.equal(scale.code, 0, scale.stderr)
    const result = JSON.parse(scale.stdout)
    assert.deepEqual({from: result.from, to: result.to, added: result.added, removed: result.removed}, {from: 3, to: 4, added: ['chat-4'], removed: []})
    const status = await statusOf(dir)
    assert.deepEqual(Object.keys(status), ['chat-1', 'chat-2', 'chat-3', 'chat-4'])
    assert.deepEqual({port: status['chat-4'].port, state: status['chat-4'].state}, {port: port('chat-4'), state: 'ready'})
    // Existing instances found the new one, and it found all of them.
    for (const instance of Object.values(status)) {
      const others = Object.keys(status).filter((name) => name !== instance.name)
      assert.deepEqual(instance.peers.filter((peer) => peer.startsWith('chat-')).sort(), others, `peers of ${instance.name}`)
    }
    await assertDelivered(port('chat-4'), port('chat-1'), unique('from the new chat-4'))
  })

  it('scale -n 2: chat-3 and chat-4 are stopped and status lists 2 instances', async () => {
    const pids = manifestOf(dir)
      .instances.filter((instance) => ['chat-3', 'chat-4'].includes(instance.name))
      .map((instance) => instance.pid)
    const scale = await runCli(['cluster', 'scale', '-n', '2', '--dir', dir])
    assert.equal(scale.code, 0, scale.stderr)
    assert.match(scale.stdout, /from 4 to 2 instances: stopped and removed chat-3, chat-4\./)
    for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} still runs`)
    const status = await statusOf(dir)
    assert.deepEqual(
      Object.values(status).map(({name, state}) => ({name, state})),
      [
        {name: 'chat-1', state: 'ready'},
        {name: 'chat-2', state: 'ready'},
      ],
    )
    const bad = await runCli(['cluster', 'scale', '-n', '33', '--dir', dir])
    assert.equal(bad.code, 2)
    assert.match(oneLine(bad.stderr), /-n must be from 1 to 32 instances/)
  })

  it('on a stopped cluster: exit 1 with a sentence', async () => {
    const down = await runCli(['cluster', 'down', '--dir', dir])
    assert.equal(down.code, 0, down.stderr)
    for (const args of [
      ['kill', 'chat-1'],
      ['restart', 'chat-1'],
      ['scale', '-n', '3'],
    ]) {
      const result = await runCli(['cluster', ...args, '--dir', dir])
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`)
      assert.match(oneLine(result.stderr), /The cluster in \S+ is stopped \(since \S+\); start it with `(?:npx )?chatdds cluster up --dir /)
    }
  })
})

describe('chatdds cluster kill / restart under a foreground cluster up', function () {
  this.timeout(180_000)
  let dir

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'chatdds-drills-fg-'))
  })

  afterEach(async () => {
    await killAll()
    killLeftovers(dir)
    rmSync(dir, {recursive: true, force: true})
  })

  it('reports the kill as a line and keeps running; adopts the restarted instance, and Ctrl-C stops it too', async () => {
    const base = await freeRange(2)
    const up = startCli(['cluster', 'up', '-n', '2', '--domain', String(randomDomain()), '--base-port', String(base), '--dir', dir], {
      env: {...process.env, NO_COLOR: '1'},
    })
    await waitForOutput(up, (out) => out.includes('Ctrl-C stops the cluster'), READY_MS)
    const kill = await runCli(['cluster', 'kill', 'chat-2', '--dir', dir])
    assert.equal(kill.code, 0, kill.stderr)
    assert.match(kill.stdout, /^Killed chat-2 \(pid \d+, SIGKILL\); the other instances keep running \(1\)\./)
    await waitForOutput(up, (out) => out.includes('chat-2 was killed by SIGKILL. 1 instance keeps running.'), 30_000)
    assert.equal(up.exitCode, null, 'cluster up ended after one kill')

    const restart = await runCli(['cluster', 'restart', 'chat-2', '--json', '--dir', dir], {timeoutMs: READY_MS})
    assert.equal(restart.code, 0, restart.stderr)
    const {pid, port} = JSON.parse(restart.stdout).instance
    assert.equal(port, base + 1)
    await waitForOutput(up, (out) => out.includes(`chat-2 runs again (\`cluster restart\`) as pid ${pid} on port ${port}; 2 instances running.`), 30_000)
    await assertDelivered(base + 1, base, unique('through the adopted chat-2'))

    up.kill('SIGINT')
    assert.equal((await up.exited).code, 0, up.output())
    await eventually(() => !isAlive(pid), 10_000)
    assert.equal(manifestOf(dir).state, 'stopped')
    assert.equal(manifestOf(dir).instances[1].pid, pid)
  })

  it('restart of the only instance: cluster up does not end while it is replaced', async () => {
    const base = await freeRange(1)
    const up = startCli(['cluster', 'up', '-n', '1', '--domain', String(randomDomain()), '--base-port', String(base), '--dir', dir], {
      env: {...process.env, NO_COLOR: '1'},
    })
    await waitForOutput(up, (out) => out.includes('Ctrl-C stops the cluster'), READY_MS)
    const restart = await runCli(['cluster', 'restart', 'chat-1', '--json', '--dir', dir], {timeoutMs: READY_MS})
    assert.equal(restart.code, 0, restart.stderr)
    const {pid} = JSON.parse(restart.stdout).instance
    await waitForOutput(up, (out) => out.includes(`chat-1 runs again (\`cluster restart\`) as pid ${pid} on port ${base}; 1 instance running.`), 30_000)
    assert.equal(up.exitCode, null, up.output())
    assert.doesNotMatch(up.output(), /Every instance has exited/)
    await assertDelivered(base, base, unique('through the restarted only instance'))
    up.kill('SIGINT')
    assert.equal((await up.exited).code, 0, up.output())
    await eventually(() => !isAlive(pid), 10_000)
  })
})
