// Load for the fault tests (and bench/faults): chatdds.v1 senders at a fixed rate and receivers that
// record every message, with the checks a user would make: everything acked arrived everywhere,
// exactly once, in each sender's order.
import {openV1} from '../commands/serveSupport.js'
import {eventually} from '../helpers.js'

/**
 * On each instance: `receivers` chatdds.v1 clients in `room` and one sender that sends `rate`
 * messages per second until `stop()`. Texts are `<instance>-<n>`.
 */
export async function startLoad(instances, {room = 'r', receivers = 3, rate = 100} = {}) {
  const clients = []
  for (const instance of instances) {
    for (let i = 0; i < receivers; i++) {
      const ws = await openV1(instance.port, `${instance.name}-r${i}`)
      await ws.request({type: 'join', room})
      clients.push({instance: instance.name, ws})
    }
  }
  const senders = []
  for (const instance of instances) {
    const ws = await openV1(instance.port, `${instance.name}-sender`)
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
      rows.push({client: client.ws.frames.find((f) => f.type === 'hello').name, sender: sender.instance, expected: expected.length, got: got.length, missing, duplicated, ordered, gaps: client.ws.frames.filter((f) => f.type === 'gap')})
    }
  }
  return rows
}

/** Waits until every sender's sends are acked and every client has every acked message (or the time is up). */
export async function settle(load, timeoutMs = 60_000) {
  await eventually(() => load.senders.every((s) => acked(s).length === s.sent), timeoutMs).catch(() => {})
  await eventually(() => tally(load).every((row) => row.missing === 0), timeoutMs).catch(() => {})
  return tally(load)
}
