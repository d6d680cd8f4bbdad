// Two "hosts" (network namespaces of our own, joined by a veth pair): an instance on one reaches a
// spy on the other through --interface/--peer, by unicast only. Needs root and iproute2 (CI has both).
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {cli, killAll, randomDomain, start, waitForOutput} from '../helpers.js'

const suffix = process.pid.toString(36)
const hosts = [
  {ns: `chatdds-a-${suffix}`, dev: `cda${suffix}`, address: '10.251.7.1'},
  {ns: `chatdds-b-${suffix}`, dev: `cdb${suffix}`, address: '10.251.7.2'},
]
const ip = (...args) => execFileSync('ip', args, {stdio: 'pipe'})
const inHost = (host, args) => ['netns', 'exec', host.ns, process.execPath, cli, ...args]

function canMakeNamespaces() {
  if (process.getuid?.() !== 0) return false
  try {
    execFileSync('ip', ['-V'], {stdio: 'ignore'})
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

  after(async () => {
    await killAll()
    for (const host of hosts) {
      try {
        ip('netns', 'del', host.ns) // also removes the veth pair
      } catch {
        // Never created: the before hook skipped or failed first.
      }
    }
  })

  it('delivers a message from an instance on host B to a spy on host A by unicast peers', async () => {
    const domain = randomDomain()
    const [a, b] = hosts
    const spy = start(
      'ip',
      inHost(a, ['spy', '--domain', String(domain), '--interface', a.address, '--peer', b.address, '--count', '1', '--json', '--timeout', '40']),
    )
    const serve = start('ip', inHost(b, ['serve', '--port', '7000', '--domain', String(domain), '--interface', b.address, '--peer', a.address]))
    await waitForOutput(serve, (out) => out.includes('DDS writer now matched with 2 readers'), 30_000)
    const send = await runIn(b, ['send', '--port', '7000', 'across hosts'])
    assert.equal(send.code, 0, send.stderr)
    assert.deepEqual(await spy.exited, {code: 0, signal: null}, spy.output())
    const record = JSON.parse(spy.output().trim())
    assert.equal(record.text, 'across hosts')
    assert.equal(record.participant, 'chat-7000')
  })
})

function runIn(host, args) {
  const child = start('ip', inHost(host, args))
  return child.exited.then(({code}) => ({code, stderr: child.output()}))
}
