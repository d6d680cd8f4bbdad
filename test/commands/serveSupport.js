// Shared by the serve tests: real `chatdds serve` processes and websocket clients that record what they get.
import WebSocket from 'ws'
import {eventually, freePort, randomDomain, startCli} from '../helpers.js'

/** oclif wraps error lines and prefixes them with ›; this gives back the sentence. */
export const unwrap = (stderr) => stderr.replace(/\s*\n\s*›\s+/g, ' ').replace(/^\s*›\s+/, '')

/** Starts `chatdds serve` on a free port (and a random domain unless `domain: false`); resolves once it answers /healthz. */
export async function startServe(extra = [], {domain = true, ...options} = {}) {
  const port = await freePort()
  const args = ['serve', '--port', String(port), ...(domain ? ['--domain', String(randomDomain())] : []), ...extra]
  const child = startCli(args, options)
  let exited = false
  child.exited.then(() => (exited = true))
  await eventually(async () => {
    if (exited) throw new Error(`chatdds serve exited:\n${child.output()}`)
    return (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200
  })
  return {child, port}
}

export function openSocket(port, protocol) {
  const ws = protocol ? new WebSocket(`ws://127.0.0.1:${port}/`, protocol) : new WebSocket(`ws://127.0.0.1:${port}/`)
  ws.on('error', () => {})
  ws.texts = []
  ws.on('message', (data) => ws.texts.push(data.toString()))
  ws.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({code, reason: reason.toString()})))
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

