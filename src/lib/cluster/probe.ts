/**
 * The "connected to every other" half of readiness: one probe message written through each
 * instance must reach every instance (itself included) over DDS.
 */
import {randomUUID} from 'node:crypto'
import {ChatClient} from '../client/chatClient.js'
import {delay} from './processes.js'

/** A room of its own, so that probes never show up in `general` (plain clients, the browser page, tail). */
export const PROBE_ROOM = 'chatdds.probe'
/** A probe not seen everywhere by then is written again (a sample written before discovery settled). */
const RESEND_MS = 2000

export interface ProbeTarget {
  name: string
  port: number
}

/** Resolves once every instance has received every instance's probe; rejects when `signal` aborts. */
export async function probeMesh(targets: ProbeTarget[], signal: AbortSignal): Promise<void> {
  const nonce = randomUUID().slice(0, 8)
  const probeText = (name: string) => `probe ${nonce} from ${name}`
  const clients: ChatClient[] = []
  try {
    for (const target of targets) {
      clients.push(await ChatClient.connect({port: target.port, name: 'chatdds-cluster-probe', timeoutMs: 5000}))
      signal.throwIfAborted()
    }
    // received[r] = names of the instances whose probe reached instance r.
    const received = targets.map(() => new Set<string>())
    const expected = new Map(targets.map((target) => [probeText(target.name), target.name]))
    for (const [index, client] of clients.entries()) {
      client.on('message', (message) => {
        const sender = message.room === PROBE_ROOM ? expected.get(message.text) : undefined
        if (sender) received[index].add(sender)
      })
      await client.join(PROBE_ROOM, {history: 0})
    }
    const missing = () => targets.filter((target) => received.some((names) => !names.has(target.name)))
    for (let pending = targets; pending.length > 0; pending = missing()) {
      signal.throwIfAborted()
      await Promise.all(pending.map((target) => clients[targets.indexOf(target)].send(PROBE_ROOM, probeText(target.name))))
      const resendAt = Date.now() + RESEND_MS
      while (Date.now() < resendAt && missing().length > 0) {
        signal.throwIfAborted()
        await delay(25)
      }
    }
  } finally {
    await Promise.all(clients.map((client) => client.close()))
  }
}
