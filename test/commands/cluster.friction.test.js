// The rough edges a new user meets with `cluster up` and friends (issue 13, item 5 and "also seen"): a DDS domain in use,
// log timestamps and readable message lines, `cluster down` twice, unwritable run directories, a corrupt manifest, what
// -n means, decimal --timeout, and Ctrl-C during start-up.
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

import {isAlive, isClusterInstance} from '../../dist/lib/cluster/processes.js'
import {LOG_TIME, eventually, freePorts, killAll, randomDomain, runCli, startCli} from '../helpers.js'

const READY_MS = 90_000

/** oclif's error block (" ›   Error: …" wrapped at 80 columns) as one line: `Error: <sentence> Code: <code>`. */
const flat = (stderr) =>
  stderr
    .replace(/^ ›\s+/, '')
    .replace(/\s*\n ›\s+/g, ' ')
    .trim()

/** @param {string} dir */
const manifestOf = (dir) => JSON.parse(readFileSync(path.join(dir, 'cluster.json'), 'utf8'))

/** Kills, by pid, every instance a test's cluster may have left behind (only if it still is one of ours). */
function killLeftovers(dir) {
  let manifest
  try {
    manifest = manifestOf(dir)
  } catch {
    return // none, or one a test made corrupt
  }
  if (!Array.isArray(manifest?.instances)) return
  for (const instance of manifest.instances) if (isClusterInstance(manifest, instance)) process.kill(instance.pid, 'SIGKILL')
}

function portFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.unref()
    server.once('error', () => resolve(false))
    server.listen({port, host: '127.0.0.1', exclusive: true}, () => server.close(() => resolve(true)))
  })
}

/** A base port with 2 consecutive free ports, below Linux's ephemeral range. */
async function twoPorts() {
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 10_000)
    if ((await portFree(base)) && (await portFree(base + 1))) return base
  }
  throw new Error('no 2 consecutive free ports found')
}

/** `cluster status --json` of `dir`: each instance's name, state and chatdds peers (tools such as spy left out). */
async function statusOf(dir) {
  const status = await runCli(['cluster', 'status', '--json', '--dir', dir])
  assert.equal(status.code, 0, status.stderr)
  return JSON.parse(status.stdout).instances.map(({name, state, peers}) => ({name, state, peers: peers.filter((peer) => !peer.startsWith('chatdds-')).sort()}))
}

describe('chatdds cluster: the frictions of a first use', function () {
  this.timeout(180_000)
  /** @type {string[]} */
  let dirs = []
  const tempDir = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'chatdds-fr-'))
    dirs.push(dir)
    return dir
  }

  afterEach(async () => {
    await killAll()
    for (const dir of dirs) {
      killLeftovers(dir)
      rmSync(dir, {recursive: true, force: true})
    }
    dirs = []
  })

  it('a DDS domain used by another cluster is refused (exit 1, naming it, --domain and --force) and the first cluster is untouched', async () => {
    const domain = randomDomain()
    const [first, second] = [tempDir(), tempDir()]
    const up = await runCli(['cluster', 'up', '-n', '2', '--detach', '--domain', String(domain), '--base-port', String(await twoPorts()), '--dir', first], {
      timeoutMs: READY_MS,
    })
    assert.equal(up.code, 0, up.stderr)
    const before = await statusOf(first)
    assert.deepEqual(before, [
      {name: 'chat-1', state: 'ready', peers: ['chat-2']},
      {name: 'chat-2', state: 'ready', peers: ['chat-1']},
    ])

    const refused = await runCli(['cluster', 'up', '-n', '2', '--detach', '--domain', String(domain), '--base-port', String(await twoPorts()), '--dir', second], {
      timeoutMs: READY_MS,
    })
    assert.equal(refused.code, 1, refused.stdout + refused.stderr)
    const sentence = flat(refused.stderr)
    // The suggested domain is one that was free at the time; which one depends on the other tests' random domains.
    const suggested = /pass --domain (\d+) \(free\)/.exec(sentence)?.[1] ?? 'none'
    assert.equal(
      sentence,
      `Error: DDS domain ${domain} is already in use by chat-1, chat-2 (the cluster in ${first}), and this cluster would merge with them; pass --domain ${suggested} (free), or --force to join them anyway. Code: EDOMAININUSE`,
    )
    assert.ok(Number(suggested) > domain, sentence)
    assert.equal(existsSync(path.join(second, 'cluster.json')), false, 'nothing was started')
    assert.deepEqual(await statusOf(first), before)
  })

  it('names the run directory of a cluster beside it on the same domain; --force starts anyway beside a `serve` of another name', async () => {
    const domain = randomDomain()
    const parent = tempDir()
    const [first, second] = [path.join(parent, 'first'), path.join(parent, 'second')]
    // Their instances are stopped before the parent is removed (afterEach goes through dirs in order).
    dirs.unshift(first, second)
    const up = await runCli(['cluster', 'up', '-n', '1', '--detach', '--domain', String(domain), '--base-port', String(await twoPorts()), '--dir', first], {
      timeoutMs: READY_MS,
    })
    assert.equal(up.code, 0, up.stderr)
    const refused = await runCli(['cluster', 'up', '-n', '1', '--detach', '--domain', String(domain), '--base-port', String(await twoPorts()), '--dir', second])
    assert.equal(refused.code, 1)
    assert.match(flat(refused.stderr), new RegExp(`^Error: DDS domain ${domain} is already in use by chat-1 \\(the cluster in ${first}\\), and this cluster`))
    assert.equal((await runCli(['cluster', 'down', '--dir', first])).code, 0)

    // Another chatdds instance, not a cluster: refused the same way, and --force merges with it.
    const [port, base] = await freePorts(2)
    const solo = startCli(['serve', '--port', String(port), '--domain', String(domain), '--name', 'solo'])
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => ({status: 0}))).status === 200, 30_000)
    const again = await runCli(['cluster', 'up', '-n', '1', '--detach', '--domain', String(domain), '--base-port', String(base), '--dir', second])
    assert.equal(again.code, 1)
    assert.match(flat(again.stderr), new RegExp(`^Error: DDS domain ${domain} is already in use by solo, and this cluster would merge with them; `))
    const forced = await runCli(['cluster', 'up', '-n', '1', '--detach', '--force', '--domain', String(domain), '--base-port', String(base), '--dir', second], {
      timeoutMs: READY_MS,
    })
    assert.equal(forced.code, 0, forced.stderr)
    assert.deepEqual(await statusOf(second), [{name: 'chat-1', state: 'ready', peers: ['solo']}])
    assert.equal((await runCli(['cluster', 'down', '--dir', second])).code, 0)
    solo.kill('SIGTERM')
  })

  it('logs: every line after its ISO time, messages read once, a clickable URL; logs --since and --lines 0; down twice warns of nothing', async () => {
    const dir = tempDir()
    const base = await twoPorts()
    const startedAt = Date.now()
    const up = await runCli(['cluster', 'up', '-n', '2', '--detach', '--domain', String(randomDomain()), '--base-port', String(base), '--dir', dir], {
      timeoutMs: READY_MS,
    })
    assert.equal(up.code, 0, up.stderr)
    const send = await runCli(['send', '--port', String(base), '--name', 'alice', '--room', 'ops', 'hi\tthere\x1b[31m'])
    assert.equal(send.code, 0, send.stderr)
    const [chat1, chat2] = manifestOf(dir).instances
    await eventually(() => readFileSync(chat2.log, 'utf8').includes('Received a message #ops alice:'), 30_000)

    const lines = readFileSync(chat1.log, 'utf8').trimEnd().split('\n')
    for (const line of lines) assert.match(line, new RegExp(`^${LOG_TIME}`), line)
    for (const line of lines) assert.ok(Date.parse(line.slice(0, 24)) >= startedAt - 1000, line)
    assert.ok(
      lines.some((line) => line.endsWith(` Server is listening on ${base}! http://127.0.0.1:${base}/`)),
      lines.join('\n'),
    )
    assert.ok(
      lines.some((line) => line.endsWith(' Writing message #ops alice: hi\\tthere\\e[31m')),
      lines.join('\n'),
    )
    assert.ok(readFileSync(chat2.log, 'utf8').includes(' Received a message #ops alice: hi\\tthere\\e[31m\n'))

    const logs = async (...args) => {
      const result = await runCli(['cluster', 'logs', '--dir', dir, '--instance', 'chat-1', ...args])
      assert.equal(result.code, 0, result.stderr)
      return result.stdout
    }
    const all = await logs()
    assert.equal(all, lines.map((line) => `chat-1 | ${line}\n`).join(''))
    assert.equal(await logs('--lines', '0'), '')
    assert.equal(await logs('--lines', '1'), `chat-1 | ${lines.at(-1)}\n`)
    assert.equal(await logs('--since', '10m'), all)
    assert.equal(await logs('--since', new Date(startedAt - 60_000).toISOString()), all)
    assert.equal(await logs('--since', new Date(Date.now() + 60_000).toISOString()), '')
    const writing = lines.find((line) => line.includes(' Writing message '))
    assert.ok((await logs('--since', writing.slice(0, 24))).startsWith(`chat-1 | ${writing}\n`))
    const bad = await runCli(['cluster', 'logs', '--dir', dir, '--since', 'yesterday'])
    assert.equal(bad.code, 2)
    assert.match(flat(bad.stderr), /yesterday is neither a duration \(30s, 10m, 2h, 1d\) nor an ISO time/)

    const down = await runCli(['cluster', 'down', '--dir', dir])
    assert.equal(down.code, 0, down.stderr)
    // At once, while the exited instances may still be unreaped zombies: gone, not "other programs".
    const again = await runCli(['cluster', 'down', '--dir', dir])
    assert.equal(again.code, 0)
    assert.equal(again.stdout, `No instance of the cluster in ${dir} is running; nothing to stop.\n`)
    assert.equal(again.stderr, '')
  })

  it('a run directory that cannot be written: one sentence with the path and --dir, exit 1', async () => {
    const file = path.join(tempDir(), 'file')
    writeFileSync(file, 'not a directory\n')
    const dir = path.join(file, 'run')
    const up = await runCli(['cluster', 'up', '-n', '1', '--domain', String(randomDomain()), '--dir', dir])
    assert.equal(up.code, 1)
    assert.equal(
      flat(up.stderr),
      `Error: The run directory ${dir} has a file, not a directory, in its path; pass --dir with a writable directory, e.g. --dir /tmp/chatdds-run. Code: ENOTDIR`,
    )
    const status = await runCli(['cluster', 'status', '--dir', dir])
    assert.equal(status.code, 0)
    assert.equal(status.stdout, `No cluster in ${dir}; start one with \`chatdds cluster up\`.\n`)
  })

  it('a corrupt manifest: the sentence alone, no class name, exit 1', async () => {
    const dir = tempDir()
    const file = path.join(dir, 'cluster.json')
    for (const text of ['{"version":1,"instances":[{', '{"version":1,"runDir":"/x","config":"","domain":1,"clusterPid":1,"instances":[{}]}', 'null']) {
      writeFileSync(file, text)
      for (const command of ['status', 'down', 'logs']) {
        const result = await runCli(['cluster', command, '--dir', dir])
        assert.equal(result.code, 1, `${command}: ${result.stdout}${result.stderr}`)
        assert.equal(flat(result.stderr), `Error: ${file} is not a chatdds cluster manifest; remove it or pick another --dir. Code: EMANIFEST`)
        assert.doesNotMatch(result.stderr, /ChatddsError|TypeError/)
      }
    }
  })

  it('-n is a count: cluster up -n and tail -n; serve and the name flags have no -n any more', async () => {
    for (const args of [
      ['serve', '-n', 'x'],
      ['help', '-n'],
    ]) {
      const result = await runCli(args)
      assert.equal(result.code, 2, args.join(' '))
      assert.match(result.stderr, /Nonexistent flag: -n/)
    }
    const nested = await runCli(['help', '--nested-commands'])
    assert.equal(nested.code, 0)
    assert.match(nested.stdout, /^ {2}cluster up +Start a local chat cluster/m)
    /** @type {Array<[string[], string]>} */
    const counts = [
      [['cluster', 'up'], '-n, --instances=<value>'],
      [['tail'], '-n, --count=<value>'],
    ]
    for (const [command, flag] of counts) {
      const help = await runCli([...command, '--help'])
      assert.equal(help.code, 0)
      assert.ok(help.stdout.includes(flag), help.stdout)
    }
    for (const command of [['serve'], ['send'], ['tail']]) {
      const help = await runCli([...command, '--help'])
      assert.match(help.stdout, /^ {6}--name=<value>/m, command.join(' '))
      assert.doesNotMatch(help.stdout, /-n, --name/)
    }
  })

  it('--timeout takes decimals in spy and cluster up', async () => {
    const domain = randomDomain()
    const spy = await runCli(['spy', '--domain', String(domain), '--count', '1', '--timeout', '0.5'])
    assert.equal(spy.code, 1)
    assert.match(flat(spy.stderr), /Error: Only 0 of 1 samples arrived within 0\.5 s; /)
    const dir = tempDir()
    const up = await runCli(
      ['cluster', 'up', '-n', '2', '--detach', '--timeout', '0.5', '--domain', String(domain), '--base-port', String(await twoPorts()), '--dir', dir],
      {
        timeoutMs: READY_MS,
      },
    )
    assert.equal(up.code, 1, up.stdout)
    assert.match(flat(up.stderr), /^Error: The cluster on ports \d+-\d+ was not ready within 0\.5 s \(/)
    assert.equal(manifestOf(dir).state, 'stopped')
    const zero = await runCli(['cluster', 'up', '--timeout', '0', '--dir', dir])
    assert.equal(zero.code, 2)
    assert.match(flat(zero.stderr), /0 is not a positive number of seconds/)
  })

  it('Ctrl-C during start-up stops the instances started so far, says "interrupted" and exits 130', async () => {
    const dir = tempDir()
    const up = startCli(['cluster', 'up', '-n', '2', '--domain', String(randomDomain()), '--base-port', String(await twoPorts()), '--dir', dir])
    // The manifest is written as soon as the instances are spawned; a stopped instance keeps the cluster from being ready.
    const manifest = await eventually(() => existsSync(path.join(dir, 'cluster.json')) && manifestOf(dir), 30_000, 5).catch((error) => {
      throw new Error(`${error.message}; cluster up said: ${up.output()}`)
    })
    process.kill(manifest.instances[0].pid, 'SIGSTOP')
    up.kill('SIGINT')
    const {code} = await up.exited
    assert.equal(code, 130, up.output())
    assert.equal(up.output(), 'Start-up interrupted by SIGINT; the instances started so far are stopped.\n')
    for (const instance of manifest.instances) assert.equal(isAlive(instance.pid), false, `${instance.name} (pid ${instance.pid}) still runs`)
    assert.equal(manifestOf(dir).state, 'stopped')
    assert.deepEqual(readdirSync(dir).sort(), ['chat-1.log', 'chat-2.log', 'cluster.json', 'rtps.ini'])
  })
})
