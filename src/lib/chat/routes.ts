/** The HTTP side of an instance's one port: the browser page, health, readiness, metrics and presence. */
import {readFileSync} from 'node:fs'
import type http from 'node:http'
import type {Logger} from './log.js'

export interface RouteSources {
  /** GET /readyz: the body, and 200 when `ready`. */
  readiness(): {ready: boolean}
  /** GET /metrics (Prometheus text), undefined while starting (503). */
  metrics(): Promise<string> | undefined
  /** GET /presence, undefined while starting (503). */
  presence(): unknown
  // ---- security (auth.ts, api.ts) ----
  /** The /api paths; returns false for any other path. */
  api?(req: http.IncomingMessage, res: http.ServerResponse, path: string): boolean
  /** GET /dashboard and its data (dashboard.ts); returns false for any other path. */
  dashboard?(req: http.IncomingMessage, res: http.ServerResponse, path: string): boolean
  /** Why GET /presence (it names users) is refused to this request, or undefined when it is not. */
  presenceRefusal?(req: http.IncomingMessage): string | undefined
}

const PAGE_PATH = new URL('../../../templates/index.html', import.meta.url)
const TEXT = 'text/plain; charset=utf-8'
/** The Prometheus text exposition format, 0.0.4 (prom-client's Registry.PROMETHEUS_CONTENT_TYPE). */
const METRICS_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/** The request handler of the instance's HTTP server. */
export function createRoutes(sources: RouteSources, logger: Logger): http.RequestListener {
  let page: Buffer | undefined
  try {
    page = readFileSync(PAGE_PATH)
  } catch {
    logger.warn(`The browser page ${PAGE_PATH.pathname} is missing; GET / will answer 500.`)
  }

  return (req, res) => {
    const respond = (code: number, type: string, body: string | Buffer) => {
      res.writeHead(code, {'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store'})
      res.end(req.method === 'HEAD' ? undefined : body)
    }
    const path = (req.url ?? '/').split('?')[0]
    if (sources.api?.(req, res, path)) return
    if (sources.dashboard?.(req, res, path)) return
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD')
      respond(405, TEXT, 'Method not allowed\n')
      return
    }
    switch (path) {
      case '/':
      case '/index.html':
        if (page) respond(200, 'text/html; charset=utf-8', page)
        else respond(500, TEXT, 'The browser page is missing from this installation.\n')
        return
      case '/healthz':
        respond(200, TEXT, 'ok\n')
        return
      case '/readyz': {
        const readiness = sources.readiness()
        respond(readiness.ready ? 200 : 503, 'application/json', JSON.stringify(readiness))
        return
      }
      case '/metrics': {
        const metrics = sources.metrics()
        if (metrics === undefined) respond(503, TEXT, 'Starting\n')
        else
          metrics.then(
            (text) => respond(200, METRICS_TYPE, text),
            (error: Error) => {
              logger.error(`Rendering /metrics: ${error.message}`)
              respond(500, TEXT, 'The metrics could not be rendered; see the server log.\n')
            },
          )
        return
      }
      case '/presence': {
        const refusal = sources.presenceRefusal?.(req)
        if (refusal) {
          res.setHeader('WWW-Authenticate', 'Bearer realm="chatdds-api"')
          respond(401, TEXT, refusal + '\n')
          return
        }
        const presence = sources.presence()
        if (presence === undefined) respond(503, TEXT, 'Starting\n')
        else respond(200, 'application/json', JSON.stringify(presence))
        return
      }
      default:
        respond(404, TEXT, 'Not found\n')
    }
  }
}
