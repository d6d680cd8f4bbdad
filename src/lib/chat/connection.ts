/**
 * One websocket client's transport (model: graphql-ws `use/ws.ts`): the one write path, pausing and
 * resuming reads, the heartbeat, the slow-consumer bounds and the close grace. It knows nothing of
 * the protocol spoken over it.
 */
import type {Socket} from 'node:net'
import {WebSocket} from 'ws'
import {CloseCode, encodeFrame, SUBPROTOCOL, type ServerFrame} from '../wire/index.js'
import type {ChatMetrics, ProtocolName} from './chatMetrics.js'
import type {Identity} from '../tokens.js'
import type {Logger} from './log.js'
import {TokenBucket, UNLIMITED} from './rateLimit.js'
import {textFrame} from './wsFrame.js'

export interface RateLimit {
  /** Sustained frames per second per client (rateLimit.ts UNLIMITED: no limit). */
  perSecond: number
  /** Frames a client may send at once. */
  burst: number
}

export interface SlowConsumerLimits {
  /** Unsent bytes a client may keep queued for at most `softMs`. */
  softBytes: number
  softMs: number
  /** Unsent bytes past which a client is closed at once. */
  hardBytes: number
  /** How often `softBytes` is checked. */
  checkIntervalMs: number
}

export interface TransportOptions {
  maxPayload: number
  rateLimit: RateLimit
  slowConsumer: SlowConsumerLimits
  heartbeatMs: number
  closeGraceMs: number
  logger: Logger
  metrics: ChatMetrics
  /** The client is gone (one function for every connection: no closure per connection). */
  closed?: (connection: Connection, code: number) => void
}

/** Why reading is paused: the DDS writer is full, or the client is over its rate. */
export type PauseReason = 'bus' | 'rate'
/** The pause reasons as bits of one number: no Set per connection. */
const PAUSE_BIT: Record<PauseReason, number> = {bus: 1, rate: 2}

/** What a protocol handler (plainProtocol.ts, v1Protocol.ts) is given of every frame a client sends. */
export interface FrameHandler {
  onFrame(connection: Connection, data: Buffer, isBinary: boolean): void
}

const NO_ROOMS: ReadonlySet<string> = new Set()

const WS_ERRORS: Record<string, {metric: string; text: (maxPayload: number) => string}> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: {metric: 'too_large', text: (max) => `frame over --max-payload ${max} bytes (${CloseCode.MESSAGE_TOO_BIG})`},
  WS_ERR_INVALID_UTF8: {metric: 'invalid_utf8', text: () => `text frame with invalid UTF-8 (${CloseCode.INVALID_PAYLOAD})`},
}

export class Connection {
  readonly protocol: ProtocolName
  /** `host:port` of the peer once a log line asked for it (asking makes Node keep an object on the socket). */
  private peer?: string
  name: string
  /** Who its connect token says it is (connect tokens on); the token decides its name and rooms. */
  identity?: Identity
  /** Speaks the connection's protocol; set once by the protocol's accept(). */
  handler?: FrameHandler
  /** Made at the first join: most connections (every plain one) are in no room of their own. */
  private roomSet?: Set<string>
  /** Made at the first frame: an idle connection holds none. */
  private bucket?: TokenBucket
  /** PAUSE_BIT of each reason it is paused for. */
  private pauses = 0
  private rateTimer?: NodeJS.Timeout
  private alive = true
  /** When bufferedAmount went over softBytes (undefined while under). */
  private overSoftSince?: number
  private closeTimer?: NodeJS.Timeout
  closing = false

  constructor(
    readonly ws: WebSocket,
    name: string,
    private readonly options: TransportOptions,
  ) {
    this.protocol = ws.protocol === SUBPROTOCOL ? SUBPROTOCOL : 'plain'
    this.name = name
    ws.on('error', (error: Error & {code?: string}) => {
      const reason = WS_ERRORS[error.code ?? '']
      if (reason) {
        options.metrics.closes.inc({reason: reason.metric})
        options.logger.info(`Closed client ${this.address}: ${reason.text(options.maxPayload)}`)
      } else {
        options.logger.debug(`Client ${this.address}: ${error.message}`)
      }
    })
    ws.on('pong', () => (this.alive = true))
    // ws's binaryType is 'nodebuffer' (its default): every message is one Buffer.
    ws.on('message', (data, isBinary) => this.handler?.onFrame(this, data as Buffer, isBinary))
    ws.on('close', (code: number) => {
      this.stopTimers()
      this.options.closed?.(this, code)
    })
  }

  /** `host:port` of the peer, for log lines (while the socket is open, or once asked before). */
  get address(): string {
    const socket = socketOf(this.ws)
    this.peer ??= socket?.remotePort === undefined ? undefined : `${socket.remoteAddress}:${socket.remotePort}`
    return this.peer ?? 'at an unknown address'
  }

  /** Rooms this connection is a member of. */
  get rooms(): ReadonlySet<string> {
    return this.roomSet ?? NO_ROOMS
  }

  addRoom(room: string): void {
    ;(this.roomSet ??= new Set()).add(room)
  }

  /** False when it was not in the room. */
  removeRoom(room: string): boolean {
    if (!this.roomSet?.delete(room)) return false
    if (this.roomSet.size === 0) this.roomSet = undefined
    return true
  }

  get paused(): boolean {
    return this.pauses !== 0
  }

  /**
   * Every frame to a client goes through here, already encoded (wsFrame.ts), straight to its socket:
   * ws compresses nothing (perMessageDeflate is off), so its sender holds nothing that could be
   * overtaken. False when the client is closing. Closes a client whose unsent data passed the hard bound.
   */
  write(data: Buffer): boolean {
    const socket = socketOf(this.ws)
    if (this.closing || this.ws.readyState !== WebSocket.OPEN || !socket || socket.destroyed) return false
    socket.write(data)
    const {hardBytes} = this.options.slowConsumer
    if (this.ws.bufferedAmount > hardBytes) this.closeSlowConsumer(`more than ${formatBytes(hardBytes)} unread`)
    return true
  }

  send(frame: ServerFrame): void {
    this.write(textFrame(encodeFrame(frame)))
  }

  /** Chat messages (`count` of them, framed) to this client, counted as delivered or dropped. */
  deliver(data: Buffer, count: number): void {
    if (this.write(data)) this.options.metrics.messagesOut.inc({protocol: this.protocol}, count)
    else this.options.metrics.dropped.inc({reason: 'client_closing'}, count)
  }

  pause(reason: PauseReason): void {
    if (this.pauses === 0) this.ws.pause()
    this.pauses |= PAUSE_BIT[reason]
  }

  resume(reason: PauseReason): void {
    const bit = PAUSE_BIT[reason]
    if ((this.pauses & bit) === 0) return
    this.pauses &= ~bit
    if (this.pauses === 0) this.ws.resume()
  }

  /** Takes one frame's token; false when the client is over its rate (the frame is refused). */
  tryTake(): boolean {
    return this.limited() ? this.bucketOf().tryTake() : true
  }

  /** Takes one frame's token even into debt (a frame already read must not be lost); true when the client is now over its rate. */
  take(): boolean {
    if (!this.limited()) return false
    const bucket = this.bucketOf()
    bucket.take()
    return bucket.empty
  }

  private limited(): boolean {
    return this.options.rateLimit.perSecond !== UNLIMITED
  }

  private bucketOf(): TokenBucket {
    this.bucket ??= new TokenBucket(this.options.rateLimit.perSecond, this.options.rateLimit.burst)
    return this.bucket
  }

  /** Stops reading a client over its rate until its bucket has a token again. */
  throttle(): void {
    const bucket = this.bucket
    if (!bucket || (this.pauses & PAUSE_BIT.rate) !== 0) return
    this.options.metrics.rateLimited.inc({protocol: this.protocol})
    this.options.logger.debug(`Client ${this.address} is over ${this.options.rateLimit.perSecond} messages/s; pausing it`)
    this.pause('rate')
    const wake = () => {
      this.rateTimer = undefined
      if (this.closing) return
      if (bucket.empty) this.rateTimer = setTimeout(wake, bucket.msUntilToken())
      else this.resume('rate')
    }
    this.rateTimer = setTimeout(wake, bucket.msUntilToken())
  }

  /** One heartbeat tick: pings, or terminates a client that did not answer the previous ping. */
  checkHeartbeat(): void {
    if (this.closing) return
    // A paused socket cannot read the pong; the pause is ours, not the client's fault.
    if (this.paused) {
      this.alive = true
      return
    }
    if (!this.alive) {
      this.options.metrics.closes.inc({reason: 'ping_timeout'})
      this.options.logger.warn(`Client ${this.address} did not answer a ping within ${this.options.heartbeatMs} ms; disconnecting it`)
      this.ws.terminate()
      return
    }
    this.alive = false
    this.ws.ping()
  }

  /** Closes a client whose unsent data stayed over the soft bound for too long. */
  checkSlowConsumer(now: number): void {
    if (this.closing) return
    const {softBytes, softMs} = this.options.slowConsumer
    if (this.ws.bufferedAmount <= softBytes) this.overSoftSince = undefined
    else if (this.overSoftSince === undefined) this.overSoftSince = now
    else if (now - this.overSoftSince > softMs) this.closeSlowConsumer(`more than ${formatBytes(softBytes)} unread for ${softMs / 1000} s`)
  }

  /** Starts the close handshake; terminates the client if it has not finished it within the grace time. */
  close(code: number, reason: string, graceMs = this.options.closeGraceMs): void {
    if (this.closing) return
    this.closing = true
    // Read again so that the client's close frame can arrive.
    this.pauses = 0
    if (this.rateTimer) clearTimeout(this.rateTimer)
    this.ws.resume()
    this.ws.close(code, reason)
    this.closeTimer = setTimeout(() => this.ws.terminate(), graceMs)
    this.closeTimer.unref()
  }

  private closeSlowConsumer(why: string): void {
    if (this.closing) return
    this.options.metrics.closes.inc({reason: 'slow_consumer'})
    this.options.logger.warn(`Closing client ${this.address}: slow consumer, ${why}`)
    this.close(CloseCode.POLICY_VIOLATION, `slow consumer: ${why}`)
  }

  private stopTimers(): void {
    if (this.rateTimer) clearTimeout(this.rateTimer)
    if (this.closeTimer) clearTimeout(this.closeTimer)
  }
}

/** The TCP socket under a websocket (ws has no public accessor; it is only used to cork). */
function socketOf(ws: WebSocket): Socket | undefined {
  return (ws as unknown as {_socket?: Socket})._socket
}

function formatBytes(bytes: number): string {
  const MiB = 1024 * 1024
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`
  return `${bytes} bytes`
}
