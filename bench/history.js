#!/usr/bin/env node
// History benchmark: one `chatdds serve` filled with ROOMS × DEPTH messages, then a second one started late.
//   1. RSS of an instance holding ROOMS rooms × DEPTH messages of history (the one that read them live,
//      and the late one that got them by the history hand-over), next to an idle instance's RSS
//   2. time for a chatdds.v1 client joining a room with `history: DEPTH` to hold all DEPTH messages
//      (from sending the join to the last replayed frame), on both instances
//   3. the late instance's start → ready time (history hand-over of everything included)
// Usage: node bench/history.js [--rooms 100] [--depth 100] [--size 100] [--joins 20] [--domain D] [--json]
// Run after `npx tsc -p .`. Numbers are wall-clock on this machine, client and servers sharing its cores.
import {spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import WebSocket from 'ws'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const {values: args} = parseArgs({
  options: {
    rooms: {type: 'string', default: '100'},
    depth: {type: 'string', default: '100'},
    size: {type: 'string', default: '100'},
    joins: {type: 'string', default: '20'},
    domain: {type: 'string'},
    json: {type: 'boolean', default: false},
  },
})
const ROOMS = Number(args.rooms)
const DEPTH = Number(args.depth)
const SIZE = Number(args.size)
const JOINS = Math.min(Number(args.joins), ROOMS)
const DOMAIN = args.domain === undefined ? 100 + Math.floor(Math.random() * 120) : Number(args.domain)
/** Clients that fill the history; each sends its share in one burst, under the per-client burst of 2000 frames. */
const SENDERS = Math.max(1, Math.ceil((ROOMS * DEPTH) / 1500))
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

async function serve(name) {
  const port = await freePort()
  const startedAt = Date.now()
  const child = spawn(
    process.execPath,
    [path.join(root, 'bin', 'run.js'), 'serve', '--port', String(port), '--domain', String(DOMAIN), '--name', name, '--history', String(DEPTH)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  children.push(child)
  child.log = ''
  child.stdout.on('data', (d) => (child.log += d))
  let exited = false
  child.on('exit', () => (exited = true))
  for (;;) {
    if (exited) throw new Error(`${name} exited:\n${child.log}`)
    try {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`)
      if (response.ok) break
    } catch {
      // Not listening yet: ask again.
    }
    await sleep(20)
  }
  return {name, port, child, readyMs: Date.now() - startedAt}
}

/** Resident set size of a process, MiB. */
function rssMiB(pid) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))
  return Number(line.split(/\s+/)[1]) / 1024
}

async function metric(port, name) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  return line ? Number(line.split(' ')[1]) : 0
}

function connect(port, name) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/?name=${name}`, 'chatdds.v1', {perMessageDeflate: false})
    ws.on('error', reject)
    ws.once('message', () => resolve(ws)) // the hello
  })
}

/** Joins `room` with history DEPTH; resolves with ms from the join frame to the DEPTH-th replayed message. */
function timedJoin(ws, room) {
  return new Promise((resolve, reject) => {
    let replayed = 0
    const startedAt = process.hrtime.bigint()
    const onMessage = (data) => {
      const frame = JSON.parse(data.toString())
      if (frame.type === 'error') reject(new Error(frame.message))
      if (frame.type === 'message' && frame.replay && ++replayed === DEPTH) {
        ws.off('message', onMessage)
        resolve(Number(process.hrtime.bigint() - startedAt) / 1e6)
      }
    }
    ws.on('message', onMessage)
    ws.send(JSON.stringify({type: 'join', room, history: DEPTH}))
  })
}

async function joinTimes(port) {
  const times = []
  for (let i = 0; i < JOINS; i++) {
    const ws = await connect(port, `reader${i}`)
    times.push(await timedJoin(ws, `room-${i}`))
    ws.close()
  }
  times.sort((a, b) => a - b)
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))]
  return {p50: at(0.5), max: times.at(-1), min: times[0]}
}

const round = (n, digits = 1) => Number(n.toFixed(digits))

async function main() {
  say(`history bench: ${ROOMS} rooms × ${DEPTH} messages of ${SIZE} characters, DDS domain ${DOMAIN}`)
  const idle = await serve('bench-idle')
  await sleep(500)
  const idleRss = rssMiB(idle.child.pid)
  idle.child.kill('SIGTERM')

  const first = await serve('bench-1')
  const emptyRss = rssMiB(first.child.pid)
  const senders = await Promise.all(Array.from({length: SENDERS}, (_, i) => connect(first.port, `sender${i}`)))
  const filler = 'x'.repeat(Math.max(0, SIZE - 20))
  const total = ROOMS * DEPTH
  const fillStart = Date.now()
  for (let n = 0; n < total; n++) {
    const room = `room-${n % ROOMS}`
    senders[n % SENDERS].send(JSON.stringify({type: 'send', room, text: `${room} #${Math.floor(n / ROOMS)} ${filler}`}))
  }
  while ((await metric(first.port, 'chatdds_dds_samples_read_total')) < total) await sleep(100)
  for (const ws of senders) ws.close()
  const fillMs = Date.now() - fillStart
  await sleep(1000)
  const fullRss = rssMiB(first.child.pid)
  say(`filled in ${(fillMs / 1000).toFixed(1)} s`)

  const joinFirst = await joinTimes(first.port)

  const late = await serve('bench-2')
  const handOver = /History hand-over complete in ([\d.]+) s: .*; (\d+) messages merged/.exec(late.child.log)
  await sleep(1000)
  const lateRss = rssMiB(late.child.pid)
  const joinLate = await joinTimes(late.port)

  const result = {
    rooms: ROOMS,
    depth: DEPTH,
    messageChars: SIZE,
    rssMiB: {idle: round(idleRss), beforeFill: round(emptyRss), live: round(fullRss), handedOver: round(lateRss)},
    historyMiB: round(fullRss - emptyRss),
    joinWithHistoryMs: {live: mapValues(joinFirst, round), handedOver: mapValues(joinLate, round)},
    lateInstance: {readyMs: late.readyMs, handOverSeconds: handOver ? Number(handOver[1]) : null, messagesHandedOver: handOver ? Number(handOver[2]) : null},
  }
  if (args.json) {
    console.log(JSON.stringify(result))
    return
  }
  console.log(`RSS idle instance                       ${result.rssMiB.idle} MiB`)
  console.log(`RSS before / after ${ROOMS}×${DEPTH} messages      ${result.rssMiB.beforeFill} / ${result.rssMiB.live} MiB  (history ≈ ${result.historyMiB} MiB)`)
  console.log(`RSS late instance (history handed over) ${result.rssMiB.handedOver} MiB`)
  console.log(`join with history ${DEPTH}, all held     p50 ${result.joinWithHistoryMs.live.p50} ms, max ${result.joinWithHistoryMs.live.max} ms (${JOINS} joins)`)
  console.log(`  same on the late instance            p50 ${result.joinWithHistoryMs.handedOver.p50} ms, max ${result.joinWithHistoryMs.handedOver.max} ms`)
  console.log(
    `late instance start → ready            ${(late.readyMs / 1000).toFixed(1)} s (hand-over of ${result.lateInstance.messagesHandedOver} messages: ${result.lateInstance.handOverSeconds} s as logged)`,
  )
}

function mapValues(object, fn) {
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, fn(v)]))
}

try {
  await main()
} finally {
  for (const child of children) child.kill('SIGKILL')
}
process.exit(0)
