// Load for the fault tests (and bench/faults): chatdds.v1 senders at a fixed rate and receivers that
// record every message, with the checks a user would make: everything acked arrived everywhere,
// exactly once, in each sender's order.
import {openClient} from '../commands/serveSupport.js'
import {eventually} from '../helpers.js'

export {openClient}

/** GET http://host:port/presence. */
export async function presenceOf(instance) {
  return (await fetch(`http://${instance.host ?? '127.0.0.1'}:${instance.port}/presence`)).json()
}

/** True when every instance lists all of them and the same members of `room` (`members` of them). */
export async function presenceAgrees(instances, room, members) {
  const views = await Promise.all(instances.map(presenceOf))
  const key = (view) => JSON.stringify([view.instances.map((i) => i.name), view.rooms[room] ?? []])
  return views.every((view) => view.instances.length === instances.length && (view.rooms[room] ?? []).length === members && key(view) === key(views[0]))
}

/**
 * On each instance: `receivers` chatdds.v1 clients in `room` and one sender that sends `rate`
 * messages per second until `stop()`. Texts are `<instance>-<n>`.
 */
export async function startLoad(instances, {room = 'r', receivers = 3, rate = 100} = {}) {
  const clients = []
  for (const instance of instances) {
    for (let i = 0; i < receivers; i++) {
      const ws = await openClient(instance.host ?? '127.0.0.1', instance.port, `${instance.name}-r${i}`)
      await ws.request({type: 'join', room})
      clients.push({instance: instance.name, ws})
    }
  }
  const senders = []
  for (const instance of instances) {
    const ws = await openClient(instance.host ?? '127.0.0.1', instance.port, `${instance.name}-sender`)
    senders.push({instance: instance.name, ws, sent: 0})
  }
  const perTick = Math.max(1, Math.round(rate / 100))
  const timer = setInterval(() => {
    for (const sender of senders) {
      for (let i = 0; i < perTick; i++) {
        const n = sender.sent++
        sender.ws.send(JSON.stringify({type: 'send', room, text: `${sender.instance}-${n}`, ref: n}))
      }
    }
  }, 10)
  return {
    clients,
    senders,
    stop() {
      clearInterval(timer)
    },
    close() {
      clearInterval(timer)
      for (const {ws} of [...clients, ...senders]) ws.terminate()
    },
  }
}

/** The texts each sender's instance acknowledged, in order. */
export function acked(sender) {
  return sender.ws.frames.filter((f) => f.type === 'ack').map((f) => `${sender.instance}-${f.ref}`)
}

/** Per client and sender: how many acked messages are missing, duplicated, or out of order. */
export function tally(load) {
  const rows = []
  for (const client of load.clients) {
    const texts = client.ws.frames.filter((f) => f.type === 'message').map((f) => f.text)
    for (const sender of load.senders) {
      const expected = acked(sender)
      const got = texts.filter((text) => text.startsWith(`${sender.instance}-`))
      const seen = new Set(got)
      const missing = expected.filter((text) => !seen.has(text)).length
      const duplicated = got.length - seen.size
      const ordered = got.every((text, i) => i === 0 || Number(text.slice(text.lastIndexOf('-') + 1)) > Number(got[i - 1].slice(got[i - 1].lastIndexOf('-') + 1)))
      rows.push({
        client: client.ws.frames.find((f) => f.type === 'hello').name,
        sender: sender.instance,
        expected: expected.length,
        got: got.length,
        missing,
        duplicated,
        ordered,
        gaps: client.ws.frames.filter((f) => f.type === 'gap'),
      })
    }
  }
  return rows
}

/** Sends answered with an error frame (rate_limited after a stall's backlog): the sender was told, nothing to deliver. */
export function refused(sender) {
  return sender.ws.frames.filter((f) => f.type === 'error').length
}

/** Waits until every send is answered and every client has every acked message (or the time is up). */
export async function settle(load, timeoutMs = 60_000) {
  await eventually(() => load.senders.every((s) => acked(s).length + refused(s) === s.sent), timeoutMs).catch(() => {})
  // Done when each client has every acked message, or was told of each one it lacks (gap frames).
  const accounted = () => {
    const rows = tally(load)
    const missing = new Map()
    for (const row of rows) missing.set(row.client, (missing.get(row.client) ?? 0) + row.missing)
    return rows.every((row) => missing.get(row.client) === row.gaps.reduce((n, gap) => n + gap.missing, 0))
  }
  await eventually(accounted, timeoutMs).catch(() => {})
  return tally(load)
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Sums one metric series over the instances' /metrics. */
export async function metricSum(instances, series) {
  let sum = 0
  for (const instance of instances) {
    const text = await (await fetch(`http://${instance.host ?? '127.0.0.1'}:${instance.port}/metrics`)).text()
    const line = text.split('\n').find((l) => l.startsWith(series + ' '))
    sum += line === undefined ? 0 : Number(line.slice(series.length + 1))
  }
  return sum
}

/**
 * The shape of every fault case: load on `instances` (3 receivers and a 100 msg/s sender each),
 * `fault.start()`, `seconds` of it, `fault.end()`, load for `afterMs` more, then wait until it
 * settles. Returns the tally and the figures bench/faults prints.
 */
export async function runFault(instances, fault, {seconds, afterMs = 1000, members}) {
  const load = await startLoad(instances)
  try {
    await sleep(1500)
    try {
      fault.start()
      await sleep(seconds * 1000)
    } finally {
      fault.end()
    }
    const healed = Date.now()
    await eventually(() => presenceAgrees(instances, 'r', members), 15_000).catch(() => {})
    const presenceMs = Date.now() - healed
    await sleep(Math.max(0, afterMs - presenceMs))
    load.stop()
    const rows = await settle(load)
    const reconcileMs = Date.now() - healed
    const sum = (key) => rows.reduce((n, row) => n + row[key], 0)
    return {
      rows,
      presenceMs,
      reconcileMs,
      lost: sum('missing'),
      duplicated: sum('duplicated'),
      outOfOrder: rows.filter((row) => !row.ordered).length,
      gaps: rows.reduce((n, row) => n + row.gaps.length, 0),
      sent: load.senders.reduce((n, sender) => n + acked(sender).length, 0),
      repaired: await metricSum(instances, 'chatdds_messages_repaired_total'),
      unrecovered: await metricSum(instances, 'chatdds_messages_unrecovered_total'),
    }
  } finally {
    load.close()
  }
}

/** A stall: SIGSTOP of `victim` for the fault's length. */
export function stall(victim) {
  return {start: () => victim.child.kill('SIGSTOP'), end: () => victim.child.kill('SIGCONT')}
}
