// Two "hosts" (network namespaces of our own, joined by a veth pair, each with a hostname of its own
// in a UTS namespace): an instance on one reaches a spy on the other through --interface/--peer, by
// unicast only, and the README's recipe (--port 7000 on both) gives two instances, named apart.
// Needs root, iproute2 and util-linux's unshare (CI has them).
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {cli, eventually, killAll, randomDomain, start, waitForOutput} from '../helpers.js'

const suffix = process.pid.toString(36)
const hosts = [
  {ns: `chatdds-a-${suffix}`, dev: `cda${suffix}`, address: '10.251.7.1', hostname: 'host-a'},
  {ns: `chatdds-b-${suffix}`, dev: `cdb${suffix}`, address: '10.251.7.2', hostname: 'host-b'},
]
const ip = (...args) => execFileSync('ip', args, {stdio: 'pipe'})
/** `unshare` args running `node <args>` (the chatdds CLI unless told otherwise) on `host`, under its hostname; every exec replaces the last, so the pid is node's. */
const inHost = (host, args, program = [cli]) => [
  '--uts',
  'sh',
  '-c',
  'hostname "$0" && exec "$@"',
  host.hostname,
  'ip',
  'netns',
  'exec',
  host.ns,
  process.execPath,
  ...program,
  ...args,
]

function canMakeNamespaces() {
  if (process.getuid?.() !== 0) return false
  try {
    execFileSync('ip', ['-V'], {stdio: 'ignore'})
    execFileSync('unshare', ['--uts', 'true'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

describe('several hosts (network namespaces)', function () {
  this.timeout(60_000)

  before(function () {
    if (!canMakeNamespaces()) return this.skip()
    for (const host of hosts) ip('netns', 'add', host.ns)
    ip('link', 'add', hosts[0].dev, 'type', 'veth', 'peer', 'name', hosts[1].dev)
    for (const host of hosts) {
      ip('link', 'set', host.dev, 'netns', host.ns)
      ip('-n', host.ns, 'addr', 'add', `${host.address}/24`, 'dev', host.dev)
      ip('-n', host.ns, 'link', 'set', host.dev, 'up')
      ip('-n', host.ns, 'link', 'set', 'lo', 'up')
    }
  })

  afterEach(() => killAll())

  after(async () => {
    await killAll()
    for (const host of hosts) {
      try {
        ip('netns', 'del', host.ns) // also removes the veth pair
      } catch {
        // already gone (a test that failed half-way, or a second removal)
      }
    }
  })

  it('delivers a message from an instance on host B to a spy on host A by unicast peers', async () => {
    const domain = randomDomain()
    const [a, b] = hosts
    const spy = start(
      'unshare',
      inHost(a, ['spy', '--domain', String(domain), '--interface', a.address, '--peer', b.address, '--count', '1', '--json', '--timeout', '40']),
    )
    const serve = start('unshare', inHost(b, ['serve', '--port', '7000', '--domain', String(domain), '--interface', b.address, '--peer', a.address]))
    await waitForOutput(serve, (out) => out.includes('DDS writer now matched with 2 readers'), 30_000)
    const send = await runIn(b, ['send', '--port', '7000', 'across hosts'])
    assert.equal(send.code, 0, send.stderr)
    assert.deepEqual(await spy.exited, {code: 0, signal: null}, spy.output())
    const record = JSON.parse(spy.output().trim())
    assert.equal(record.text, 'across hosts')
    assert.equal(record.participant, 'chat-host-b-7000')
  })

  // The README's several-hosts recipe: the hostnames tell the two instances apart, so the hand-over completes and
  // each lists the other.
  it('runs the README recipe, --port 7000 on both hosts: two instances named apart, both ready, each listing the other', async () => {
    const domain = String(randomDomain())
    const [a, b] = hosts
    const serve = (host, peer) =>
      start('unshare', inHost(host, ['serve', '--port', '7000', '--domain', domain, '--interface', host.address, '--peer', peer.address]))
    const startedAt = performance.now()
    const instances = [serve(a, b), serve(b, a)]
    const status = (host) => httpIn(host, '/readyz')
    await eventually(async () => {
      const both = await Promise.all(hosts.map(status))
      return both.every((s) => s.ready && s.peers.length === 1)
    }, 30_000).catch((error) => {
      throw new Error(`${error.message}\n${instances.map((child) => child.output()).join('\n---\n')}`)
    })
    console.log(`      both ready after ${Math.round(performance.now() - startedAt)} ms (process start included)`)
    const [statusA, statusB] = await Promise.all(hosts.map(status))
    assert.equal(statusA.historyHandOver, 'complete')
    assert.equal(statusB.historyHandOver, 'complete')
    assert.equal(statusA.name, 'chat-host-a-7000')
    assert.equal(statusB.name, 'chat-host-b-7000')
    assert.deepEqual(statusA.peers, ['chat-host-b-7000'])
    assert.deepEqual(statusB.peers, ['chat-host-a-7000'])
    for (const child of instances) assert.doesNotMatch(child.output(), /warning/)
    for (const host of hosts) {
      const presence = await httpIn(host, '/presence')
      assert.deepEqual(presence.instances.map((instance) => instance.name).sort(), ['chat-host-a-7000', 'chat-host-b-7000'])
    }
  })

  it('is not ready while its DDS interface is down, and ready again once it is back', async () => {
    const domain = String(randomDomain())
    const [a, b] = hosts
    const instances = [a, b].map((host, i) =>
      start('unshare', inHost(host, ['serve', '--port', '7000', '--domain', domain, '--interface', host.address, '--peer', hosts[1 - i].address])),
    )
    const ready = async (host) => (await httpIn(host, '/readyz')).ready
    const log = () => instances.map((child) => child.output()).join('\n---\n')
    await eventually(async () => (await ready(a)) && (await ready(b)), 30_000).catch((error) => {
      throw new Error(`${error.message}\n${log()}`)
    })
    ip('-n', b.ns, 'link', 'set', b.dev, 'down')
    try {
      await eventually(async () => (await ready(b)) === false, 10_000)
      const status = await httpIn(b, '/readyz')
      assert.equal(status.name, 'chat-host-b-7000')
      assert.equal(status.ready, false)
    } finally {
      ip('-n', b.ns, 'link', 'set', b.dev, 'up')
    }
    await eventually(async () => (await ready(a)) && (await ready(b)), 30_000).catch((error) => {
      throw new Error(`${error.message}\n${log()}`)
    })
  })
})

function runIn(host, args) {
  const child = start('unshare', inHost(host, args))
  return child.exited.then(({code}) => ({code, stderr: child.output()}))
}

/** GET http://127.0.0.1:7000<path> inside `host`'s namespace, as JSON (a 503 body too). */
async function httpIn(host, path) {
  const script = `fetch('http://127.0.0.1:7000${path}').then((r) => r.text()).then((t) => process.stdout.write(t), () => process.exit(1))`
  const child = start('unshare', inHost(host, [script], ['-e']))
  const {code} = await child.exited
  if (code !== 0) throw new Error(`GET ${path} on ${host.hostname} failed: ${child.output()}`)
  return JSON.parse(child.output())
}
