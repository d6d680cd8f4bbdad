/**
 * The websocket side of one chat instance: its clients, both protocols (docs/protocol.md), the
 * fan-out of every DDS sample, history (handed over by peers at start), cluster-wide presence, and
 * flow control (a full DDS writer, rate limits, slow consumers, dead connections).
 */
import type http from 'node:http'
import type {Socket} from 'node:net'
import {WebSocket, type RawData} from 'ws'
import type {Sample} from '../dds/types.js'
import {ChatddsError} from '../errors.js'
import type {Bus, BusEvent} from './bus.js'
import {createChatMetrics, type ChatMetrics, type ProtocolName} from './chatMetrics.js'
import {DEFAULT_ROOM, decodeMessage, encodeEnvelope, storedMessage} from './envelope.js'
import {HistoryExchange, type HandOverState, type HandOverTiming} from './handover.js'
import {History, type StoredMessage} from './history.js'
import {MessageLog, type Logger} from './log.js'
import {ClusterPresence, type InstanceInfo, type Member, type PresenceChange} from './presence.js'
import {CloseCode, MAX_NAME_LENGTH, SUBPROTOCOL, parseRequest, validName, type ErrorCode, type Ref, type Request} from './protocol.js'
import {Publisher, type PublishCallback} from './publisher.js'
import {TokenBucket} from './rateLimit.js'
import {textFrame} from './wsFrame.js'

export interface RateLimit {
  /** Sustained frames per second per client. */
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

export interface HubOptions {
  name: string
  /** This instance's websocket URL (`ws://host:port/`), announced to the cluster. */
  url: string
  maxPayload: number
  historyDepth: number
  rateLimit: RateLimit
  slowConsumer: SlowConsumerLimits
  heartbeatMs: number
  closeGraceMs: number
  logger: Logger
  messageLinesPerSecond?: number
  handOver?: Partial<HandOverTiming>
  /** Membership changes within this window are published as one presence snapshot. Default 50 ms. */
  presenceCoalesceMs?: number
}

/** GET /presence: this instance's view of the cluster. */
export interface PresenceView {
  instance: string
  instances: InstanceInfo[]
  rooms: Record<string, Member[]>
}

/** How long shutdown waits for clients to answer the 1001 before terminating them. */
const SHUTDOWN_WAIT_MS = 1000

type PauseReason = 'bus' | 'rate'

interface Client {
  ws: WebSocket
  protocol: ProtocolName
  /** `host:port` of the peer, for log lines. */
  address: string
  name: string
  rooms: Set<string>
  bucket: TokenBucket
  /** Why reading is paused; the socket is read again once this is empty. */
  pauses: Set<PauseReason>
  rateTimer?: NodeJS.Timeout
  alive: boolean
  /** When bufferedAmount went over softBytes (undefined while under). */
  overSoftSince?: number
  closing: boolean
  closeTimer?: NodeJS.Timeout
}

type Frame = Record<string, unknown>

const WS_ERRORS: Record<string, {metric: string; text: (maxPayload: number) => string}> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: {metric: 'too_large', text: (max) => `frame over --max-payload ${max} bytes (${CloseCode.MESSAGE_TOO_BIG})`},
  WS_ERR_INVALID_UTF8: {metric: 'invalid_utf8', text: () => `text frame with invalid UTF-8 (${CloseCode.INVALID_PAYLOAD})`},
}

export class ChatHub {
  readonly metrics: ChatMetrics
  private readonly clients = new Set<Client>()
  private readonly plainClients = new Set<Client>()
  private readonly rooms = new Map<string, Set<Client>>()
  private readonly history: History
  private readonly presence: ClusterPresence
  private readonly exchange: HistoryExchange
  /** Writer → highest sequence number delivered, so a repeated sample is never delivered twice. */
  private readonly lastSeq = new Map<string, number>()
  private readonly publisher: Publisher
  private readonly messageLog: MessageLog
  private readonly logger: Logger
  private readonly heartbeat: NodeJS.Timeout
  private readonly slowCheck: NodeJS.Timeout
  private closed = false

  constructor(
    private readonly bus: Bus,
    private readonly options: HubOptions,
  ) {
    this.logger = options.logger
    this.messageLog = new MessageLog(options.logger, options.messageLinesPerSecond)
    this.history = new History(options.historyDepth)
    this.publisher = new Publisher(bus, {
      onBusy: () => {
        this.logger.debug(`DDS writer history is full; pausing ${this.clients.size} websocket clients until it drains`)
        for (const client of this.clients) this.pause(client, 'bus')
      },
      onDrained: () => {
        this.logger.debug('DDS writer has room again; resuming websocket clients')
        for (const client of this.clients) this.resume(client, 'bus')
      },
    })
    this.metrics = createChatMetrics({
      clients: (protocol) => (protocol === 'plain' ? this.plainClients.size : this.clients.size - this.plainClients.size),
      pausedClients: () => [...this.clients].filter((c) => c.pauses.size > 0).length,
      matchedReaders: () => (this.closed ? 0 : bus.status().matchedReaders),
      matchedWriters: () => (this.closed ? 0 : bus.status().matchedWriters),
      samplesWritten: () => this.publisher.written,
      writerBusy: () => this.publisher.busyCount,
      publishQueue: () => this.publisher.pendingCount,
      historyMessages: () => this.history.count,
      clusterInstances: () => this.presence.instances().length,
    })
    bus.onSamples((batch) => this.onSamples(batch))
    this.presence = new ClusterPresence(bus, {name: options.name, url: options.url, logger: options.logger, coalesceMs: options.presenceCoalesceMs}, (change) =>
      this.onPresenceChange(change),
    )
    this.exchange = new HistoryExchange(bus, this.history, this.presence, {name: options.name, logger: options.logger, timing: options.handOver})
    bus.onEvent((event) => this.onBusEvent(event))
    this.heartbeat = setInterval(() => this.checkHeartbeats(), options.heartbeatMs)
    this.heartbeat.unref()
    this.slowCheck = setInterval(() => this.checkSlowConsumers(), options.slowConsumer.checkIntervalMs)
    this.slowCheck.unref()
  }

  /** Takes over a websocket the server has just accepted. */
  accept(ws: WebSocket, req: http.IncomingMessage): void {
    const protocol: ProtocolName = ws.protocol === SUBPROTOCOL ? SUBPROTOCOL : 'plain'
    const requestedName = new URL(req.url ?? '/', 'http://localhost').searchParams.get('name')
    const {rateLimit} = this.options
    const client: Client = {
      ws,
      protocol,
      address: `${req.socket.remoteAddress}:${req.socket.remotePort}`,
      name: validName(requestedName, MAX_NAME_LENGTH) ? requestedName : 'anonymous',
      rooms: new Set(),
      bucket: new TokenBucket(rateLimit.perSecond, rateLimit.burst),
      pauses: new Set(),
      alive: true,
      closing: false,
    }
    ws.on('error', (error: Error & {code?: string}) => {
      const reason = WS_ERRORS[error.code ?? '']
      if (reason) {
        this.metrics.closes.inc({reason: reason.metric})
        this.logger.info(`Closed client ${client.address}: ${reason.text(this.options.maxPayload)}`)
      } else {
        this.logger.debug(`Client ${client.address}: ${error.message}`)
      }
    })
    if (this.closed) {
      ws.close(CloseCode.GOING_AWAY, 'server shutting down')
      return
    }
    this.clients.add(client)
    if (protocol === 'plain') this.plainClients.add(client)
    this.logger.debug(`Client ${client.address} connected (${protocol}); ${this.clients.size} connected`)

    ws.on('pong', () => (client.alive = true))
    ws.on('close', (code) => {
      this.clients.delete(client)
      this.plainClients.delete(client)
      for (const room of client.rooms) this.leaveRoom(client, room)
      if (client.rateTimer) clearTimeout(client.rateTimer)
      if (client.closeTimer) clearTimeout(client.closeTimer)
      this.logger.debug(`Client ${client.address} disconnected (${code}); ${this.clients.size} connected`)
    })
    ws.on('message', (data, isBinary) => (protocol === 'plain' ? this.onPlainFrame(client, data, isBinary) : this.onV1Frame(client, data, isBinary)))

    if (protocol === SUBPROTOCOL) this.sendFrame(client, this.helloFrame(client))
    if (this.publisher.busy) this.pause(client, 'bus')
  }

  /** Where the history hand-over stands: the instance is ready once it is no longer pending. */
  get handOverState(): HandOverState {
    return this.exchange.state
  }

  presenceView(): PresenceView {
    return {instance: this.options.name, instances: this.presence.instances(), rooms: this.presence.rooms()}
  }

  /** Sends 1001 to every client and waits (1 s at most) for them to go; the bus is the server's to close. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearInterval(this.heartbeat)
    clearInterval(this.slowCheck)
    this.exchange.close()
    this.presence.close()
    // Before the 1001s: a closing client is sent nothing, and each sender must get the error of its unwritten messages.
    const remaining = this.publisher.flush()
    if (remaining > 0) this.logger.warn(`${remaining} messages were still waiting for the DDS writer at shutdown and were not written`)
    this.publisher.stop(new ChatddsError('ECLOSED', 'The server is shutting down.'))
    for (const client of this.clients) {
      if (!client.closing) this.metrics.closes.inc({reason: 'shutdown'})
      this.closeClient(client, CloseCode.GOING_AWAY, 'server shutting down', SHUTDOWN_WAIT_MS)
    }
    const deadline = Date.now() + SHUTDOWN_WAIT_MS + 200
    while (this.clients.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    for (const client of this.clients) client.ws.terminate()
    this.messageLog.flush()
  }

  // ---- Frames from clients ----

  private onPlainFrame(client: Client, data: RawData, isBinary: boolean): void {
    if (client.closing) return
    if (isBinary) {
      this.metrics.closes.inc({reason: 'binary_frame'})
      this.logger.info(`Closed client ${client.address}: binary frame on the plain protocol (${CloseCode.UNSUPPORTED_DATA})`)
      this.closeClient(client, CloseCode.UNSUPPORTED_DATA, 'binary frames are not supported; send text frames')
      return
    }
    // Every frame already read is written; a client over its rate is paused instead, so nothing is lost.
    client.bucket.take()
    if (client.bucket.empty) this.throttle(client)
    this.metrics.messagesIn.inc({protocol: 'plain'})
    this.publish(data.toString())
  }

  private onV1Frame(client: Client, data: RawData, isBinary: boolean): void {
    if (client.closing) return
    if (isBinary) {
      this.sendError(client, 'bad_request', 'Binary frames are not supported; send JSON text frames.')
      return
    }
    const parsed = parseRequest(data.toString())
    if (!client.bucket.tryTake()) {
      this.metrics.rateLimited.inc({protocol: SUBPROTOCOL})
      const ref = parsed.ok ? parsed.request.ref : parsed.ref
      this.sendError(client, 'rate_limited', `Over ${this.options.rateLimit.perSecond} frames per second; slow down and send it again.`, ref)
      return
    }
    if (parsed.ok) this.handleRequest(client, parsed.request)
    else this.sendError(client, parsed.code, parsed.message, parsed.ref)
  }

  private handleRequest(client: Client, request: Request): void {
    const ref = request.ref === undefined ? {} : {ref: request.ref}
    switch (request.type) {
      case 'hello':
        if (request.name !== client.name) {
          // A rename is a leave under the old name and a join under the new one, in every room.
          for (const room of client.rooms) this.presence.leave(room, client.name)
          client.name = request.name
          for (const room of client.rooms) this.presence.join(room, client.name)
        }
        this.sendFrame(client, {...this.helloFrame(client), ...ref})
        return
      case 'join': {
        const limit = request.since ? request.history : (request.history ?? 0)
        const {messages, recovered} = this.history.lookup(request.room, {since: request.since, limit})
        // Pushed to the room's other members before this client is one of them: it learns from `members`.
        if (!client.rooms.has(request.room)) this.presence.join(request.room, client.name)
        const members = this.presence.members(request.room)
        this.sendFrame(client, {type: 'joined', room: request.room, ...ref, recovered, replayed: messages.length, members})
        if (messages.length > 0) this.deliverFrames(client, Buffer.concat(messages.map((message) => textFrame(JSON.stringify(messageFrame(message, true))))), messages.length)
        // Same tick as the replay: the first live message follows the last replayed one, no gap.
        client.rooms.add(request.room)
        let clients = this.rooms.get(request.room)
        if (!clients) this.rooms.set(request.room, (clients = new Set()))
        clients.add(client)
        return
      }
      case 'leave':
        this.leaveRoom(client, request.room)
        this.sendFrame(client, {type: 'left', room: request.room, ...ref})
        return
      case 'send': {
        const ts = Date.now()
        const envelope = encodeEnvelope({room: request.room, from: client.name, text: request.text, ts, origin: this.options.name})
        this.metrics.messagesIn.inc({protocol: SUBPROTOCOL})
        this.publish(envelope, (error, result) => {
          if (error || !result) {
            this.sendError(client, 'busy', `The message could not be written to DDS (${error?.message ?? 'no result'}); send it again later.`, request.ref)
          } else {
            this.sendFrame(client, {type: 'ack', ...ref, id: result.id, ts})
          }
        })
        return
      }
      case 'presence':
        this.sendFrame(client, {type: 'presence', room: request.room, ...ref, members: this.presence.members(request.room)})
        return
      case 'ping':
        this.sendFrame(client, {type: 'pong', ...ref})
    }
  }

  private helloFrame(client: Client): Frame {
    const {name, maxPayload} = this.options
    return {type: 'hello', protocol: SUBPROTOCOL, instance: name, name: client.name, maxPayload, instances: this.presence.instances()}
  }

  private leaveRoom(client: Client, room: string): void {
    if (!client.rooms.delete(room)) return
    const members = this.rooms.get(room)
    members?.delete(client)
    if (members?.size === 0) this.rooms.delete(room)
    // After the client is out of the room: the leave is pushed to the members that remain.
    this.presence.leave(room, client.name)
  }

  /** Someone joined or left a room somewhere in the cluster: tell this instance's members of the room. */
  private onPresenceChange(change: PresenceChange): void {
    if (this.closed) return
    const members = this.rooms.get(change.room)
    if (!members || members.size === 0) return
    const data = textFrame(JSON.stringify({type: 'presence-change', room: change.room, change: change.change, name: change.name, instance: change.instance}))
    for (const client of members) this.write(client, data)
  }

  // ---- DDS ----

  private publish(message: string, done?: PublishCallback): void {
    if (this.messageLog.wants()) this.messageLog.line(`Writing message ${JSON.stringify({message})}`)
    this.publisher.publish(message, (error, result) => {
      // At shutdown the queue is counted in one warning, not one line per message.
      if (error && !done && !this.closed) this.logger.error(`Could not write a message to DDS: ${error.message}`)
      done?.(error, result)
    })
  }

  private onSamples(batch: Sample[]): void {
    if (this.closed) return
    // Each message is framed once and each client gets one socket write per batch: with 50 clients
    // per instance, framing and writing per client and message was most of an instance's CPU.
    const plainFrames: Buffer[] = []
    const memberFrames = new Map<Client, Buffer[]>()
    const now = Date.now()
    for (const sample of batch) {
      this.metrics.samplesRead.inc()
      const previous = this.lastSeq.get(sample.writer)
      if (previous !== undefined && sample.seq <= previous) {
        this.metrics.dropped.inc({reason: 'duplicate'})
        this.logger.warn(`Dropped a repeated DDS sample ${sample.id}`)
        continue
      }
      this.lastSeq.set(sample.writer, sample.seq)
      const decoded = decodeMessage(sample.message)
      const stored = storedMessage(sample, decoded)
      this.metrics.latency.observe(Math.max(0, now - stored.ts) / 1000)
      if (!this.history.add(stored)) {
        // A peer handed it over before it arrived here live: clients have it already.
        this.metrics.dropped.inc({reason: 'duplicate'})
        this.logger.debug(`Sample ${sample.id} was already handed over by a peer; not delivered again`)
        continue
      }
      if (this.messageLog.wants()) this.messageLog.line(`Received a message ${JSON.stringify({message: sample.message})}`)

      // Plain samples go out byte for byte; envelopes as their text.
      if (decoded.room === DEFAULT_ROOM && this.plainClients.size > 0) plainFrames.push(textFrame(decoded.envelope ? decoded.text : sample.message))
      const members = this.rooms.get(decoded.room)
      if (members && members.size > 0) {
        const frame = textFrame(JSON.stringify(messageFrame(stored, false)))
        for (const client of members) {
          const frames = memberFrames.get(client)
          if (frames) frames.push(frame)
          else memberFrames.set(client, [frame])
        }
      }
    }
    if (plainFrames.length > 0) {
      const data = plainFrames.length === 1 ? plainFrames[0] : Buffer.concat(plainFrames)
      for (const client of this.plainClients) this.deliverFrames(client, data, plainFrames.length)
    }
    for (const [client, frames] of memberFrames) this.deliverFrames(client, frames.length === 1 ? frames[0] : Buffer.concat(frames), frames.length)
  }

  private onBusEvent(event: BusEvent): void {
    if (event.kind === 'joined') this.presence.participantJoined(event.guidPrefix)
    else if (event.kind !== 'matched') this.presence.participantGone(event.guidPrefix)
    this.exchange.onBusEvent(event)
    this.logBusEvent(event)
  }

  private logBusEvent(event: BusEvent): void {
    if (event.kind === 'matched') {
      const other = event.entity === 'writer' ? 'reader' : 'writer'
      const line = `${event.count} ${other}${event.count === 1 ? '' : 's'}`
      if (event.topic) this.logger.debug(`DDS ${event.entity} of chatdds ${event.topic} now matched with ${line}`)
      else this.logger.info(`DDS ${event.entity} now matched with ${line}`)
    } else {
      const what = {joined: 'joined', left: 'left', dropped: 'was dropped (lease expired)'}[event.kind]
      this.logger.info(`DDS participant ${event.name || '(unnamed)'} ${what}`)
    }
  }

  // ---- Sending, pausing, closing ----

  /** Chat messages (`count` of them, framed) to one client, counted as delivered or dropped. */
  private deliverFrames(client: Client, data: Buffer, count: number): void {
    if (this.write(client, data)) this.metrics.messagesOut.inc({protocol: client.protocol}, count)
    else this.metrics.dropped.inc({reason: 'client_closing'}, count)
  }

  /**
   * Every frame to a client goes through here, already encoded (wsFrame.ts), straight to its socket:
   * ws compresses nothing (perMessageDeflate is off), so its sender holds nothing that could be
   * overtaken. False when the client is closing. Closes a client whose unsent data passed the hard bound.
   */
  private write(client: Client, data: Buffer): boolean {
    const socket = socketOf(client)
    if (client.closing || client.ws.readyState !== WebSocket.OPEN || !socket || socket.destroyed) return false
    socket.write(data)
    const {hardBytes} = this.options.slowConsumer
    if (client.ws.bufferedAmount > hardBytes) this.closeSlowConsumer(client, `more than ${formatBytes(hardBytes)} unread`)
    return true
  }

  private sendFrame(client: Client, frame: Frame): void {
    this.write(client, textFrame(JSON.stringify(frame)))
  }

  private sendError(client: Client, code: ErrorCode, message: string, ref?: Ref): void {
    if (code !== 'rate_limited') this.metrics.badRequests.inc({code})
    this.sendFrame(client, {type: 'error', code, message, ...(ref === undefined ? {} : {ref})})
  }

  private pause(client: Client, reason: PauseReason): void {
    if (client.pauses.size === 0) client.ws.pause()
    client.pauses.add(reason)
  }

  private resume(client: Client, reason: PauseReason): void {
    if (!client.pauses.delete(reason) || client.pauses.size > 0) return
    client.ws.resume()
  }

  /** Stops reading a plain client over its rate until its bucket has a token again. */
  private throttle(client: Client): void {
    if (client.pauses.has('rate')) return
    this.metrics.rateLimited.inc({protocol: 'plain'})
    this.logger.debug(`Client ${client.address} is over ${this.options.rateLimit.perSecond} messages/s; pausing it`)
    this.pause(client, 'rate')
    const wake = () => {
      client.rateTimer = undefined
      if (client.closing) return
      if (client.bucket.empty) client.rateTimer = setTimeout(wake, client.bucket.msUntilToken())
      else this.resume(client, 'rate')
    }
    client.rateTimer = setTimeout(wake, client.bucket.msUntilToken())
  }

  private checkHeartbeats(): void {
    for (const client of this.clients) {
      if (client.closing) continue
      // A paused socket cannot read the pong; the pause is ours, not the client's fault.
      if (client.pauses.size > 0) {
        client.alive = true
        continue
      }
      if (!client.alive) {
        this.metrics.closes.inc({reason: 'ping_timeout'})
        this.logger.warn(`Client ${client.address} did not answer a ping within ${this.options.heartbeatMs} ms; disconnecting it`)
        client.ws.terminate()
        continue
      }
      client.alive = false
      client.ws.ping()
    }
  }

  private checkSlowConsumers(): void {
    const {softBytes, softMs} = this.options.slowConsumer
    const now = Date.now()
    for (const client of this.clients) {
      if (client.closing) continue
      if (client.ws.bufferedAmount <= softBytes) client.overSoftSince = undefined
      else if (client.overSoftSince === undefined) client.overSoftSince = now
      else if (now - client.overSoftSince > softMs) this.closeSlowConsumer(client, `more than ${formatBytes(softBytes)} unread for ${softMs / 1000} s`)
    }
  }

  private closeSlowConsumer(client: Client, why: string): void {
    if (client.closing) return
    this.metrics.closes.inc({reason: 'slow_consumer'})
    this.logger.warn(`Closing client ${client.address}: slow consumer, ${why}`)
    this.closeClient(client, CloseCode.POLICY_VIOLATION, `slow consumer: ${why}`)
  }

  /** Starts the close handshake; terminates the client if it has not finished it within the grace time. */
  private closeClient(client: Client, code: number, reason: string, graceMs = this.options.closeGraceMs): void {
    if (client.closing) return
    client.closing = true
    // Read again so that the client's close frame can arrive.
    client.pauses.clear()
    if (client.rateTimer) clearTimeout(client.rateTimer)
    client.ws.resume()
    client.ws.close(code, reason)
    client.closeTimer = setTimeout(() => client.ws.terminate(), graceMs)
    client.closeTimer.unref()
  }
}

/** The TCP socket under a websocket (ws has no public accessor; it is only used to cork). */
function socketOf(client: Client): Socket | undefined {
  return (client.ws as unknown as {_socket?: Socket})._socket
}

function messageFrame(message: StoredMessage, replay: boolean): Frame {
  const {id, room, from, text, ts, origin} = message
  const frame: Frame = {type: 'message', id, room, from, text, ts, origin}
  if (replay) frame.replay = true
  return frame
}

function formatBytes(bytes: number): string {
  const MiB = 1024 * 1024
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`
  return `${bytes} bytes`
}
