// Shared by the tests that start a `cluster up` cluster: consecutive free ports for --base-port.
import net from 'node:net'

/** Whether `port` on 127.0.0.1 can be bound now. */
export function portFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.unref()
    server.once('error', () => resolve(false))
    server.listen({port, host: '127.0.0.1', exclusive: true}, () => server.close(() => resolve(true)))
  })
}

/** A base port with `count` consecutive free ports, below Linux's ephemeral range. */
export async function freeRange(count) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 10_000)
    const ports = Array.from({length: count}, (_, i) => base + i)
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base
  }
  throw new Error(`no ${count} consecutive free ports found`)
}
