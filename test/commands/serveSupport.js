// Shared by the serve tests: real `chatdds serve` processes and websocket clients that record what they get.
import WebSocket from 'ws'
import {eventually, freePort, randomDomain, startCli} from '../helpers.js'

/** oclif wraps error lines and prefixes them with ›; this gives back the sentence. */
export const unwrap = (stderr) => stderr.replace(/\s*\n\s*›\s+/g, ' ').replace(/^\s*›\s+/, '')

/**
 * Starts `chatdds serve` on a free port (and a random domain unless `domain: false`); resolves once it answers /healthz.
 * @param {string[]} [extra]
 * @param {{domain?: boolean} & import('node:child_process').SpawnOptions} [options]
 */
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

/**
 * A websocket that records `texts` (every frame, as text) and `closed` (Promise of {code, reason}).
 * @typedef {WebSocket & {texts: string[], closed: Promise<{code: number, reason: string}>}} RecordingSocket
 */

/**
 * Opens a websocket to `chatdds serve` on `port`, with `protocol` if given.
 * @param {number} port
 * @param {string} [protocol]
 * @returns {Promise<RecordingSocket>}
 */
export function openSocket(port, protocol) {
  const ws = /** @type {RecordingSocket} */ (protocol ? new WebSocket(`ws://127.0.0.1:${port}/`, protocol) : new WebSocket(`ws://127.0.0.1:${port}/`))
  ws.on('error', () => {})
  ws.texts = []
  ws.on('message', (data) => ws.texts.push(data.toString()))
  ws.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({code, reason: reason.toString()})))
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

/** GET http://127.0.0.1:port/path as JSON (the 503 bodies of /readyz too). */
export async function getJson(port, path) {
  return (await fetch(`http://127.0.0.1:${port}${path}`)).json()
}

/** Starts `chatdds serve --name <name>` on `domain`: {child, port, name, domain}, once it answers /healthz. */
export async function startInstance(name, domain, extra = []) {
  const {child, port} = await startServe(['--domain', String(domain), '--name', name, ...extra], {domain: false})
  return {child, port, name, domain}
}

/**
 * Starts `chatdds serve` instances `<prefix>-1`… on one domain and resolves once each is ready (history
 * hand-over done) and has discovered all the others: [{child, port, name, domain}].
 */
export async function startInstances(n, {domain = randomDomain(), prefix = 'e2e', extra = []} = {}) {
  const instances = await Promise.all(Array.from({length: n}, (_, i) => startInstance(`${prefix}-${i + 1}`, domain, extra)))
  await Promise.all(instances.map((instance) => waitReady(instance, n - 1)))
  return instances
}

/** Resolves once the instance is ready and sees `peers` other participants; the error shows its log. */
export async function waitReady(instance, peers, timeoutMs = 30_000) {
  await eventually(async () => {
    const status = await getJson(instance.port, '/readyz')
    return status.ready && status.peers.length >= peers && status.matchedReaders >= peers + 1 && status
  }, timeoutMs).catch((error) => {
    throw new Error(`${instance.name} never became ready with ${peers} peers: ${error.message}\n${instance.child.output()}`)
  })
}

/**
 * A chatdds.v1 client: `frames` (every frame, parsed), `request(frame)`, `ofType(type)`.
 * @typedef {WebSocket & {frames: any[], request: (frame: object & {type: string}) => Promise<any>, ofType: (type: string) => any[]}} V1Socket
 */

/**
 * A chatdds.v1 client of `host:port` that has received its hello: `frames` (parsed), `request(frame)` resolves with the reply carrying its ref.
 * @param {string} host
 * @param {number} port
 * @param {string} name
 * @returns {Promise<V1Socket>}
 */
export async function openClient(host, port, name) {
  /** @type {V1Socket} */
  const ws = await new Promise((resolve, reject) => {
    const socket = /** @type {V1Socket} */ (new WebSocket(`ws://${host}:${port}/?name=${encodeURIComponent(name)}`, 'chatdds.v1'))
    socket.on('error', () => {})
    socket.frames = []
    socket.on('message', (data) => socket.frames.push(JSON.parse(data.toString())))
    socket.once('open', () => resolve(socket))
    socket.once('error', reject)
  })
  let refs = 0
  ws.request = (frame) => {
    const ref = `${frame.type}-${++refs}`
    ws.send(JSON.stringify({...frame, ref}))
    return eventually(() => ws.frames.find((f) => f.ref === ref))
  }
  ws.ofType = (type) => ws.frames.filter((f) => f.type === type)
  await eventually(() => ws.frames.some((f) => f.type === 'hello'))
  return ws
}

/**
 * openClient on 127.0.0.1.
 * @param {number} port
 * @param {string} name
 */
export const openV1 = (port, name) => openClient('127.0.0.1', port, name)
