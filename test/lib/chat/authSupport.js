// Helpers for the security tests: tokens signed with jose directly (not with our signer), raw upgrade requests, raw HTTP.
import {generateKeyPairSync, randomBytes} from 'node:crypto'
import http from 'node:http'
import net from 'node:net'
import {SignJWT} from 'jose'
import WebSocket from 'ws'

export const SECRET = 'test-secret-of-at-least-32-bytes-0123456789'
export const API_KEY = 'api-key-for-tests-0123456789abcdef'

/**
 * An HS256 (or other `alg` with `key`) token for `claims`; `exp` defaults to an hour from now, `null` leaves it out.
 * @param {Record<string, unknown> & {sub?: string | null}} [claims]
 * @param {{secret?: string, alg?: string, key?: import('node:crypto').KeyObject, exp?: number | null}} [options]
 */
export function token(claims = {}, {secret = SECRET, alg = 'HS256', key, exp} = {}) {
  const {sub = 'alice', ...rest} = claims
  let jwt = new SignJWT(rest).setProtectedHeader({alg, typ: 'JWT'}).setIssuedAt()
  if (sub !== null) jwt = jwt.setSubject(sub)
  if (exp !== null) jwt = jwt.setExpirationTime(exp ?? Math.floor(Date.now() / 1000) + 3600)
  return jwt.sign(key ?? new TextEncoder().encode(secret))
}

export const rsa = () => generateKeyPairSync('rsa', {modulusLength: 2048})
export const ec = () => generateKeyPairSync('ec', {namedCurve: 'P-256'})
/**
 * @param {import('node:crypto').KeyObject} publicKey
 * @returns {string}
 */
export const pem = (publicKey) => /** @type {string} */ (publicKey.export({type: 'spki', format: 'pem'}))

/**
 * Sends a websocket upgrade request to `server` and resolves with {status, body, headers} for a refused one,
 * or {status: 101, protocol} (the socket is closed at once) for an accepted one.
 * @param {{port: number}} server
 * @param {{path?: string, headers?: Record<string, string>, protocol?: string}} [request]
 * @returns {Promise<{status: number, protocol?: string, body?: string, headers?: import('node:http').IncomingHttpHeaders}>}
 */
export function upgrade(server, {path = '/', headers = {}, protocol} = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port: server.port,
      path,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        ...(protocol ? {'Sec-WebSocket-Protocol': protocol} : {}),
        ...headers,
      },
    })
    req.on('upgrade', (res, socket) => {
      socket.destroy()
      resolve({status: res.statusCode, protocol: res.headers['sec-websocket-protocol']})
    })
    req.on('response', (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => (body += chunk))
      res.on('end', () => resolve({status: res.statusCode, body, headers: res.headers}))
    })
    req.on('error', reject)
    req.end()
  })
}

const sockets = new Set()

/**
 * A websocket to `server` (query and headers as given) recording `frames` (chatdds.v1) or `texts`, and `closed`.
 * @param {{url: string}} server
 * @param {{query?: string, protocol?: string, headers?: Record<string, string>}} [connection]
 * @returns {Promise<import('./support.js').TestSocket>}
 */
export function open(server, {query = '', protocol, headers} = {}) {
  const ws = /** @type {import('./support.js').TestSocket} */ (
    protocol ? new WebSocket(server.url + query, protocol, {headers}) : new WebSocket(server.url + query, {headers})
  )
  sockets.add(ws)
  ws.texts = []
  ws.frames = []
  ws.on('error', () => {})
  ws.on('message', (data) => {
    ws.texts.push(data.toString())
    if (protocol) ws.frames.push(JSON.parse(data.toString()))
  })
  ws.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({code, reason: reason.toString()})))
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

export function closeSockets() {
  for (const ws of sockets) ws.terminate()
  sockets.clear()
}

/**
 * An HTTP request to `server`: {status, type, body, json}.
 * @param {{port: number}} server
 * @param {string} path
 * @param {{method?: string, key?: string, body?: unknown, headers?: Record<string, string>}} [request]
 */
export async function api(server, path, {method = 'GET', key = API_KEY, body, headers = {}} = {}) {
  const response = await fetch(`http://127.0.0.1:${server.port}${path}`, {
    method,
    headers: {...(key ? {Authorization: `Bearer ${key}`} : {}), ...(body === undefined ? {} : {'Content-Type': 'application/json'}), ...headers},
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await response.text()
  let json
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return {status: response.status, type: response.headers.get('content-type'), body: text, json, headers: response.headers}
}

/**
 * Writes `head` (request line and headers) and `bodyPart` on a raw TCP connection and resolves with the
 * first response (status line and body) the server writes, without ever sending more.
 * @param {{port: number}} server
 * @param {string} head
 * @param {string} [bodyPart]
 * @returns {Promise<{status: number, head: string, body: string}>}
 */
export function rawRequest(server, head, bodyPart = '') {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1')
    let data = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk) => {
      data += chunk
      const split = data.indexOf('\r\n\r\n')
      if (split < 0) return
      const length = Number(/content-length: (\d+)/i.exec(data.slice(0, split))?.[1] ?? 0)
      if (data.length - split - 4 >= length) {
        socket.destroy()
        resolve({status: Number(data.split(' ')[1]), head: data.slice(0, split), body: data.slice(split + 4, split + 4 + length)})
      }
    })
    socket.on('error', reject)
    socket.write(head + bodyPart)
  })
}
