// Helpers for the chat server tests: servers on MemoryBus, websocket clients that record what they get.
import WebSocket from 'ws'
import {MemoryBus, MemoryHub} from '../../../dist/lib/chat/bus.js'
import {startChatServer} from '../../../dist/lib/chat/server.js'
import {eventually} from '../../helpers.js'

export {eventually}

const servers = new Set()
const sockets = new Set()

/**
 * A websocket opened by `connect`: `texts` (every text frame), `frames` (parsed, for chatdds.v1), `closed`, and
 * `_socket`, ws's own TCP socket, which some tests pause or cork to act as a slow or batching client.
 * @typedef {WebSocket & {texts: string[], frames: any[], closed: Promise<{code: number, reason: string}>, _socket: import('node:net').Socket}} TestSocket
 */

/**
 * A server on port 0 with a MemoryBus on `hub` (a fresh hub by default); `lines` holds what it logged.
 * @param {Partial<import('../../../dist/lib/chat/server.js').ChatServerOptions>} [options]
 * @param {{hub?: MemoryHub, capacity?: number}} [memory]
 * @returns {Promise<import('../../../dist/lib/chat/server.js').ChatServer & {lines: string[], bus: MemoryBus}>}
 */
export async function startMemoryServer(options = {}, {hub = new MemoryHub(), capacity} = {}) {
  const bus = options.bus ?? new MemoryBus(hub, {name: options.name, capacity})
  const lines = []
  const server = await startChatServer({
    port: 0,
    logger: options.logger ?? recordingLogger(lines),
    // Peers on a MemoryHub are there from the start: no discovery time to wait for.
    handOver: {settleMs: 0, quietMs: 0, retryMs: 200, timeoutMs: 3000},
    presenceCoalesceMs: 5,
    ...options,
    bus,
  })
  // Its bus is the MemoryBus made here unless `options.bus` was given.
  const recorded = /** @type {import('../../../dist/lib/chat/server.js').ChatServer & {lines: string[], bus: MemoryBus}} */ (server)
  recorded.lines = lines
  servers.add(server)
  return recorded
}

/** A logger at debug level that keeps every line. */
export function recordingLogger(lines) {
  const at = (prefix) => (message) => lines.push(prefix + message)
  return {error: at('error: '), warn: at('warning: '), info: at(''), debug: at(''), enabled: () => true}
}

/**
 * Opens a websocket to `server`. The returned socket records `texts` (every text frame), `frames`
 * (parsed, for chatdds.v1) and `closed` (Promise of {code, reason}).
 * @param {{url: string}} server
 * @param {{protocol?: string, name?: string, options?: import('ws').ClientOptions}} [connection]
 * @returns {Promise<TestSocket>}
 */
export function connect(server, {protocol, name, options} = {}) {
  const url = server.url + (name ? `?name=${encodeURIComponent(name)}` : '')
  const ws = /** @type {TestSocket} */ (protocol ? new WebSocket(url, protocol, options) : new WebSocket(url, options))
  sockets.add(ws)
  ws.texts = []
  ws.frames = []
  ws.on('error', () => {})
  ws.on('message', (data, isBinary) => {
    if (isBinary) return
    const text = data.toString()
    ws.texts.push(text)
    if (protocol) ws.frames.push(JSON.parse(text))
  })
  ws.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({code, reason: reason.toString()})))
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

/** A chatdds.v1 client that has received its hello. */
export async function connectV1(server, name) {
  const ws = await connect(server, {protocol: 'chatdds.v1', name})
  await eventually(() => ws.frames.some((f) => f.type === 'hello'))
  return ws
}

/** Sends a chatdds.v1 request and resolves with the first later frame that has its `ref`. */
export async function request(ws, frame) {
  const from = ws.frames.length
  ws.send(JSON.stringify(frame))
  return eventually(() => ws.frames.slice(from).find((f) => f.ref === frame.ref))
}

export const framesOfType = (ws, type) => ws.frames.filter((f) => f.type === type)

/** Closes every socket and server these helpers opened. */
export async function cleanup() {
  for (const ws of sockets) ws.terminate()
  sockets.clear()
  await Promise.all([...servers].map((s) => s.close()))
  servers.clear()
}

export async function httpGet(server, path) {
  const response = await fetch(`http://127.0.0.1:${server.port}${path}`)
  return {status: response.status, type: response.headers.get('content-type'), body: await response.text()}
}

export {MemoryBus, MemoryHub, startChatServer}
