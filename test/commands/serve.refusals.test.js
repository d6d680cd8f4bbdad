// What `chatdds serve` (and `spy`) refuse before joining DDS: config bombs and an interface this host does not have.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {hostAddresses} from '../../dist/lib/dds/config.js'
import {eventually, freePort, killAll, LOG_TIME, randomDomain, runCli} from '../helpers.js'
import {startServe, unwrap} from './serveSupport.js'

/** A generous bound: a hang (reading /dev/zero, blocking on a FIFO) shows as a failure, not as a stuck suite. */
const REFUSAL_BOUND_MS = 2000

/** Runs `chatdds <args>` that must fail at once; prints how long it took. */
async function refused(args) {
  const started = performance.now()
  const result = await runCli(args, {timeoutMs: REFUSAL_BOUND_MS})
  console.log(`      chatdds ${args.slice(0, 1).concat(args.slice(-2)).join(' ')}: exit ${result.code} after ${Math.round(performance.now() - started)} ms`)
  return {...result, message: unwrap(result.stderr)}
}

describe('chatdds serve refuses before joining DDS', () => {
  let dir
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'chatdds-refusals-'))))
  after(() => rmSync(dir, {recursive: true, force: true}))
  afterEach(() => killAll())

  const notRegular = (file, kind) =>
    `The DDS config file ${file} is not a regular file (it is ${kind}); give --dds-config or -DCPSConfigFile the path of an rtps.ini file.`

  it('--dds-config /dev/zero: exit 1 within 2 s, with a sentence', async () => {
    const {code, message, stdout} = await refused(['serve', '--port', String(await freePort()), '--domain', String(randomDomain()), '--dds-config', '/dev/zero'])
    assert.equal(code, 1)
    assert.match(message, new RegExp(`Error: ${escape(notRegular('/dev/zero', 'a character device'))}`))
    assert.equal(stdout, '')
  })

  it('-DCPSConfigFile naming a FIFO: exit 1 within 2 s, never blocking on it', async () => {
    const fifo = path.join(dir, 'rtps.fifo')
    execFileSync('mkfifo', [fifo])
    const {code, message} = await refused(['serve', '--port', String(await freePort()), '--domain', String(randomDomain()), '-DCPSConfigFile', fifo])
    assert.equal(code, 1)
    assert.match(message, new RegExp(escape(notRegular(fifo, 'a named pipe'))))
  })

  it('a 2 MiB --dds-config: exit 1 within 2 s, with a sentence', async () => {
    const big = path.join(dir, 'big.ini')
    writeFileSync(big, '[common]\n' + 'k=\n'.repeat((2 * 1024 * 1024) / 3))
    const {code, message, stdout} = await refused(['serve', '--port', String(await freePort()), '--domain', String(randomDomain()), '--dds-config', big])
    assert.equal(code, 1)
    assert.match(
      message,
      new RegExp(
        escape(`The DDS config file ${big} is larger than 1 MiB, far more than any rtps.ini; check that --dds-config or -DCPSConfigFile names the right file.`),
      ),
    )
    assert.equal(stdout, '')
  })

  it('a --dds-config with 300,000 unknown keys: 10 warnings and one line with the exact count of the rest, then it serves', async () => {
    const file = path.join(dir, 'keys.ini')
    writeFileSync(file, '[common]\n' + 'k=\n'.repeat(300_000))
    const {child, port} = await startServe(['--dds-config', file, '--quiet'])
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200)
    child.kill('SIGTERM')
    assert.equal((await child.exited).code, 0)
    // Warnings are written before the server listens, so the output holds every one by now.
    const warnings = child
      .output()
      .split('\n')
      .filter((line) => new RegExp(`^${LOG_TIME}warning: `).test(line))
      .map((line) => line.replace(new RegExp(`^${LOG_TIME}`), ''))
    assert.equal(warnings.length, 11, warnings.slice(0, 12).join('\n'))
    assert.equal(warnings[0], `warning: ${file}:2: key k is not applied by chatdds (it has no Fast DDS equivalent here); remove it to silence this warning`)
    assert.equal(warnings[10], `warning: ${file}: 299990 more warnings not shown (300000 in all); fix the ones above and run again to see the next.`)
  })

  it("--interface that is not on this host: exit 1, naming the address and the host's addresses (serve and spy)", async () => {
    const expected = `DDS interface 10.99.99.99 is not an address of this host (its IPv4 addresses are ${hostAddresses().join(', ')}); pass one of this host's addresses to --interface (or local_address / SpdpLocalAddress in the rtps.ini).`
    const serve = await refused(['serve', '--port', String(await freePort()), '--domain', String(randomDomain()), '--interface', '10.99.99.99'])
    assert.equal(serve.code, 1)
    assert.match(serve.message, new RegExp(`Error: ${escape(expected)}`))
    assert.equal(serve.stdout, '', 'nothing listened, nothing joined DDS')
    const spy = await refused(['spy', '--domain', String(randomDomain()), '--timeout', '5', '--interface', '10.99.99.99'])
    assert.equal(spy.code, 1)
    assert.match(spy.message, new RegExp(`Error: ${escape(expected)}`))
  })
})

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
