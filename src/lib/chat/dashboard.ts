/**
 * GET /dashboard: a page of live charts (message rates, delivery latency) and the graph of the cluster's instances and
 * their DDS links. The page polls GET /dashboard/data of every instance itself (CORS by the websocket Origin policy);
 * the data is numbers and instance names only, and needs the API key (Bearer or ?key=) when the server has one.
 */
import {readFileSync} from 'node:fs'
import type http from 'node:http'
import {createRequire} from 'node:module'

import type {InstanceInfo} from '../wire/index.js'
import {isApiKey, bearerOf} from './auth.js'
import type {Logger} from './log.js'
import {metricsSample, type MetricsSample} from './metricsSample.js'

/** GET /dashboard/data: one instance, now. */
export interface DashboardData extends MetricsSample {
  instance: string
  ready: boolean
  /** DDS participants this instance has discovered. */
  peers: string[]
  /** The cluster's instances as presence knows them (websocket URLs). */
  instances: InstanceInfo[]
  atMs: number
}

export interface DashboardOptions {
  apiKey?: string
  /** undefined while the instance is starting (503). */
  readings(): {ready: boolean; peers: string[]; instance: string; instances: InstanceInfo[]} | undefined
  /** GET /metrics's text (prom-client renders asynchronously). */
  metrics(): Promise<string> | undefined
  /** The websocket Origin policy: may a page of `origin` read this instance's data? */
  originAllowed(origin: string, requestHost: string | undefined): boolean
  logger: Logger
}

const require = createRequire(import.meta.url)
const TEMPLATES = new URL('../../../templates/', import.meta.url)
const ASSETS: Record<string, {file: string | URL; type: string}> = {
  '/dashboard': {file: new URL('dashboard.html', TEMPLATES), type: 'text/html; charset=utf-8'},
  '/dashboard/dashboard.js': {file: new URL('dashboard.js', TEMPLATES), type: 'text/javascript; charset=utf-8'},
  // The compiled quantile code, loaded by the page as it is: `cluster top` and the page compute the same.
  '/dashboard/histogram.js': {file: new URL('histogram.js', import.meta.url), type: 'text/javascript; charset=utf-8'},
  '/dashboard/uplot.js': {file: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8'},
  '/dashboard/uplot.css': {file: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8'},
}
const TEXT = 'text/plain; charset=utf-8'

/** Handles GET/HEAD under /dashboard; false for any other request. */
export function createDashboard(options: DashboardOptions): (req: http.IncomingMessage, res: http.ServerResponse, path: string) => boolean {
  const cache = new Map<string, Buffer>()
  const asset = (path: string): Buffer | undefined => {
    if (!cache.has(path)) {
      try {
        cache.set(path, readFileSync(ASSETS[path].file))
      } catch {
        options.logger.warn(`The dashboard file ${String(ASSETS[path].file)} is missing; GET ${path} will answer 500.`)
        return undefined
      }
    }
    return cache.get(path)
  }
  return (req, res, path) => {
    if (path === '/dashboard/') path = '/dashboard'
    if ((path !== '/dashboard' && !path.startsWith('/dashboard/')) || (req.method !== 'GET' && req.method !== 'HEAD')) return false
    const respond = (code: number, type: string, body: string | Buffer, headers: Record<string, string> = {}) => {
      res.writeHead(code, {'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...headers})
      res.end(req.method === 'HEAD' ? undefined : body)
    }
    if (path !== '/dashboard/data') {
      if (!ASSETS[path]) respond(404, TEXT, 'Not found\n')
      else {
        const body = asset(path)
        if (body) respond(200, ASSETS[path].type, body)
        else respond(500, TEXT, 'This file of the dashboard is missing from this installation.\n')
      }
      return true
    }
    // Another instance's dashboard page may read this (the cluster's pages are same-origin for the websocket too).
    const origin = req.headers.origin
    const cors: Record<string, string> =
      origin && options.originAllowed(origin, req.headers.host) ? {'Access-Control-Allow-Origin': origin, Vary: 'Origin'} : {Vary: 'Origin'}
    if (options.apiKey !== undefined) {
      const key = new URL(req.url ?? '/', 'http://localhost').searchParams.get('key')
      if (!isApiKey(bearerOf(req), options.apiKey) && !isApiKey(key, options.apiKey)) {
        respond(401, TEXT, 'The dashboard data needs the API key: open /dashboard?key=<--api-key>, or send "Authorization: Bearer <--api-key>".\n', {
          ...cors,
          'WWW-Authenticate': 'Bearer realm="chatdds-api"',
        })
        return true
      }
    }
    const readings = options.readings()
    const metrics = options.metrics()
    if (!readings || !metrics) {
      respond(503, TEXT, 'Starting\n', cors)
      return true
    }
    metrics.then(
      (text) => {
        const data: DashboardData = {...readings, ...metricsSample(text), atMs: Date.now()}
        respond(200, 'application/json', JSON.stringify(data), cors)
      },
      (error: Error) => {
        options.logger.error(`Rendering /dashboard/data: ${error.message}`)
        respond(500, TEXT, 'The metrics could not be rendered; see the server log.\n', cors)
      },
    )
    return true
  }
}
