/**
 * Who may open a websocket (the Origin policy, connect tokens) and who may use the backend API (the
 * API key). The upgrade is decided here before any websocket exists: 403 for an origin that is not
 * allowed, 401 for a missing or bad token, each with a one-line body that says why.
 */
import {createHash, timingSafeEqual} from 'node:crypto'
import type http from 'node:http'
import type {Duplex} from 'node:stream'

import {ChatddsError} from '../errors.js'
import {TokenError, verifierFromFiles, type Identity, type TokenVerifier} from '../tokens.js'
import type {InstanceInfo} from '../wire/index.js'

export interface SecurityOptions {
  /** Connect tokens: with a verifier every websocket client must present a valid one. */
  tokens?: TokenVerifier
  /** Origins accepted besides the cluster's own pages: `https://app.example`, `*` (any), `null` (pages opened as files). */
  allowedOrigins?: string[]
  /** The backend API key: `/api/*` answers 404 without one. */
  apiKey?: string
}

/** What `serve`'s flags say, read into SecurityOptions (files read, origins checked). Throws ChatddsError, exit 2. */
export function loadSecurity(flags: {authSecret?: string; authPublicKey?: string; allowedOrigins?: string[]; apiKey?: string}): SecurityOptions {
  const security: SecurityOptions = {}
  if (flags.authSecret !== undefined || flags.authPublicKey !== undefined)
    security.tokens = verifierFromFiles({secret: flags.authSecret, publicKeyFile: flags.authPublicKey})
  if (flags.allowedOrigins?.length) security.allowedOrigins = flags.allowedOrigins.map(normalizeAllowedOrigin)
  if (flags.apiKey !== undefined) {
    if (flags.apiKey === '') throw new ChatddsError('EAUTHKEY', 'The API key is empty; pass a long random string with --api-key.', 2)
    security.apiKey = flags.apiKey
  }
  return security
}

/** `https://App.Example:443/path` → `https://app.example`; `*` and `null` as they are. */
export function normalizeAllowedOrigin(origin: string): string {
  if (origin === '*' || origin === 'null') return origin
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    throw new ChatddsError(
      'EUSAGE',
      `--allowed-origin ${origin} is not an origin; give scheme, host and port, e.g. https://chat.example.com or http://localhost:3000.`,
      2,
    )
  }
  if (url.origin === 'null')
    throw new ChatddsError(
      'EUSAGE',
      `--allowed-origin ${origin} is not an http(s) origin; give one such as https://chat.example.com (or "null" for pages opened as files).`,
      2,
    )
  return url.origin
}

/** The one-line warning `serve` prints when it listens beyond loopback with nothing protecting it; undefined when there is none to give. */
export function exposureWarning(host: string, port: number, security: SecurityOptions): string | undefined {
  if (isLoopback(host) || security.tokens) return undefined
  return `listening on ${host}:${port} without --auth-secret or --auth-public-key: anyone who reaches this port can connect under any name, read and post in every room, and see who is in which room (GET /presence); pass --auth-secret (see README, Security).`
}

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase()
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare) || /^::ffff:127\./.test(bare)
}

export type Verdict = {ok: true; identity?: Identity} | {ok: false; status: 401 | 403; message: string; tokenError?: TokenError['code']}

/** Bound on the origins remembered from presence. */
const MAX_KNOWN_HOSTS = 1024

/** The websocket upgrade's gate: Origin policy first, then the token. */
export class ConnectGate {
  private readonly allowed: Set<string>
  private readonly anyOrigin: boolean
  /** host:port of every instance of the cluster seen so far: each serves the same page, and pages fail over between them. */
  private readonly clusterHosts = new Set<string>()

  constructor(private readonly security: SecurityOptions) {
    this.allowed = new Set(security.allowedOrigins ?? [])
    this.anyOrigin = this.allowed.has('*')
  }

  get tokensRequired(): boolean {
    return this.security.tokens !== undefined
  }

  /** Remembers the cluster's instances (their pages are same-origin for the cluster), also after they are gone. */
  noteInstances(instances: InstanceInfo[]): void {
    for (const instance of instances) {
      const host = hostOf(instance.url)
      if (!host || this.clusterHosts.has(host)) continue
      if (this.clusterHosts.size >= MAX_KNOWN_HOSTS) this.clusterHosts.delete(this.clusterHosts.values().next().value!)
      this.clusterHosts.add(host)
    }
  }

  async check(req: http.IncomingMessage): Promise<Verdict> {
    const origin = req.headers.origin
    if (origin !== undefined && !this.originAllowed(origin, req.headers.host)) {
      return {ok: false, status: 403, message: `Origin ${origin} is not allowed to connect; start the server with --allowed-origin ${origin} to accept its pages.`}
    }
    if (!this.security.tokens) return {ok: true}
    try {
      return {ok: true, identity: await this.security.tokens.verify(tokenOf(req))}
    } catch (error) {
      if (error instanceof TokenError) return {ok: false, status: 401, message: error.message, tokenError: error.code}
      throw error
    }
  }

  /** The websocket Origin policy; the dashboard's data follows it too (CORS). */
  originAllowed(origin: string, requestHost: string | undefined): boolean {
    if (this.anyOrigin) return true
    if (this.allowed.has(origin === 'null' ? 'null' : safeOrigin(origin))) return true
    const host = hostOf(origin)
    if (!host) return false
    return host === hostOf(`http://${requestHost ?? ''}`) || this.clusterHosts.has(host)
  }
}

/** The token of an upgrade request: `Authorization: Bearer …` first, else `?token=`. */
export function tokenOf(req: http.IncomingMessage): string | undefined {
  const bearer = bearerOf(req)
  if (bearer !== undefined) return bearer
  return new URL(req.url ?? '/', 'http://localhost').searchParams.get('token') ?? undefined
}

export function bearerOf(req: http.IncomingMessage): string | undefined {
  const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(req.headers.authorization ?? '')
  return match ? match[1] : undefined
}

/** Whether the request carries `Authorization: Bearer <apiKey>` (compared in constant time). */
export function hasApiKey(req: http.IncomingMessage, apiKey: string): boolean {
  return isApiKey(bearerOf(req), apiKey)
}

/** Whether `given` is the API key (compared in constant time). */
export function isApiKey(given: string | undefined | null, apiKey: string): boolean {
  if (given === undefined || given === null) return false
  const digest = (value: string) => createHash('sha256').update(value).digest()
  return timingSafeEqual(digest(given), digest(apiKey))
}

/** Answers a refused upgrade on the raw socket: the status and a one-line body. */
export function refuseUpgrade(socket: Duplex, verdict: Extract<Verdict, {ok: false}>): void {
  const body = verdict.message + '\n'
  const reason = verdict.status === 401 ? 'Unauthorized' : 'Forbidden'
  const challenge = verdict.status === 401 ? `WWW-Authenticate: Bearer realm="chatdds"${verdict.tokenError === 'missing' ? '' : ', error="invalid_token"'}\r\n` : ''
  if (!socket.writable) {
    socket.destroy()
    return
  }
  socket.end(
    `HTTP/1.1 ${verdict.status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\n${challenge}\r\n${body}`,
  )
}

/** Calls `expired` when the identity's token expires (timers are capped near 24.8 days: re-armed). Returns the cancel. */
export function onExpiry(identity: Identity, expired: () => void): () => void {
  const MAX_TIMER_MS = 2_147_483_647
  let timer: NodeJS.Timeout
  const arm = () => {
    const remaining = identity.expiresAt - Date.now()
    if (remaining <= 0) {
      expired()
      return
    }
    timer = setTimeout(arm, Math.min(remaining, MAX_TIMER_MS))
    timer.unref()
  }
  arm()
  return () => clearTimeout(timer)
}

/** `host:port` (lowercase, default ports dropped) of a URL, or undefined. */
function hostOf(url: string): string | undefined {
  try {
    const parsed = new URL(url.replace(/^ws(s?):/i, 'http$1:'))
    return parsed.host === '' ? undefined : parsed.host
  } catch {
    return undefined
  }
}

function safeOrigin(origin: string): string {
  try {
    return new URL(origin).origin
  } catch {
    return origin
  }
}
