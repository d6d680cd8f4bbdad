/**
 * One chat instance on one port, assembled: HTTP (routes.ts) and websockets on one server; per
 * connection a transport (connection.ts) and a protocol handler (plainProtocol.ts, v1Protocol.ts);
 * the hub's room index and fan-out; and, over the bus, the publisher, history, the history hand-over
 * and cluster presence.
 */
import http from 'node:http'
import type {AddressInfo, Socket} from 'node:net'
import {WebSocketServer, type WebSocket} from 'ws'
import {ChatddsError} from '../errors.js'
import type {Identity} from '../tokens.js'
import {createApi, type ApiCore} from './api.js'
import {createDashboard} from './dashboard.js'
import {ConnectGate, hasApiKey, onExpiry, refuseUpgrade, type SecurityOptions} from './auth.js'
import {ControlPlane} from './controlPlane.js'
import {CloseCode, DEFAULT_ROOM, encodeEnvelope, MAX_NAME_LENGTH, SUBPROTOCOL, validName, type InstanceInfo, type Member} from '../wire/index.js'
import type {Bus, BusEvent, BusFactory, BusStatus} from './bus.js'
import {createChatMetrics, type ChatMetrics} from './chatMetrics.js'
import {Connection, type RateLimit, type SlowConsumerLimits} from './connection.js'
import {HistoryExchange, type HandOverState, type HandOverTiming} from './handover.js'
import {History} from './history.js'
import {Hub} from './hub.js'
import {Inbound} from './inbound.js'
import {MessageLog, messageForLog, silentLogger, type Logger} from './log.js'
import {PlainProtocol} from './plainProtocol.js'
import {Reconciler, type ReconcileTiming} from './reconcile.js'
import {RepairStore} from './repairStore.js'
import {ClusterPresence} from './presence.js'
import {Publisher, type PublishCallback} from './publisher.js'
import {createRoutes} from './routes.js'
import {V1Protocol} from './v1Protocol.js'

export type {RateLimit, SlowConsumerLimits} from './connection.js'

export interface ChatServerOptions {
  port: number
  /** Default 127.0.0.1. */
  host?: string
  /** Instance name; default `chat-<port>`. */
  name?: string
  /** Largest websocket frame accepted, bytes (default 65536); a larger one closes the connection with 1009. */
  maxPayload?: number
  /** Messages remembered per room for history and resume (default 100). */
  historyDepth?: number
  /** The bus, or a factory called once the port is bound. The server closes it. */
  bus: Bus | BusFactory
  logger?: Logger
  /** Frames per second and burst per client; default 10,000/s, burst 20,000 (perSecond UNLIMITED: none). */
  rateLimit?: Partial<RateLimit>
  /** Default: closed when over 4 MiB unsent for 5 s, or over 16 MiB at once; checked every second. */
  slowConsumer?: Partial<SlowConsumerLimits>
  /** Ping interval; a client that has not answered the previous ping is terminated. Default 30 s. */
  heartbeatMs?: number
  /** Time a client being closed gets to finish the close handshake before it is terminated. Default 5 s. */
  closeGraceMs?: number
  /** `Writing message`/`Received a message` lines per second at info level (default 20). */
  messageLinesPerSecond?: number
  /** How long the history hand-over waits for peers (handover.ts HAND_OVER_DEFAULTS). */
  handOver?: Partial<HandOverTiming>
  /** Membership changes within this window go out as one presence snapshot. Default 50 ms. */
  presenceCoalesceMs?: number
  /** Messages kept per writer to repair peers after a stall or partition (default 10,000: 100 s at 100 msg/s). */
  repairDepth?: number
  /** DDS samples larger than this are dropped, never forwarded (default: 1 MiB, or 2 × maxPayload if larger). */
  maxSampleBytes?: number
  /** Rooms one chatdds.v1 connection may be in at once (default 100). */
  maxRoomsPerClient?: number
  /** Reconciliation timing (reconcile.ts RECONCILE_DEFAULTS). */
  reconcile?: Partial<ReconcileTiming>
  /** Connect tokens, Origin policy and the backend API key (auth.ts); default: no tokens, same-origin pages only, no API. */
  security?: SecurityOptions
}

export interface Readiness extends BusStatus {
  name: string
  /** The history hand-over: ready only once it is no longer `pending`. */
  historyHandOver: HandOverState
}

/** GET /presence: this instance's view of the cluster. */
export interface PresenceView {
  instance: string
  instances: InstanceInfo[]
  rooms: Record<string, Member[]>
}

export interface ChatServer {
  readonly name: string
  readonly host: string
  readonly port: number
  /** `ws://host:port/` */
  readonly url: string
  readonly bus: Bus
  /** What GET /readyz answers. */
  status(): Readiness
  /** What GET /metrics answers (prom-client renders asynchronously). */
  metrics(): Promise<string>
  /** What GET /presence answers. */
  presence(): PresenceView
  /** 1001 to every client, then closes the server and the bus. Idempotent. */
  close(): Promise<void>
}

export const DEFAULTS = {
  host: '127.0.0.1',
  maxPayload: 65_536,
  historyDepth: 100,
  // Well above any one person's or bot's burst (a 20,000-message benchmark sender is never paused); it only bounds a
  // flooding client's share of its instance. Centrifugo and AnyCable have no limit unless one is configured.
  rateLimit: {perSecond: 10_000, burst: 20_000} satisfies RateLimit,
  slowConsumer: {softBytes: 4 * 1024 * 1024, softMs: 5000, hardBytes: 16 * 1024 * 1024, checkIntervalMs: 1000} satisfies SlowConsumerLimits,
  heartbeatMs: 30_000,
  closeGraceMs: 5000,
  repairDepth: 10_000,
  maxSampleBytes: 1024 * 1024,
  maxRoomsPerClient: 100,
}

/** How long shutdown waits for clients to answer the 1001 before terminating them. */
const SHUTDOWN_WAIT_MS = 1000
const NOT_READY: BusStatus = {ready: false, matchedReaders: 0, matchedWriters: 0, peers: []}

/** Everything of an instance that lives over the bus, wired together. */
interface Core {
  hub: Hub
  metrics: ChatMetrics
  exchange: HistoryExchange
  presence: ClusterPresence
  presenceView(): PresenceView
  /** What the backend API reads and writes. */
  api: ApiCore
  accept(ws: WebSocket, requestedName: string | null, identity?: Identity): void
  close(): Promise<void>
}

interface CoreOptions {
  name: string
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
  presenceCoalesceMs?: number
  repairDepth: number
  maxSampleBytes: number
  maxRoomsPerClient: number
  reconcile?: Partial<ReconcileTiming>
  /** The cluster's instances, whenever they may be about to change (the Origin policy remembers them). */
  noteInstances(instances: InstanceInfo[]): void
}

function assemble(bus: Bus, options: CoreOptions): Core {
  const {logger, name} = options
  let closed = false
  const messageLog = new MessageLog(logger, options.messageLinesPerSecond)
  const history = new History(options.historyDepth)
  const hub = new Hub({heartbeatMs: options.heartbeatMs, slowConsumerCheckMs: options.slowConsumer.checkIntervalMs})
  const publisher = new Publisher(bus, {
    onBusy: () => {
      logger.debug(`DDS writer history is full; pausing ${hub.size} websocket clients until it drains`)
      hub.pauseAll('bus')
    },
    onDrained: () => {
      logger.debug('DDS writer has room again; resuming websocket clients')
      hub.resumeAll('bus')
    },
  })
  const store = new RepairStore(options.repairDepth)
  // The reconciler needs the inbound side, which needs the metrics: it is filled in below, and read only later.
  const late: {reconciler?: Reconciler} = {}
  const metrics = createChatMetrics({
    clients: (protocol) => hub.count(protocol),
    pausedClients: () => hub.pausedCount,
    rooms: () => hub.roomCount,
    matchedReaders: () => (closed ? 0 : bus.status().matchedReaders),
    matchedWriters: () => (closed ? 0 : bus.status().matchedWriters),
    samplesWritten: () => publisher.written,
    writerBusy: () => publisher.busyCount,
    publishQueue: () => publisher.pendingCount,
    historyMessages: () => history.count,
    clusterInstances: () => presence.instances().length,
    repairStoreMessages: () => store.count,
    repairsPending: () => late.reconciler?.pending ?? 0,
  })
  const presence = new ClusterPresence(
    bus,
    {name, url: options.url, logger, coalesceMs: options.presenceCoalesceMs, ignored: (reason) => metrics.ignoredSamples.inc({topic: 'presence', reason})},
    (change) => {
      options.noteInstances(presence.instances())
      if (!closed) hub.toRoom(change.room, {type: 'presence-change', room: change.room, change: change.change, name: change.name, instance: change.instance})
    },
  )
  const exchange = new HistoryExchange(bus, history, presence, {name, logger, timing: options.handOver})
  const inbound = new Inbound(
    history,
    store,
    metrics,
    logger,
    messageLog,
    {
      deliver: (messages) => {
        if (!closed) hub.fanOut(messages)
      },
      missing: (writer) => late.reconciler?.want(writer),
      lost: (gap) => {
        // Plain clients cannot be told; the log line and the metric (inbound.ts) say it for them.
        for (const room of gap.rooms) hub.toRoom(room, {type: 'gap', room, writer: gap.writer, missing: gap.missing, from: gap.from, to: gap.to})
      },
    },
    {maxSampleBytes: options.maxSampleBytes},
  )
  // Participants in the domain now, from discovery (what presence lists can lag after a stall).
  const alive = new Set<string>()
  bus.onEvent((event) => {
    if (event.kind === 'joined') alive.add(event.guidPrefix)
    else if (event.kind === 'left' || event.kind === 'dropped') alive.delete(event.guidPrefix)
  })
  const reconciler = new Reconciler(bus, inbound, store, {
    name,
    logger,
    peers: () => presence.peers(),
    alive: (participant) => alive.has(participant),
    timing: options.reconcile,
  })
  late.reconciler = reconciler
  const controlPlane = new ControlPlane(bus, {maxSampleBytes: options.maxSampleBytes + 512 * 1024, metrics, logger, exchange, reconciler, presence})

  const publish = (message: string, done?: PublishCallback) => {
    if (messageLog.wants()) messageLog.line(`Writing message ${messageForLog(message)}`)
    publisher.publish(message, (error, result) => {
      if (result) reconciler.noteWritten(result.writer, result.seq)
      // At shutdown the queue is counted in one warning, not one line per message.
      if (error && !done && !closed) logger.error(`Could not write a message to DDS: ${error.message}`)
      done?.(error, result)
    })
  }
  const transport = {
    maxPayload: options.maxPayload,
    rateLimit: options.rateLimit,
    slowConsumer: options.slowConsumer,
    heartbeatMs: options.heartbeatMs,
    closeGraceMs: options.closeGraceMs,
    logger,
    metrics,
    closed(connection: Connection, code: number) {
      v1.closed(connection)
      hub.remove(connection)
      if (logger.enabled('debug')) logger.debug(`Client ${connection.address} disconnected (${code}); ${hub.size} connected`)
    },
  }
  const plain = new PlainProtocol({metrics, logger, publish})
  const v1 = new V1Protocol({
    instance: name,
    maxPayload: options.maxPayload,
    maxRooms: options.maxRoomsPerClient,
    rateLimit: options.rateLimit,
    hub,
    history,
    presence,
    metrics,
    publish,
  })

  bus.onSamples((batch) => {
    if (!closed) inbound.accept(batch)
  })
  let presenceReaders = 0
  bus.onEvent((event) => {
    if (event.kind === 'joined') presence.participantJoined(event.guidPrefix)
    else if (event.kind === 'left' || event.kind === 'dropped') {
      options.noteInstances(presence.instances())
      presence.participantGone(event.guidPrefix)
    } else if (event.kind === 'matched' && event.entity === 'writer' && event.topic === 'presence') {
      if (event.count > presenceReaders) presence.readerMatched()
      presenceReaders = event.count
    }
  })
  bus.onEvent((event) => exchange.onBusEvent(event))
  const warnedAt = new Map<string, number>()
  bus.onEvent((event) => {
    if (event.kind !== 'ignored') return logBusEvent(logger, event)
    metrics.ignoredSamples.inc({topic: 'messages', reason: event.reason})
    // A warning per writer every 10 s at most: a peer that keeps sending them must not flood the log.
    const now = Date.now()
    if (now - (warnedAt.get(event.writer) ?? -Infinity) < 10_000) return
    if (warnedAt.size >= 1000) warnedAt.clear()
    warnedAt.set(event.writer, now)
    logger.warn(`Ignored a malformed batch of chatdds Messages from ${event.participantName ?? `DDS writer ${event.writer}`}: ${event.detail}`)
  })
  controlPlane.start()
  presence.start()
  exchange.start()
  reconciler.start()

  return {
    hub,
    metrics,
    exchange,
    presence,
    presenceView: () => ({instance: name, instances: presence.instances(), rooms: presence.rooms()}),
    api: {
      historyDepth: options.historyDepth,
      members: (room) => presence.members(room),
      history: (room, limit) => history.lookup(room, {limit}).messages,
      publish(room, text, from, done) {
        const ts = Date.now()
        metrics.messagesIn.inc({protocol: 'api'})
        publish(encodeEnvelope({room, from, text, ts, origin: name}), (error, result) => done(error, result && {id: result.id, ts}))
      },
    },
    accept(ws, requestedName, identity) {
      // With connect tokens the token decides the name; `?name=` is not read.
      const connectionName = identity ? identity.name : validName(requestedName, MAX_NAME_LENGTH) ? requestedName : 'anonymous'
      const connection = new Connection(ws, connectionName, transport)
      connection.identity = identity
      if (closed) {
        ws.close(CloseCode.GOING_AWAY, 'server shutting down')
        return
      }
      if (identity && connection.protocol !== SUBPROTOCOL && !identity.rooms.allows(DEFAULT_ROOM)) {
        // A plain client is only ever in #general.
        metrics.closes.inc({reason: 'forbidden'})
        connection.close(CloseCode.POLICY_VIOLATION, `forbidden: your connect token does not allow #${DEFAULT_ROOM}, the plain protocol's only room`)
        return
      }
      if (identity) {
        const cancel = onExpiry(identity, () => {
          metrics.closes.inc({reason: 'token_expired'})
          logger.info(`Closed client ${connection.address} (${identity.sub}): its connect token expired (${CloseCode.TOKEN_EXPIRED})`)
          connection.close(CloseCode.TOKEN_EXPIRED, 'token expired; connect again with a new token')
        })
        ws.on('close', cancel)
      }
      hub.add(connection)
      // Only at debug level: the address costs memory for as long as the connection lasts.
      if (logger.enabled('debug')) logger.debug(`Client ${connection.address} connected (${connection.protocol}); ${hub.size} connected`)
      if (connection.protocol === SUBPROTOCOL) v1.accept(connection)
      else plain.accept(connection)
      if (publisher.busy) connection.pause('bus')
    },
    /** Sends 1001 to every client and waits (1 s at most) for them to go; the bus is the server's to close. */
    async close() {
      if (closed) return
      closed = true
      hub.stop()
      reconciler.close()
      exchange.close()
      presence.close()
      // The queue fails first, so that its senders get their `busy` errors before the 1001.
      const remaining = publisher.flush()
      if (remaining > 0) logger.warn(`${remaining} messages were still waiting for the DDS writer at shutdown and were not written`)
      publisher.stop(new ChatddsError('ECLOSED', 'The server is shutting down.'))
      for (const connection of hub.connections) {
        if (!connection.closing) metrics.closes.inc({reason: 'shutdown'})
        connection.close(CloseCode.GOING_AWAY, 'server shutting down', SHUTDOWN_WAIT_MS)
      }
      const deadline = Date.now() + SHUTDOWN_WAIT_MS + 200
      while (hub.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
      for (const connection of hub.connections) connection.ws.terminate()
      messageLog.flush()
    },
  }
}

function logBusEvent(logger: Logger, event: Exclude<BusEvent, {kind: 'ignored'}>): void {
  if (event.kind === 'matched') {
    const other = event.entity === 'writer' ? 'reader' : 'writer'
    const line = `${event.count} ${other}${event.count === 1 ? '' : 's'}`
    if (event.topic) logger.debug(`DDS ${event.entity} of chatdds ${event.topic} now matched with ${line}`)
    else logger.info(`DDS ${event.entity} now matched with ${line}`)
  } else {
    const what = {joined: 'joined', left: 'left', dropped: 'was dropped (lease expired)'}[event.kind]
    logger.info(`DDS participant ${event.name || '(unnamed)'} ${what}`)
  }
}

export async function startChatServer(options: ChatServerOptions): Promise<ChatServer> {
  const host = options.host ?? DEFAULTS.host
  const maxPayload = options.maxPayload ?? DEFAULTS.maxPayload
  const logger = options.logger ?? silentLogger

  // Until the bus exists (a few ms after listening) /readyz and /metrics answer 503.
  // Assigned once the bus exists; status() reads it before that (/readyz answers 503 until then).
  // eslint-disable-next-line prefer-const
  let core: Core | undefined
  let bus: Bus | undefined
  let closing: Promise<void> | undefined
  let name = options.name ?? ''
  const status = (): Readiness => {
    const {ready, matchedReaders, matchedWriters, peers} = bus && !closing ? bus.status() : NOT_READY
    const historyHandOver = core?.exchange.state ?? 'pending'
    return {ready: ready && historyHandOver !== 'pending', name, matchedReaders, matchedWriters, peers, historyHandOver}
  }

  const security = options.security ?? {}
  const gate = new ConnectGate(security)
  const httpServer = http.createServer(
    createRoutes(
      {
        readiness: status,
        metrics: () => core?.metrics.registry.metrics(),
        presence: () => core?.presenceView(),
        api: createApi({apiKey: security.apiKey, maxBodyBytes: maxPayload, core: () => core?.api, logger}),
        presenceRefusal: (req) => presenceRefusal(security, req),
        dashboard: createDashboard({
          apiKey: security.apiKey,
          logger,
          originAllowed: (origin, host) => gate.originAllowed(origin, host),
          metrics: () => core?.metrics.registry.metrics(),
          readings: () => core && {ready: status().ready, peers: status().peers, instance: name, instances: core.presence.instances()},
        }),
      },
      logger,
    ),
  )
  httpServer.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    logger.debug(`Bad HTTP request from a client (${error.code ?? error.message})`)
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
    else socket.destroy()
  })

  try {
    await listen(httpServer, options.port, host)
  } catch (error) {
    if (typeof options.bus !== 'function') options.bus.close()
    throw error
  }
  httpServer.on('error', (error) => logger.error(`HTTP server: ${error.message}`))
  const port = (httpServer.address() as AddressInfo).port
  name ||= `chat-${port}`
  const url = `ws://${host.includes(':') ? `[${host}]` : host}:${port}/`

  try {
    if (typeof options.bus === 'function') {
      bus = await options.bus({name, port})
      name = bus.name // the factory may name the instance otherwise (instance.ts: names are unique in a DDS domain)
    } else bus = options.bus
  } catch (error) {
    await new Promise((resolve) => httpServer.close(resolve))
    throw error
  }
  const theBus = bus
  const theCore = assemble(theBus, {
    name,
    url,
    maxPayload,
    historyDepth: options.historyDepth ?? DEFAULTS.historyDepth,
    rateLimit: {...DEFAULTS.rateLimit, ...options.rateLimit},
    slowConsumer: {...DEFAULTS.slowConsumer, ...options.slowConsumer},
    heartbeatMs: options.heartbeatMs ?? DEFAULTS.heartbeatMs,
    closeGraceMs: options.closeGraceMs ?? DEFAULTS.closeGraceMs,
    logger,
    messageLinesPerSecond: options.messageLinesPerSecond,
    handOver: options.handOver,
    presenceCoalesceMs: options.presenceCoalesceMs,
    repairDepth: options.repairDepth ?? DEFAULTS.repairDepth,
    maxSampleBytes: options.maxSampleBytes ?? Math.max(DEFAULTS.maxSampleBytes, 2 * maxPayload),
    maxRoomsPerClient: options.maxRoomsPerClient ?? DEFAULTS.maxRoomsPerClient,
    reconcile: options.reconcile,
    noteInstances: (instances) => gate.noteInstances(instances),
  })
  core = theCore

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload,
    clientTracking: false,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  })
  wss.on('error', (error) => logger.error(`Websocket server: ${error.message}`))
  wss.on('wsClientError', (error, socket) => {
    logger.debug(`Refused a websocket handshake (${error.message})`)
    socket.destroy()
  })
  // The Origin policy and the connect token are checked before the handshake is answered (auth.ts).
  httpServer.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    const onSocketError = (error: Error) => logger.debug(`Websocket handshake socket: ${error.message}`)
    socket.on('error', onSocketError)
    gate.noteInstances(theCore.presence.instances())
    gate.check(req).then(
      (verdict) => {
        if (!verdict.ok) {
          logger.debug(`Refused a websocket from ${req.socket.remoteAddress}:${req.socket.remotePort}: ${verdict.status} ${verdict.message}`)
          refuseUpgrade(socket, verdict)
          return
        }
        if (closing || socket.destroyed) {
          socket.destroy()
          return
        }
        socket.off('error', onSocketError)
        const requestedName = new URL(req.url ?? '/', 'http://localhost').searchParams.get('name')
        wss.handleUpgrade(req, socket, head, (ws) => theCore.accept(ws, requestedName, verdict.identity))
      },
      (error: Error) => {
        logger.error(`Checking a websocket handshake: ${error.message}`)
        socket.destroy()
      },
    )
  })

  // A URL a terminal makes clickable; a wildcard address is browsed on loopback.
  const browseHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host
  logger.info(`Server is listening on ${port}! http://${browseHost}:${port}/`)

  async function shutdown(): Promise<void> {
    await Promise.all([
      theCore.close(),
      new Promise<void>((resolve) => wss.close(() => resolve())),
      new Promise<void>((resolve) => {
        httpServer.close(() => resolve())
        httpServer.closeAllConnections()
      }),
    ])
    try {
      theBus.close()
    } catch (error) {
      logger.error(`Closing DDS: ${(error as Error).message}`)
    }
    logger.info('Server stopped')
  }

  return {
    name,
    host,
    port,
    url,
    bus: theBus,
    status,
    metrics: () => theCore.metrics.registry.metrics(),
    presence: () => theCore.presenceView(),
    close() {
      closing ??= shutdown()
      return closing
    },
  }
}

/** GET /presence names users: with connect tokens on, only the API key may read it. */
function presenceRefusal(security: SecurityOptions, req: http.IncomingMessage): string | undefined {
  if (!security.tokens) return undefined
  if (security.apiKey === undefined)
    return 'GET /presence lists user names, so with connect tokens on it needs the API key; start the server with --api-key and send "Authorization: Bearer <key>".'
  return hasApiKey(req, security.apiKey) ? undefined : 'GET /presence lists user names, so with connect tokens on it needs "Authorization: Bearer <--api-key>".'
}

/** Binds `server`, turning the usual failures into one sentence that says what to do. */
function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening)
      switch (error.code) {
        case 'EADDRINUSE':
          reject(new ChatddsError('EADDRINUSE', `Port ${port} is already in use; stop what is listening there or pick another with --port.`))
          return
        case 'EACCES':
          reject(new ChatddsError('EACCES', `Not allowed to listen on port ${port}; pick a port above 1023 with --port.`))
          return
        case 'EADDRNOTAVAIL':
        case 'ENOTFOUND':
          reject(new ChatddsError(error.code, `Cannot listen on ${host}: it is not an address of this host; pick another with --host.`))
          return
        default:
          reject(new ChatddsError(error.code ?? 'ELISTEN', `Cannot listen on ${host}:${port} (${error.message}); pick another --host or --port.`))
      }
    }
    const onListening = () => {
      server.off('error', onError)
      resolve()
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, host)
  })
}
