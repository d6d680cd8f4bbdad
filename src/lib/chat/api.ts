/**
 * The backend's HTTP API, behind `--api-key` (docs/protocol.md, "Backend API"): POST /api/publish writes a
 * message like a chatdds.v1 `send` does, GET /api/presence and GET /api/history answer what chatdds.v1's
 * `presence` and a `join` with `history` would. Without an API key every /api path is 404.
 */
import type http from 'node:http'

import {MAX_NAME_LENGTH, MAX_ROOM_LENGTH, messageRecord, messageFrame, validName, type Member, type StoredMessage} from '../wire/index.js'
import {hasApiKey} from './auth.js'
import type {Logger} from './log.js'

/** What the API reads and writes, once the instance is up. */
export interface ApiCore {
  /** Writes one envelope to DDS; `done` once written (or not). */
  publish(room: string, text: string, from: string | null, done: (error: Error | undefined, result?: {id: string; ts: number}) => void): void
  members(room: string): Member[]
  /** The newest `limit` messages of `room`, oldest first. */
  history(room: string, limit: number): StoredMessage[]
  /** Messages kept per room (the largest `limit`). */
  historyDepth: number
}

export interface ApiOptions {
  apiKey?: string
  /** Largest request body, bytes (`--max-payload`). */
  maxBodyBytes: number
  /** undefined while the instance is starting (503). */
  core(): ApiCore | undefined
  logger: Logger
}

const JSON_TYPE = 'application/json'
/** How long a refused upload's connection may linger before it is cut. */
const REFUSED_LINGER_MS = 1000

/** Handles a request under /api; false when the path is not an API path. */
export function createApi(options: ApiOptions): (req: http.IncomingMessage, res: http.ServerResponse, path: string) => boolean {
  return (req, res, path) => {
    if (path !== '/api' && !path.startsWith('/api/')) return false
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const text = JSON.stringify(body)
      res.writeHead(status, {'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', ...headers})
      res.end(req.method === 'HEAD' ? undefined : text)
    }
    const fail = (status: number, error: string, headers?: Record<string, string>) => send(status, {error}, headers)

    if (options.apiKey === undefined) {
      // Answered like any unknown path: without --api-key there is no API.
      discard(req, res)
      res.writeHead(404, {'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 10, 'Cache-Control': 'no-store'})
      res.end(req.method === 'HEAD' ? undefined : 'Not found\n')
      return true
    }
    if (!hasApiKey(req, options.apiKey)) {
      discard(req, res)
      fail(401, 'This API needs the server\'s API key: send "Authorization: Bearer <--api-key>".', {'WWW-Authenticate': 'Bearer realm="chatdds-api"'})
      return true
    }
    const endpoint = ENDPOINTS[path]
    if (!endpoint) {
      discard(req, res)
      fail(404, `No API endpoint ${path}; use POST /api/publish, GET /api/presence?room=… or GET /api/history?room=…&limit=N.`)
      return true
    }
    if (!endpoint.methods.includes(req.method ?? '')) {
      discard(req, res)
      fail(405, `${path} answers ${endpoint.methods.filter((m) => m !== 'HEAD').join(' and ')} only.`, {Allow: endpoint.methods.join(', ')})
      return true
    }
    const core = options.core()
    if (!core) {
      discard(req, res)
      fail(503, 'The instance is starting; try again in a moment.')
      return true
    }
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams
    if (path === '/api/publish') publish(req, res, core, options, fail, send)
    else if (path === '/api/presence') {
      const room = roomOf(query)
      if (typeof room !== 'string') fail(400, room.error)
      else send(200, {room, members: core.members(room)})
    } else {
      const room = roomOf(query)
      const limitText = query.get('limit') ?? String(core.historyDepth)
      if (typeof room !== 'string') fail(400, room.error)
      else if (!/^\d{1,15}$/.test(limitText)) fail(400, `?limit= must be a non-negative integer (at most ${core.historyDepth} messages are kept per room).`)
      else send(200, {room, messages: core.history(room, Number(limitText)).map((message) => messageRecord(messageFrame(message)))})
    }
    return true
  }
}

const ENDPOINTS: Record<string, {methods: string[]}> = {
  '/api/publish': {methods: ['POST']},
  '/api/presence': {methods: ['GET', 'HEAD']},
  '/api/history': {methods: ['GET', 'HEAD']},
}

function roomOf(query: URLSearchParams): string | {error: string} {
  const room = query.get('room')
  return validName(room, MAX_ROOM_LENGTH) ? room : {error: `?room= must name a room of 1 to ${MAX_ROOM_LENGTH} characters.`}
}

type Fail = (status: number, error: string, headers?: Record<string, string>) => void

function publish(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  core: ApiCore,
  options: ApiOptions,
  fail: Fail,
  send: (status: number, body: unknown) => void,
): void {
  const max = options.maxBodyBytes
  const tooLarge = (bytes: string) => {
    stopReading(req, res)
    fail(400, `The body is ${bytes} bytes, over the ${max}-byte limit (--max-payload); send a shorter message.`)
  }
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > max) {
    tooLarge(declared)
    return
  }
  const chunks: Buffer[] = []
  let size = 0
  let refused = false
  req.on('data', (chunk: Buffer) => {
    if (refused) return
    size += chunk.length
    if (size > max) {
      refused = true
      tooLarge(`more than ${max}`)
      return
    }
    chunks.push(chunk)
  })
  req.on('error', () => {})
  req.on('end', () => {
    if (refused) return
    let body: unknown
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    } catch {
      fail(400, 'The body is not JSON; send {"room": "…", "text": "…", "from": "…"} with Content-Type: application/json.')
      return
    }
    const problem = publishProblem(body)
    if (problem) {
      fail(400, problem)
      return
    }
    const {room, text, from} = body as {room: string; text: string; from?: string | null}
    core.publish(room, text, from ?? null, (error, result) => {
      if (error || !result) {
        options.logger.warn(`POST /api/publish: the message could not be written to DDS (${error?.message ?? 'no result'})`)
        fail(503, `The message could not be written to DDS (${error?.message ?? 'no result'}); send it again later.`)
      } else if (!res.headersSent) {
        send(200, {id: result.id, ts: result.ts})
      }
    })
  })
}

function publishProblem(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'The body must be a JSON object {"room": "…", "text": "…", "from": "…"}.'
  const {room, text, from} = body as Record<string, unknown>
  if (!validName(room, MAX_ROOM_LENGTH)) return `"room" must be a string of 1 to ${MAX_ROOM_LENGTH} characters.`
  if (typeof text !== 'string') return '"text" must be a string.'
  if (from !== undefined && from !== null && !validName(from, MAX_NAME_LENGTH))
    return `"from" must be a string of 1 to ${MAX_NAME_LENGTH} characters, null, or left out.`
  return undefined
}

/** A refused request's body is not read: when it has one, the connection ends after the answer. */
function discard(req: http.IncomingMessage, res: http.ServerResponse): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0'
  if (hasBody) stopReading(req, res)
}

/** Reads no more of the request; the client has a moment to read the answer before the connection is cut. */
function stopReading(req: http.IncomingMessage, res: http.ServerResponse): void {
  res.shouldKeepAlive = false
  req.pause()
  setTimeout(() => req.socket.destroy(), REFUSED_LINGER_MS).unref()
}
