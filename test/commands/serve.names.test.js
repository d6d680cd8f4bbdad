// Instance names are unique in a DDS domain: a taken --name is refused, a taken default name takes a suffix.
import assert from 'node:assert/strict'
import os from 'node:os'
import {defaultInstanceName} from '../../dist/lib/chat/instance.js'
import {LOG_TIME, eventually, freePort, killAll, randomDomain, runCli, startCli, waitForOutput} from '../helpers.js'
import {startInstance, unwrap, waitReady} from './serveSupport.js'

async function readyz(host, port) {
  return (await fetch(`http://${host}:${port}/readyz`)).json()
}

describe('chatdds serve: unique instance names', function () {
  this.timeout(60_000)
  afterEach(() => killAll())

  it('refuses a second `serve --name dup` on the domain: exit 1, naming the live participant that has it', async () => {
    const domain = randomDomain()
    const first = await startInstance('dup', domain)
    await waitReady(first, 0)
    // The spy sees every participant come and go, with its GUID prefix: the one named in the error must be the first's.
    const spy = startCli(['spy', '--domain', String(domain), '--participants', '--json', '--timeout', '3'])
    await waitForOutput(spy, (out) => out.includes('"name":"dup"'))
    const second = await runCli(['serve', '--port', String(await freePort()), '--domain', String(domain), '--name', 'dup'], {timeoutMs: 15_000})
    assert.equal(second.code, 1, second.stdout + second.stderr)
    const match =
      /Error: The name dup is already used by DDS participant ([0-9a-f]{24}) on domain (\d+) \(chatdds spy --participants lists it\); stop that instance or pick another --name\./.exec(
        unwrap(second.stderr),
      )
    assert.ok(match, second.stderr)
    assert.equal(Number(match[2]), domain)
    assert.doesNotMatch(second.stdout, /Joined DDS domain|Server is listening/)

    assert.deepEqual(await spy.exited, {code: 0, signal: null}, spy.output())
    const events = spy
      .output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .filter((event) => event.name === 'dup')
    // The first instance, then the refused one, which joined only to look and left at once.
    assert.deepEqual(
      events.map((event) => event.status),
      ['joined', 'joined', 'left'],
      spy.output(),
    )
    assert.equal(match[1], events[0].guidPrefix)
    assert.equal(events[2].guidPrefix, events[1].guidPrefix)

    const status = await readyz('127.0.0.1', first.port)
    assert.equal(status.ready, true)
    assert.equal(status.name, 'dup')
    assert.deepEqual(status.peers, [])
  })

  it('gives a taken default name (same hostname, same port) a random suffix, with a warning; both are ready', async () => {
    const domain = randomDomain()
    const port = await freePort()
    const base = defaultInstanceName(os.hostname(), port)
    // Two listen addresses of this host, one port: the way two hosts of the same hostname look to each other.
    const first = startCli(['serve', '--port', String(port), '--host', '127.0.0.1', '--domain', String(domain)])
    await eventually(async () => (await readyz('127.0.0.1', port)).ready)
    const second = startCli(['serve', '--port', String(port), '--host', '127.0.0.2', '--domain', String(domain)])
    await eventually(async () => {
      const [a, b] = await Promise.all([readyz('127.0.0.1', port), readyz('127.0.0.2', port)])
      return a.ready && b.ready && a.peers.length === 1 && b.peers.length === 1
    })
    const [a, b] = await Promise.all([readyz('127.0.0.1', port), readyz('127.0.0.2', port)])
    assert.equal(a.name, base)
    assert.match(b.name, new RegExp(`^${base}-[0-9a-f]{4}$`))
    assert.deepEqual(a.peers, [b.name])
    assert.deepEqual(b.peers, [a.name])
    assert.equal(b.historyHandOver, 'complete')
    assert.match(
      second.output(),
      new RegExp(
        `^${LOG_TIME}warning: The name ${base} is already used by DDS participant [0-9a-f]{24} on domain ${domain} \\(chatdds spy --participants lists it\\), so this instance is ${b.name} \\(pass --name to choose one\\)\\.$`,
        'm',
      ),
    )
    assert.match(second.output(), new RegExp(`^${LOG_TIME}Joined DDS domain ${domain} as ${b.name} \\(interface 127\\.0\\.0\\.1\\)$`, 'm'))
    assert.doesNotMatch(first.output(), /warning/)
    // Both instances are in each other's view of the cluster (what hello.instances is made of).
    const presence = await (await fetch(`http://127.0.0.1:${port}/presence`)).json()
    assert.deepEqual(presence.instances.map((instance) => instance.name).sort(), [a.name, b.name].sort())
  })
})
