#!/usr/bin/env node
// Idle memory per websocket connection (issue 10: ≤ 6 KB). Starts one `chatdds serve` (own random DDS domain) under
// `node --expose-gc` with bench/memory-probe.js, opens --count idle plain clients in batches, then --count idle
// chatdds.v1 clients, then --count plain ones more, and after each step forces a full GC in the server and reads its
// memory; then does the same against a bare `ws` server (`new WebSocketServer({port})`, ws's defaults, a broadcast
// 'message' handler) with plain clients, twice. Prints, per step, bytes per connection of RSS and of V8 heap used +
// external (Buffers, ArrayBuffers): the difference to the step before, divided by the connections opened in it. The
// first step's RSS includes what V8's young generation grows by once under the load of connecting (≈ 20-30 MB, any
// Node server); the later steps are what one more connection costs. Median of --runs runs, fresh servers each.
// Usage: node bench/memory.js [--count 5000] [--batch 250] [--runs 3] [--node-args '--v8-flag …'] [--snapshots DIR] [--json]   (npm run build first; needs 3 × count + 100
// file descriptors, ulimit -n)
import {spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import WebSocket from 'ws'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const probe = path.join(root, 'bench', 'memory-probe.js')
const {values: args} = parseArgs({
  options: {
    count: {type: 'string', default: '5000'},
    batch: {type: 'string', default: '250'},
    runs: {type: 'string', default: '3'},
    settle: {type: 'string', default: '1000'},
    // V8 flags for both servers, for experiments: --node-args=--max-semi-space-size=1
    'node-args': {type: 'string', default: ''},
    // A heap snapshot of the chatdds server before and after the first plain step: node bench/heap-diff.js A B count
    // (writing them grows the server's RSS: read only the heap column of such a run)
    snapshots: {type: 'string'},
    json: {type: 'boolean', default: false},
  },
})
const COUNT = Number(args.count)
const BATCH = Number(args.batch)
const RUNS = Number(args.runs)
const SETTLE_MS = Number(args.settle)
const say = (line) => args.json || process.stderr.write(line + '\n')
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const children = new Set()

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** Starts `node --expose-gc --import probe <args>`; resolves once `ready(port)` is true. */
async function startServer(nodeArgs, ready) {
  const port = await freePort()
  const probePort = await freePort()
  const child = spawn(process.execPath, ['--expose-gc', ...args['node-args'].split(' ').filter(Boolean), '--import', probe, ...nodeArgs(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {...process.env, MEMORY_PROBE_PORT: String(probePort)},
  })
  children.add(child)
  let log = ''
  child.stdout.on('data', (d) => (log += d))
  child.stderr.on('data', (d) => (log += d))
  let exited = false
  child.on('exit', () => {
    exited = true
    children.delete(child)
  })
  for (;;) {
    if (exited) throw new Error(`server exited:\n${log}`)
    try {
      if ((await ready(port)) && (await fetch(`http://127.0.0.1:${probePort}/`)).ok) break
    } catch {
      // Not listening yet.
    }
    await sleep(50)
  }
  return {child, port, probePort}
}

const chatdds = () =>
  startServer(
    (port) => [path.join(root, 'bin', 'run.js'), 'serve', '--port', String(port), '--domain', String(100 + Math.floor(Math.random() * 120)), '--quiet'],
    async (port) => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok,
  )

const bareWs = () =>
  startServer(
    (port) => [
      '--input-type=module',
      '-e',
      `import {WebSocketServer} from 'ws'
       const wss = new WebSocketServer({host: '127.0.0.1', port: ${port}})
       wss.on('connection', (ws) => {
         ws.on('error', () => {})
         ws.on('message', (data) => { for (const client of wss.clients) client.send(data.toString()) })
       })`,
    ],
    (port) =>
      new Promise((resolve) =>
        net
          .connect(port, '127.0.0.1')
          .on('connect', function () {
            this.destroy()
            resolve(true)
          })
          .on('error', () => resolve(false)),
      ),
  )

/** Reads /proc for RSS (what the OS charges) and asks the probe for V8's figures after a full GC; the median of 3. */
async function measure(server, snapshot) {
  await sleep(SETTLE_MS)
  if (snapshot && args.snapshots) await fetch(`http://127.0.0.1:${server.probePort}/?file=${encodeURIComponent(path.resolve(args.snapshots, snapshot))}`)
  const readings = []
  for (let i = 0; i < 3; i++) {
    const usage = await (await fetch(`http://127.0.0.1:${server.probePort}/`)).json()
    const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8')
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)[1]) * 1024
    readings.push({rss, heap: usage.heapUsed + usage.external, heapTotal: usage.heapTotal, heapUsed: usage.heapUsed, external: usage.external})
    await sleep(100)
  }
  const median = (key) => readings.map((r) => r[key]).sort((a, b) => a - b)[1]
  if (process.env.MEMORY_DEBUG) say(`  ${JSON.stringify(readings[1])}`)
  return {rss: median('rss'), heap: median('heap')}
}

function open(port, protocol) {
  return new Promise((resolve, reject) => {
    const ws = protocol
      ? new WebSocket(`ws://127.0.0.1:${port}/`, protocol, {perMessageDeflate: false})
      : new WebSocket(`ws://127.0.0.1:${port}/`, {perMessageDeflate: false})
    ws.on('error', reject)
    // chatdds.v1: connected once the server's hello came.
    if (protocol) ws.once('message', () => resolve(ws))
    else ws.once('open', () => resolve(ws))
  })
}

async function openMany(port, protocol, sockets) {
  for (let opened = 0; opened < COUNT; opened += BATCH) {
    const batch = await Promise.all(Array.from({length: Math.min(BATCH, COUNT - opened)}, () => open(port, protocol)))
    sockets.push(...batch)
  }
}

async function closeAll(sockets, server) {
  for (const ws of sockets) ws.terminate()
  server.child.kill('SIGTERM')
  await new Promise((resolve) => (server.child.exitCode === null ? server.child.once('exit', resolve) : resolve()))
}

const perConnection = (after, before) => ({rss: (after.rss - before.rss) / COUNT, heap: (after.heap - before.heap) / COUNT})

async function run() {
  const rows = {}
  const server = await chatdds()
  const sockets = []
  const idle = await measure(server, 'idle.heapsnapshot')
  await openMany(server.port, undefined, sockets)
  const plain = await measure(server, 'plain.heapsnapshot')
  await openMany(server.port, 'chatdds.v1', sockets)
  const v1 = await measure(server)
  await openMany(server.port, undefined, sockets)
  const plainAgain = await measure(server)
  rows['chatdds: plain, the first ones'] = perConnection(plain, idle)
  rows['chatdds: chatdds.v1, after them'] = perConnection(v1, plain)
  rows['chatdds: plain, after those'] = perConnection(plainAgain, v1)
  await closeAll(sockets, server)

  const bare = await bareWs()
  const bareSockets = []
  const bareIdle = await measure(bare)
  await openMany(bare.port, undefined, bareSockets)
  const bareFirst = await measure(bare)
  await openMany(bare.port, undefined, bareSockets)
  rows['bare ws: plain, the first ones'] = perConnection(bareFirst, bareIdle)
  rows['bare ws: plain, after them'] = perConnection(await measure(bare), bareFirst)
  await closeAll(bareSockets, bare)
  return rows
}

const KB = (bytes) => (bytes / 1024).toFixed(2)

try {
  const runs = []
  for (let i = 0; i < RUNS; i++) {
    runs.push(await run())
    say(
      `run ${i + 1}: ${Object.entries(runs.at(-1))
        .map(([kind, {rss, heap}]) => `${kind} ${KB(rss)} / ${KB(heap)} KB`)
        .join('; ')}`,
    )
  }
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]
  const result = Object.keys(runs[0]).map((kind) => ({
    kind,
    rssBytes: Math.round(median(runs.map((r) => r[kind].rss))),
    heapBytes: Math.round(median(runs.map((r) => r[kind].heap))),
    rssRange: [Math.round(Math.min(...runs.map((r) => r[kind].rss))), Math.round(Math.max(...runs.map((r) => r[kind].rss)))],
  }))
  if (args.json) console.log(JSON.stringify({count: COUNT, runs: RUNS, node: process.version, result}, null, 2))
  else {
    console.log(`${COUNT} idle connections of each kind, median of ${RUNS} runs (node ${process.version})`)
    console.log('| connections | RSS per connection (range) | V8 heap used + external per connection |')
    console.log('|---|---|---|')
    for (const {kind, rssBytes, heapBytes, rssRange} of result)
      console.log(`| ${kind} | ${KB(rssBytes)} KB (${KB(rssRange[0])}–${KB(rssRange[1])}) | ${KB(heapBytes)} KB |`)
  }
} finally {
  for (const child of children) child.kill('SIGKILL')
}
