#!/usr/bin/env node
// Fan-out benchmark: N `chatdds serve` instances on one DDS domain, C plain clients + 1 sender on each.
//   1. burst: every sender writes M messages as fast as its socket takes them → deliveries/s, lost, duplicates
//   2. latency: all senders together write --rate messages/s for --duration s → p50/p99/max send→receive
// Usage: node bench/fanout.js [--instances 3] [--clients 50] [--size 100] [--messages 1000] [--rate 300] [--duration 10] [--domain D] [--secure] [--json]
//   --secure: every instance joins with DDS Security (a PKI made for the run, as `cluster up --secure` does).
// Run after `npm run build`. Latency (one clock) is observed by one plain client per instance in this process;
// the other C-1 plain clients per instance run in a worker thread (bench/fanout-load.js) and count what they
// get, so an observer never waits behind this process parsing every other client's frames. All of it shares
// the machine's cores with the servers.
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import {Worker} from 'node:worker_threads'
import WebSocket from 'ws'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const {values: args} = parseArgs({
  options: {
    instances: {type: 'string', default: '3'},
    clients: {type: 'string', default: '50'},
    size: {type: 'string', default: '100'},
    messages: {type: 'string', default: '1000'},
    rate: {type: 'string', default: '300'},
    duration: {type: 'string', default: '10'},
    domain: {type: 'string'},
    secure: {type: 'boolean', default: false},
    json: {type: 'boolean', default: false},
  },
})
const INSTANCES = Number(args.instances)
const CLIENTS = Number(args.clients)
const SIZE = Number(args.size)
const MESSAGES = Number(args.messages)
const RATE = Number(args.rate)
const DURATION_S = Number(args.duration)
const DOMAIN = args.domain === undefined ? 100 + Math.floor(Math.random() * 120) : Number(args.domain)
const say = (line) => args.json || process.stderr.write(line + '\n')

const children = []
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

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

async function until(predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

/** --secure: a PKI with an identity per instance, in a temporary directory removed at the end. */
let pkiDir
async function makePki() {
  const {initPki, issueIdentity} = await import('../dist/lib/security/index.js')
  pkiDir = mkdtempSync(path.join(os.tmpdir(), 'chatdds-bench-pki-'))
  await initPki(pkiDir)
  await Promise.all(Array.from({length: INSTANCES}, (_, i) => issueIdentity(pkiDir, `fanout-${i + 1}`)))
}

async function startInstance(i) {
  const port = await freePort()
  const security = pkiDir ? ['--dds-security', pkiDir] : []
  const child = spawn(
    process.execPath,
    [path.join(root, 'bin', 'run.js'), 'serve', '--port', String(port), '--domain', String(DOMAIN), '--name', `fanout-${i + 1}`, '--quiet', ...security],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  )
  children.push(child)
  return {port, child}
}

async function readyz(port) {
  try {
    return await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()
  } catch {
    return undefined
  }
}

function openClient(port) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, {perMessageDeflate: false})
  ws.on('error', (error) => say(`client error: ${error.message}`))
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]

async function main() {
  say(`fanout: ${INSTANCES} instances × (${CLIENTS} plain clients + 1 sender), ${SIZE}-byte messages, DDS domain ${DOMAIN}${args.secure ? ', DDS Security' : ''}`)
  if (args.secure) await makePki()
  const instances = await Promise.all(Array.from({length: INSTANCES}, (_, i) => startInstance(i)))
  await until(
    async () => {
      const statuses = await Promise.all(instances.map(({port}) => readyz(port)))
      return statuses.every((s) => s && s.matchedReaders >= INSTANCES && s.matchedWriters >= INSTANCES)
    },
    60_000,
    'the instances to match each other',
  )

  const clients = []
  const senders = []
  for (const {port} of instances) {
    for (let c = 0; c < CLIENTS; c++) clients.push(await openClient(port))
    const sender = await openClient(port)
    senders.push(sender)
    clients.push(sender)
  }
  const pad = (head) => head + '.'.repeat(Math.max(0, SIZE - head.length))

  // Phase 1: burst.
  const expected = INSTANCES * MESSAGES
  const seen = clients.map(() => new Uint8Array(expected))
  const received = clients.map(() => 0)
  let duplicates = 0
  let lastDelivery = 0
  clients.forEach((ws, i) =>
    ws.on('message', (data) => {
      const text = data.toString()
      if (text[0] !== 'b') return
      const [s, n] = text
        .slice(1, text.indexOf('.') === -1 ? undefined : text.indexOf('.'))
        .split(':')
        .map(Number)
      const index = s * MESSAGES + n
      if (seen[i][index]) duplicates++
      else received[i]++
      seen[i][index] = 1
      lastDelivery = performance.now()
    }),
  )
  const burstStart = performance.now()
  senders.forEach((ws, s) => {
    for (let n = 0; n < MESSAGES; n++) ws.send(pad(`b${s}:${n}`))
  })
  // Done when everyone has everything, or nothing arrived for 10 s (then the rest is lost).
  await until(() => received.every((r) => r === expected) || (lastDelivery > 0 && performance.now() - lastDelivery > 10_000), 600_000, 'the burst')
  const burstMs = (received.every((r) => r === expected) ? lastDelivery : performance.now()) - burstStart
  const deliveries = received.reduce((a, b) => a + b, 0)
  const lost = clients.length * expected - deliveries
  const burst = {
    messages: expected,
    clients: clients.length,
    deliveries,
    seconds: Number((burstMs / 1000).toFixed(3)),
    deliveriesPerSecond: Math.round(deliveries / (burstMs / 1000)),
    messagesPerSecond: Math.round(expected / (burstMs / 1000)),
    lost,
    duplicates,
  }
  say(
    `burst: ${burst.deliveries} deliveries in ${burst.seconds} s = ${burst.deliveriesPerSecond} deliveries/s (${burst.messagesPerSecond} messages/s in), lost ${lost}, duplicates ${duplicates}`,
  )
  for (const ws of clients) ws.removeAllListeners('message')
  await sleep(500)

  // Phase 2: latency at a fixed total rate, with the same shape: C-1 load clients (worker) + 1 observer per instance.
  for (const ws of clients) if (!senders.includes(ws)) ws.terminate()
  const load = new Worker(new URL('./fanout-load.js', import.meta.url), {workerData: {ports: instances.map((i) => i.port), perInstance: CLIENTS - 1}})
  const loadReply = () => new Promise((resolve, reject) => load.once('message', resolve).once('error', reject))
  await loadReply()
  const observers = await Promise.all(instances.map(({port}) => openClient(port)))
  const latencies = []
  let latencyLost = 0
  let sent = 0
  for (const ws of observers) {
    ws.on('message', (data) => {
      const text = data.toString()
      if (text[0] !== 'l') return
      // Microseconds, an integer: the padding is dots, so the timestamp must not contain one.
      const sentAt = Number(text.slice(1, text.indexOf('.') === -1 ? undefined : text.indexOf('.'))) / 1000
      latencies.push(performance.now() - sentAt)
    })
  }
  const tickMs = 10
  const total = Math.round(RATE * DURATION_S)
  const start = performance.now()
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * RATE))
      for (; sent < due; sent++) senders[sent % INSTANCES].send(pad(`l${Math.round(performance.now() * 1000)}`))
      if (sent >= total) {
        clearInterval(timer)
        resolve()
      }
    }, tickMs)
  })
  const wanted = total * observers.length
  await until(() => latencies.length >= wanted, 30_000, 'the latency phase').catch(() => {})
  await sleep(500)
  load.postMessage('stop')
  const {received: loadReceived} = await loadReply()
  await load.terminate()
  latencyLost = wanted - latencies.length + (total * INSTANCES * (CLIENTS - 1) - loadReceived)
  latencies.sort((a, b) => a - b)
  const latency = {
    ratePerSecond: RATE,
    seconds: DURATION_S,
    deliveries: latencies.length,
    lost: latencyLost,
    p50Ms: Number(percentile(latencies, 50).toFixed(2)),
    p99Ms: Number(percentile(latencies, 99).toFixed(2)),
    maxMs: Number(latencies.at(-1).toFixed(2)),
  }
  say(
    `latency at ${RATE} messages/s for ${DURATION_S} s: p50 ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms, max ${latency.maxMs} ms at ${observers.length} observers, ${latency.deliveries + loadReceived} deliveries in all (lost ${latencyLost})`,
  )

  for (const ws of [...senders, ...observers]) ws.terminate()
  const result = {instances: INSTANCES, clientsPerInstance: CLIENTS, size: SIZE, domain: DOMAIN, secure: args.secure, burst, latency}
  if (args.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n')
  return burst.lost === 0 && burst.duplicates === 0 && latencyLost === 0 ? 0 : 1
}

async function stopAll() {
  await Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve()
          child.once('exit', resolve)
          child.kill('SIGTERM')
          setTimeout(() => child.kill('SIGKILL'), 3000).unref()
        }),
    ),
  )
}

process.once('SIGINT', () => stopAll().then(() => process.exit(130)))
let code = 1
try {
  code = await main()
} catch (error) {
  process.stderr.write(`fanout: ${error.message}\n`)
} finally {
  await stopAll()
  if (pkiDir) rmSync(pkiDir, {recursive: true, force: true})
}
process.exit(code)
