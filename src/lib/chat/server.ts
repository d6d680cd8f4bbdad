/**
 * One chat instance on one port: HTTP (browser page, /healthz, /readyz, /metrics, /presence) and
 * websockets (plain and chatdds.v1, handled by ChatHub), bridged to a Bus.
 */
import {readFileSync} from 'node:fs'
import http from 'node:http'
import type {AddressInfo, Socket} from 'node:net'
import {WebSocketServer} from 'ws'
import {ChatddsError} from '../errors.js'
import type {Bus, BusFactory, BusStatus} from './bus.js'
import type {HandOverState, HandOverTiming} from './handover.js'
import {ChatHub, type PresenceView, type RateLimit, type SlowConsumerLimits} from './hub.js'
import {silentLogger, type Logger} from './log.js'
import {SUBPROTOCOL} from './protocol.js'

export type {RateLimit, SlowConsumerLimits} from './hub.js'

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
  /** Default 1000 frames/s, burst 2000. */
  rateLimit?: Partial<RateLimit>
  /** Default: closed when over 4 MiB unsent for 5 s, or over 16 MiB at once; checked every second. */
  slowConsumer?: Partial<SlowConsumerLimits>
  /** Ping interval; a client that has not answered the previous ping is terminated. Default 30 s. */
  heartbeatMs?: number
  /** Time a client being closed gets to finish the close handshake before it is terminated. Default 5 s. */
  closeGraceMs?: number
  /** `Writing message`/`Received a message` lines per second at info level (default 20). */
  messageLinesPerSecond?: number
  /** How long the history hand-over waits for peers (default: settle 1 s, quiet 0.5 s, retry 2 s, give up after 15 s). */
  handOver?: Partial<HandOverTiming>
  /** Membership changes within this window go out as one presence snapshot. Default 50 ms. */
  presenceCoalesceMs?: number
}

export interface Readiness extends BusStatus {
  name: string
  /** The history hand-over: ready only once it is no longer `pending`. */
  historyHandOver: HandOverState
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
  rateLimit: {perSecond: 1000, burst: 2000} satisfies RateLimit,
  slowConsumer: {softBytes: 4 * 1024 * 1024, softMs: 5000, hardBytes: 16 * 1024 * 1024, checkIntervalMs: 1000} satisfies SlowConsumerLimits,
  heartbeatMs: 30_000,
  closeGraceMs: 5000,
}

const PAGE_PATH = new URL('../../../templates/index.html', import.meta.url)
const NOT_READY: BusStatus = {ready: false, matchedReaders: 0, matchedWriters: 0, peers: []}

export async function startChatServer(options: ChatServerOptions): Promise<ChatServer> {
  const host = options.host ?? DEFAULTS.host
  const maxPayload = options.maxPayload ?? DEFAULTS.maxPayload
  const logger = options.logger ?? silentLogger
  let page: Buffer | undefined
  try {
    page = readFileSync(PAGE_PATH)
  } catch {
    logger.warn(`The browser page ${PAGE_PATH.pathname} is missing; GET / will answer 500.`)
  }

  // Until the bus exists (a few ms after listening) /readyz and /metrics answer 503.
  let hub: ChatHub | undefined
  let bus: Bus | undefined
  let closing: Promise<void> | undefined
  let name = options.name ?? ''
  const status = (): Readiness => {
    const {ready, matchedReaders, matchedWriters, peers} = bus && !closing ? bus.status() : NOT_READY
    const historyHandOver = hub?.handOverState ?? 'pending'
    return {ready: ready && historyHandOver !== 'pending', name, matchedReaders, matchedWriters, peers, historyHandOver}
  }

  const httpServer = http.createServer((req, res) => {
    const respond = (code: number, type: string, body: string | Buffer) => {
      res.writeHead(code, {'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store'})
      res.end(req.method === 'HEAD' ? undefined : body)
    }
    const text = 'text/plain; charset=utf-8'
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD')
      respond(405, text, 'Method not allowed\n')
      return
    }
    switch ((req.url ?? '/').split('?')[0]) {
      case '/':
      case '/index.html':
        if (page) respond(200, 'text/html; charset=utf-8', page)
        else respond(500, text, 'The browser page is missing from this installation.\n')
        return
      case '/healthz':
        respond(200, text, 'ok\n')
        return
      case '/readyz': {
        const readiness = status()
        respond(readiness.ready ? 200 : 503, 'application/json', JSON.stringify(readiness))
        return
      }
      case '/metrics':
        if (hub) {
          const {registry} = hub.metrics
          registry.metrics().then(
            (body) => respond(200, registry.contentType, body),
            (error: Error) => {
              logger.error(`Rendering /metrics: ${error.message}`)
              respond(500, text, 'The metrics could not be rendered; see the server log.\n')
            },
          )
        } else respond(503, text, 'Starting\n')
        return
      case '/presence':
        if (hub) respond(200, 'application/json', JSON.stringify(hub.presenceView()))
        else respond(503, text, 'Starting\n')
        return
      default:
        respond(404, text, 'Not found\n')
    }
  })
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
    bus = typeof options.bus === 'function' ? await options.bus({name, port}) : options.bus
  } catch (error) {
    await new Promise((resolve) => httpServer.close(resolve))
    throw error
  }
  const theBus = bus
  const theHub = new ChatHub(theBus, {
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
  })
  hub = theHub

  const wss = new WebSocketServer({
    server: httpServer,
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
  wss.on('connection', (ws, req) => theHub.accept(ws, req))

  logger.info(`Server is listening on ${port}!`)

  async function shutdown(): Promise<void> {
    await Promise.all([
      theHub.close(),
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
    metrics: () => theHub.metrics.registry.metrics(),
    presence: () => theHub.presenceView(),
    close() {
      closing ??= shutdown()
      return closing
    },
  }
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
