/** A chatdds.v1 websocket client: requests with refs answered by promises, messages as events, duplicates dropped. */
import {EventEmitter} from 'node:events'
import WebSocket from 'ws'

import {ChatddsError} from '../errors.js'
import {
  CloseCode,
  parseServerFrame,
  SUBPROTOCOL,
  type AckFrame,
  type Cursor,
  type ErrorFrame,
  type GapFrame,
  type HelloFrame,
  type JoinedFrame,
  type LeftFrame,
  type MessageFrame,
  type OutgoingRequest,
  type PresenceChangeFrame,
  type PresenceFrame,
  type Ref,
  type ServerFrame,
  type ServerFrameType,
} from '../wire/index.js'
import {MessageCursor} from './cursor.js'

export const DEFAULT_HOST = '127.0.0.1'
export const DEFAULT_TIMEOUT_MS = 5000
const DEFAULT_HEARTBEAT_MS = 15_000
/** How long `close()` waits for the server's closing handshake before dropping the socket. */
const CLOSE_GRACE_MS = 1000

export interface ConnectOptions {
  host?: string
  port: number
  /** Sent as `?name=`; the server says `anonymous` when omitted. */
  name?: string
  /** Bound on connecting (until the server's hello) and on every request. Default 5000. */
  timeoutMs?: number
  /** What earlier connections showed, so that a reconnect resumes where they stopped (tail). */
  seen?: MessageCursor
  /** Ping period; a server that misses one pong is dropped. Default 15000. */
  heartbeatMs?: number
  /** Connect token (`chatdds serve --auth-secret`), sent as `Authorization: Bearer`. */
  token?: string
}

export interface JoinOptions {
  /** Replay the last N messages of the room. */
  history?: number
  /** Replay every held message newer than this cursor (a message id or writer → seq). */
  since?: Cursor | string
}

interface Pending {
  expect: ServerFrameType
  resolve: (frame: ServerFrame) => void
  reject: (error: Error) => void
  timer: NodeJS.Timeout
}

/** `ws://127.0.0.1:7000/`: how users and error messages name a server. */
export function serverUrl(host: string, port: number): string {
  return `ws://${host.includes(':') ? `[${host}]` : host}:${port}/`
}

/** "5 s", "0.5 s": a duration the way error messages say it. */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`
}

export interface ChatClientEvents {
  message: [message: MessageFrame]
  /** The server could not obtain messages of a room that it missed (a stall or partition longer than the cluster keeps). */
  gap: [gap: GapFrame]
  close: [code: number, reason: string]
  /** Someone joined or left a room this client is in, somewhere in the cluster. */
  presenceChange: [change: PresenceChangeFrame]
  /** An error frame that answers no pending request, or a frame that is not chatdds.v1 JSON. */
  serverError: [error: ChatddsError]
}

export class ChatClient extends EventEmitter<ChatClientEvents> {
  /** The server's hello: instance name, the name it gave us, maxPayload, the cluster's instances. Set once connected. */
  hello!: HelloFrame
  /** Per room and writer, what this client (and the connections before it) emitted. */
  readonly seen: MessageCursor
  private readonly pending = new Map<Ref, Pending>()
  private nextRef = 0
  private closed = false
  private heartbeat?: NodeJS.Timeout
  /** Something arrived since the last ping. */
  private alive = true

  private constructor(
    private readonly socket: WebSocket,
    /** `ws://host:port/`, without the query. */
    readonly url: string,
    readonly port: number,
    private readonly timeoutMs: number,
    seen: MessageCursor | undefined,
  ) {
    super()
    this.seen = seen ?? new MessageCursor()
  }

  /** Writer GUID → last sequence number of every message emitted so far: a `since` for any room. */
  get cursor(): Cursor {
    return this.seen.all
  }

  /** Connects and resolves once the server said hello; rejects with a ChatddsError that says what to do. */
  static connect(options: ConnectOptions): Promise<ChatClient> {
    const host = options.host ?? DEFAULT_HOST
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    const url = serverUrl(host, options.port)
    const query = options.name === undefined ? '' : `?name=${encodeURIComponent(options.name)}`
    const headers = options.token === undefined ? undefined : {Authorization: `Bearer ${options.token}`}
    const socket = new WebSocket(url + query, SUBPROTOCOL, {handshakeTimeout: timeoutMs, perMessageDeflate: false, headers})
    const client = new ChatClient(socket, url, options.port, timeoutMs, options.seen)

    return new Promise((resolve, reject) => {
      let settled = false
      const settle = (error?: Error) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        if (error) {
          client.closed = true
          socket.removeAllListeners('close')
          socket.terminate()
          reject(error)
        } else {
          client.startHeartbeat(options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS)
          resolve(client)
        }
      }

      const timer = setTimeout(() => settle(noAnswer(url, options.port, timeoutMs)), timeoutMs)
      socket.on('error', (error: NodeJS.ErrnoException) => {
        if (!settled) settle(connectError(error, url, host, options.port, timeoutMs))
      })
      // A refused handshake (401 token, 403 origin) says why in its body.
      socket.on('unexpected-response', (_request, response) => {
        void readReason(response).then((reason) => settle(refusedError(url, response.statusCode ?? 0, reason, options.token !== undefined)))
      })
      socket.on('message', (data, isBinary) => {
        // binaryType is ws's default, 'nodebuffer': every frame arrives as one Buffer.
        const frame = client.receive(data as Buffer, isBinary)
        if (frame?.type === 'hello' && !settled) {
          client.hello = frame
          settle()
        }
      })
      socket.on('pong', () => (client.alive = true))
      socket.on('close', (code, reason) => {
        if (!settled)
          settle(new ChatddsError('ECONNRESET', `${url} closed the connection (code ${code}) before saying hello; check that it is a \`chatdds serve\` instance.`))
        else client.onClose(code, reason.toString())
      })
    })
  }

  /** Joins `room`; resolves with the joined frame, after which the replayed messages arrive. */
  join(room: string, options: JoinOptions = {}): Promise<JoinedFrame> {
    this.seen.joined(room)
    return this.request({type: 'join', room, ...options}, 'joined', `join #${room}`) as Promise<JoinedFrame>
  }

  /** Re-joins `room` after a dropped connection, asking for everything after what this client (and those before it) showed. */
  resume(room: string): Promise<JoinedFrame> {
    this.seen.joined(room, true)
    return this.request({type: 'join', room, since: this.seen.since(room)}, 'joined', `join #${room}`) as Promise<JoinedFrame>
  }

  leave(room: string): Promise<LeftFrame> {
    return this.request({type: 'leave', room}, 'left', `leave #${room}`) as Promise<LeftFrame>
  }

  /** Who is in `room`, across the cluster. */
  presence(room: string): Promise<PresenceFrame> {
    return this.request({type: 'presence', room}, 'presence', `presence of #${room}`) as Promise<PresenceFrame>
  }

  /** Sends `text` to `room`; resolves with the message id once the server acknowledged it. */
  async send(room: string, text: string, options: {timeoutMs?: number} = {}): Promise<{id: string; ts: number}> {
    const frameBytes = Buffer.byteLength(JSON.stringify({type: 'send', room, text, ref: `c${this.nextRef + 1}`}))
    const {maxPayload} = this.hello
    // The server would close the connection (1009) over a frame this large; say why instead.
    if (typeof maxPayload === 'number' && frameBytes > maxPayload)
      throw new ChatddsError(
        'too_large',
        `The message is ${frameBytes} bytes as a frame, over the ${maxPayload} bytes ${this.url} accepts (\`chatdds serve --max-payload\`); send a shorter one.`,
      )
    const ack = (await this.request({type: 'send', room, text}, 'ack', 'send', options.timeoutMs)) as AckFrame
    return {id: ack.id, ts: ack.ts}
  }

  /** Closes the connection (code 1000); resolves once it is closed. Idempotent. */
  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve()
    return new Promise((resolve) => {
      const grace = setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS)
      this.socket.once('close', () => {
        clearTimeout(grace)
        resolve()
      })
      this.closed = true
      this.socket.close(CloseCode.NORMAL)
    })
  }

  private request(frame: OutgoingRequest, expect: ServerFrameType, what: string, timeoutMs = this.timeoutMs) {
    return new Promise<ServerFrame>((resolve, reject) => {
      if (this.closed || this.socket.readyState !== WebSocket.OPEN) {
        reject(new ChatddsError('ECONNRESET', `The connection to ${this.url} is closed; reconnect and try again.`))
        return
      }

      const ref = `c${++this.nextRef}`
      const timer = setTimeout(() => {
        this.pending.delete(ref)
        reject(
          new ChatddsError(
            'ETIMEDOUT',
            `${this.url} did not answer ${what} within ${seconds(timeoutMs)}; check that \`chatdds serve --port ${this.port}\` is ready (GET /readyz).`,
          ),
        )
      }, timeoutMs)
      this.pending.set(ref, {expect, resolve, reject, timer})
      this.socket.send(JSON.stringify({...frame, ref}))
    })
  }

  /** Parses one frame and dispatches it; returns it (undefined when it was not chatdds.v1 JSON). */
  private receive(data: Buffer, isBinary: boolean): ServerFrame | undefined {
    this.alive = true
    const frame = isBinary ? undefined : parseServerFrame(data.toString())
    // null: a frame type of a newer server, which this client does not act on.
    if (frame === null) return undefined
    if (frame === undefined) {
      this.emit('serverError', new ChatddsError('EPROTO', `${this.url} sent a frame that is not chatdds.v1 JSON; check that it is a \`chatdds serve\` instance.`))
      return undefined
    }

    const pending = frame.ref === undefined ? undefined : this.pending.get(frame.ref)
    if (pending && (frame.type === 'error' || frame.type === pending.expect)) {
      this.pending.delete(frame.ref!)
      clearTimeout(pending.timer)
      if (frame.type === 'error') pending.reject(serverError(frame))
      else pending.resolve(frame)
      return frame
    }

    if (frame.type === 'message') {
      if (this.seen.accept(frame)) this.emit('message', frame)
    } else if (frame.type === 'gap') {
      this.emit('gap', frame)
    } else if (frame.type === 'presence-change') {
      this.emit('presenceChange', frame)
    } else if (frame.type === 'error') {
      this.emit('serverError', serverError(frame))
    }

    return frame
  }

  private startHeartbeat(periodMs: number): void {
    this.heartbeat = setInterval(() => {
      // No frame and no pong for a whole period: the server or the path to it is gone.
      if (!this.alive) {
        this.socket.terminate()
        return
      }

      this.alive = false
      this.socket.ping()
    }, periodMs)
    this.heartbeat.unref()
  }

  private onClose(code: number, reason: string): void {
    this.closed = true
    clearInterval(this.heartbeat)
    for (const [ref, pending] of this.pending) {
      clearTimeout(pending.timer)
      pending.reject(new ChatddsError('ECONNRESET', `The connection to ${this.url} closed (${describeClose(code)}) before it answered; try again.`))
      this.pending.delete(ref)
    }

    this.emit('close', code, reason)
  }
}

const CLOSE_REASONS: Record<number, string> = {
  1001: 'going away',
  1006: 'dropped',
  1008: 'policy: too slow a reader',
  1009: 'message too big',
  1011: 'server error',
  4001: 'token expired',
}

/** "code 1001 going away": a close code with its meaning. */
export function describeClose(code: number): string {
  return CLOSE_REASONS[code] ? `code ${code} ${CLOSE_REASONS[code]}` : `code ${code}`
}

function serverError(frame: ErrorFrame): ChatddsError {
  const message = typeof frame.message === 'string' && frame.message ? frame.message : `The server answered ${frame.code}.`
  return new ChatddsError(String(frame.code ?? 'error'), message)
}

/** The first line of a refused handshake's body (1 KiB at most; 1 s at most). */
function readReason(response: import('node:http').IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = ''
    const done = () => {
      clearTimeout(timer)
      response.destroy()
      resolve(body.split('\n')[0].trim())
    }
    const timer = setTimeout(done, 1000)
    response.setEncoding('utf8')
    response.on('data', (chunk: string) => {
      body += chunk
      if (body.length > 1024 || body.includes('\n')) done()
    })
    response.on('end', done)
    response.on('error', done)
  })
}

/** A 401/403 upgrade answer as the sentence the user needs; any other status as before. */
function refusedError(url: string, status: number, reason: string, hadToken: boolean): ChatddsError {
  const why = reason ? ` ${reason}` : ''
  if (status === 401)
    return new ChatddsError(
      'EAUTH',
      hadToken
        ? `${url} refused the token (HTTP 401):${why || ' no reason given.'}`
        : `${url} requires a connect token (HTTP 401); pass one with --token or CHATDDS_TOKEN (\`chatdds token\` makes one).`,
    )
  if (status === 403) return new ChatddsError('EFORBIDDEN', `${url} refused the connection (HTTP 403):${why || ' no reason given.'}`)
  return new ChatddsError('EPROTO', `${url} answered HTTP ${status} instead of a websocket; point --port at a \`chatdds serve\` instance.`)
}

function noAnswer(url: string, port: number, timeoutMs: number): ChatddsError {
  return new ChatddsError(
    'ETIMEDOUT',
    `No answer from ${url} within ${seconds(timeoutMs)}; check that \`chatdds serve --port ${port}\` is running and ready (GET /readyz).`,
  )
}

/** Turns a failed websocket handshake into the sentence that tells the user what to do. */
function connectError(error: NodeJS.ErrnoException, url: string, host: string, port: number, timeoutMs: number): ChatddsError {
  const start = `start one with \`chatdds serve --port ${port}\``
  switch (error.code) {
    case 'ECONNREFUSED':
      return new ChatddsError('ECONNREFUSED', `No chatdds server at ${url}; ${start}.`)
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ChatddsError('ENOTFOUND', `Cannot resolve host ${host}; check --host.`)
    default:
  }

  if (/subprotocol/i.test(error.message))
    return new ChatddsError('EPROTO', `The server at ${url} does not speak ${SUBPROTOCOL}; point --port at a \`chatdds serve\` instance.`)
  const status = /Unexpected server response: (\d+)/.exec(error.message)
  if (status) return new ChatddsError('EPROTO', `${url} answered HTTP ${status[1]} instead of a websocket; point --port at a \`chatdds serve\` instance.`)
  if (/handshake has timed out/i.test(error.message)) return noAnswer(url, port, timeoutMs)
  return new ChatddsError(error.code ?? 'ECONNECT', `Could not connect to ${url} (${error.message}); check that \`chatdds serve --port ${port}\` is running.`)
}
