// The per-client rate limit of real `chatdds serve` processes: the default, `--rate-limit` / `--rate-burst`, and
// `cluster up` forwarding them to its instances.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {eventually, freePort, killAll, randomDomain, runCli, startCli, waitForOutput} from '../helpers.js'
import {openSocket, startServe, unwrap} from './serveSupport.js'

/**
 * Sends `count` chatdds.v1 pings at once on a fresh connection; resolves with how many were answered pong and how many
 * rate_limited, once every one was answered.
 * @param {number} port
 * @param {number} count
 */
async function flood(port, count) {
  const ws = await openSocket(port, 'chatdds.v1')
  /** @type {Array<{type: string, ref?: number, code?: string}>} */
  const frames = []
  ws.on('message', (data) => frames.push(JSON.parse(data.toString())))
  for (let i = 0; i < count; i++) ws.send(JSON.stringify({type: 'ping', ref: i}))
  await eventually(() => frames.filter((f) => f.ref === count - 1).length === 1, 30_000)
  const pongs = frames.filter((f) => f.type === 'pong').length
  const limited = frames.filter((f) => f.type === 'error' && f.code === 'rate_limited').length
  const open = ws.readyState === ws.OPEN
  ws.close()
  return {pongs, limited, open}
}

async function metric(port, name) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(name))
  return line === undefined ? undefined : Number(line.split(/\s+/).at(-1))
}

describe('serve --rate-limit', function () {
  this.timeout(120_000)
  afterEach(() => killAll())

  it('--rate-limit 5/s --rate-burst 10: a chatdds.v1 flood of 30 frames gets rate_limited errors, every frame answered', async () => {
    const {port} = await startServe(['--quiet', '--rate-limit', '5/s', '--rate-burst', '10'])
    const {pongs, limited, open} = await flood(port, 30)
    assert.ok(limited > 0, 'no frame was rate limited')
    assert.ok(pongs >= 10, `only ${pongs} pongs: the burst of 10 was not allowed`)
    assert.equal(pongs + limited, 30)
    assert.equal(open, true)
    assert.ok((await metric(port, 'chatdds_rate_limited_total{protocol="chatdds.v1"}')) >= 1)
  })

  it('the default lets a burst of 5,000 frames through: no rate_limited', async () => {
    const {port} = await startServe(['--quiet'])
    assert.deepEqual(await flood(port, 5000), {pongs: 5000, limited: 0, open: true})
    assert.equal(await metric(port, 'chatdds_rate_limited_total{protocol="chatdds.v1"}'), 0)
  })

  it('--rate-limit off: no limit', async () => {
    const {port} = await startServe(['--quiet', '--rate-limit', 'off', '--rate-burst', '1'])
    assert.deepEqual(await flood(port, 3000), {pongs: 3000, limited: 0, open: true})
  })

  it('a --rate-limit that is not a rate is a usage error (exit 2) that says what to write', async () => {
    const {code, stderr} = await runCli(['serve', '--port', '0', '--rate-limit', 'fast'])
    assert.equal(code, 2)
    assert.match(unwrap(stderr), /fast is not a rate; use frames per second \(10000 or 10000\/s\), or off\./)
  })

  it('cluster up --rate-limit off: no limit on its instances', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'chatdds-rate-'))
    try {
      const base = await freePort()
      const up = startCli(['cluster', 'up', '-n', '1', '--domain', String(randomDomain()), '--base-port', String(base), '--dir', dir, '--rate-limit', 'off'])
      await waitForOutput(up, (out) => out.includes('Ctrl-C stops the cluster'), 90_000)
      assert.deepEqual(await flood(base, 25_000), {pongs: 25_000, limited: 0, open: true})
      up.kill('SIGINT')
      assert.equal((await up.exited).code, 0, up.output())
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('cluster up --rate-limit 5 --rate-burst 10 gives every instance that limit', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'chatdds-rate-'))
    try {
      const base = await freePort()
      const up = startCli([
        'cluster',
        'up',
        '-n',
        '1',
        '--domain',
        String(randomDomain()),
        '--base-port',
        String(base),
        '--dir',
        dir,
        '--rate-limit',
        '5',
        '--rate-burst',
        '10',
      ])
      await waitForOutput(up, (out) => out.includes('Ctrl-C stops the cluster'), 90_000)
      const {pongs, limited} = await flood(base, 30)
      assert.ok(limited > 0, 'no frame was rate limited')
      assert.equal(pongs + limited, 30)
      up.kill('SIGINT')
      assert.equal((await up.exited).code, 0, up.output())
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
