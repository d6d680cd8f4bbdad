/**
 * Connect tokens (JWT, signed and checked by `jose`): what `chatdds token` signs and what `chatdds serve
 * --auth-secret / --auth-public-key` accepts. Claims: `sub` and `exp` required; `name` (the sender name,
 * default `sub`), `rooms` (patterns the user may join, `*` a wildcard; default every room) and `publish`
 * (patterns the user may send to; default `rooms`).
 */
import {createPrivateKey, createPublicKey, type KeyObject} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {decodeProtectedHeader, errors, jwtVerify, SignJWT, type JWTPayload} from 'jose'

import {ChatddsError} from './errors.js'
import {MAX_NAME_LENGTH, MAX_ROOM_LENGTH, validName} from './wire/index.js'

export type TokenAlgorithm = 'HS256' | 'RS256' | 'ES256'

/** Room patterns of a token: `general`, `team-*`, `*`. */
export class RoomPatterns {
  /** `undefined`: every room. */
  constructor(readonly patterns: readonly string[] | undefined) {}

  allows(room: string): boolean {
    return this.patterns === undefined || this.patterns.some((pattern) => matchPattern(pattern, room))
  }
}

/** Who a verified token says the client is, and where it may go. */
export interface Identity {
  sub: string
  /** The sender name: the `name` claim, else `sub`. */
  name: string
  /** Expiry, ms since the epoch. */
  expiresAt: number
  rooms: RoomPatterns
  publish: RoomPatterns
}

/** Why a token was refused: `code` for metrics and tests, `message` one sentence for the 401 body. */
export class TokenError extends Error {
  constructor(
    readonly code: 'missing' | 'malformed' | 'bad_signature' | 'wrong_algorithm' | 'expired' | 'bad_claims',
    message: string,
  ) {
    super(message)
    this.name = 'TokenError'
  }
}

export interface TokenVerifier {
  /** The algorithms accepted, for messages. */
  readonly algorithms: readonly TokenAlgorithm[]
  /** Resolves with the identity, or rejects with a TokenError. */
  verify(token: string | undefined): Promise<Identity>
}

export interface VerifierKeys {
  /** HS256 shared secret. */
  secret?: string
  /** RS256 or ES256 public key (PEM, or an X.509 certificate). */
  publicKeyPem?: string
}

const MAX_PATTERNS = 100
const MAX_TOKEN_LENGTH = 8192

/** A verifier for HS256 (`secret`) and/or RS256/ES256 (`publicKeyPem`) tokens. Throws ChatddsError (exit 2) for an unusable key. */
export function createTokenVerifier(keys: VerifierKeys): TokenVerifier {
  const byAlgorithm = new Map<TokenAlgorithm, Uint8Array | KeyObject>()
  if (keys.secret !== undefined) {
    if (keys.secret === '') throw new ChatddsError('EAUTHKEY', 'The auth secret is empty; pass a long random string with --auth-secret.', 2)
    byAlgorithm.set('HS256', new TextEncoder().encode(keys.secret))
  }
  if (keys.publicKeyPem !== undefined) {
    let key: KeyObject
    try {
      key = createPublicKey(keys.publicKeyPem)
    } catch (error) {
      throw new ChatddsError(
        'EAUTHKEY',
        `The auth public key is not a PEM public key or certificate (${(error as Error).message}); pass an RSA or P-256 key with --auth-public-key.`,
        2,
      )
    }
    byAlgorithm.set(algorithmOf(key, 'public'), key)
  }
  if (byAlgorithm.size === 0) throw new ChatddsError('EAUTHKEY', 'No auth key; pass --auth-secret or --auth-public-key.', 2)
  const algorithms = [...byAlgorithm.keys()]

  return {
    algorithms,
    async verify(token) {
      if (token === undefined || token === '')
        throw new TokenError('missing', 'A connect token is required: pass it as ?token=… or an "Authorization: Bearer …" header.')
      if (token.length > MAX_TOKEN_LENGTH || !/^[\w-]+\.[\w-]+\.[\w-]*$/.test(token))
        throw new TokenError('malformed', 'The connect token is not a signed JWT (three base64url parts); pass the token exactly as it was issued.')
      let alg: string | undefined
      try {
        alg = decodeProtectedHeader(token).alg
      } catch {
        throw new TokenError('malformed', 'The connect token is not a signed JWT (its header does not decode); pass the token exactly as it was issued.')
      }
      const key = byAlgorithm.get(alg as TokenAlgorithm)
      if (!key)
        throw new TokenError(
          'wrong_algorithm',
          `The connect token is signed with ${alg ?? 'no algorithm'}, and this server accepts only ${algorithms.join(' or ')}; sign it with the server's key.`,
        )
      let payload: JWTPayload
      try {
        ;({payload} = await jwtVerify(token, key, {algorithms: [alg as TokenAlgorithm], requiredClaims: ['sub', 'exp']}))
      } catch (error) {
        throw tokenError(error)
      }
      return identityOf(payload)
    },
  }
}

/** Reads `file` and builds a verifier for it (and `secret` if given). */
export function verifierFromFiles(options: {secret?: string; publicKeyFile?: string}): TokenVerifier {
  let publicKeyPem: string | undefined
  if (options.publicKeyFile !== undefined) publicKeyPem = readKeyFile(options.publicKeyFile, '--auth-public-key')
  return createTokenVerifier({secret: options.secret, publicKeyPem})
}

export interface SignOptions {
  /** HS256 shared secret, or `privateKeyPem` for RS256/ES256. */
  secret?: string
  privateKeyPem?: string
  sub: string
  name?: string
  rooms?: string[]
  publish?: string[]
  /** Lifetime in seconds. */
  ttlSeconds: number
  /** For tests: the issue time, ms since the epoch. Default now. */
  now?: number
}

export interface SignedToken {
  token: string
  alg: TokenAlgorithm
  sub: string
  name?: string
  rooms?: string[]
  publish?: string[]
  /** Seconds since the epoch. */
  exp: number
}

/** Signs a connect token. Throws ChatddsError (exit 2) for bad claims or an unusable key. */
export async function signToken(options: SignOptions): Promise<SignedToken> {
  const usage = (message: string) => new ChatddsError('EUSAGE', message, 2)
  if ((options.secret === undefined) === (options.privateKeyPem === undefined)) throw usage('Pass exactly one of --secret (HS256) and --key FILE (RS256/ES256).')
  if (options.secret === '') throw usage("The secret is empty; pass the server's --auth-secret with --secret.")
  if (options.sub === '') throw usage('--sub must not be empty.')
  if (options.name === undefined && !validName(options.sub, MAX_NAME_LENGTH))
    throw usage(`--sub is the sender name unless --name is given, so at most ${MAX_NAME_LENGTH} characters; shorten it or add --name.`)
  if (options.name !== undefined && !validName(options.name, MAX_NAME_LENGTH)) throw usage(`--name must be 1 to ${MAX_NAME_LENGTH} characters.`)
  for (const [flag, patterns] of [
    ['--rooms', options.rooms],
    ['--publish', options.publish],
  ] as const) {
    const problem = patterns && patternsProblem(patterns)
    if (problem) throw usage(`${flag} ${problem}; use names such as general,team-*.`)
  }
  if (!Number.isFinite(options.ttlSeconds) || options.ttlSeconds <= 0) throw usage('--ttl must be a positive duration such as 90s, 30m, 1h or 7d.')

  let alg: TokenAlgorithm = 'HS256'
  let key: Uint8Array | KeyObject
  if (options.secret === undefined) {
    try {
      key = createPrivateKey(options.privateKeyPem!)
    } catch (error) {
      throw usage(`The key is not a PEM private key (${(error as Error).message}); pass an RSA or P-256 private key with --key.`)
    }
    alg = algorithmOf(key, 'private')
  } else {
    key = new TextEncoder().encode(options.secret)
  }
  const now = Math.floor((options.now ?? Date.now()) / 1000)
  const exp = now + Math.ceil(options.ttlSeconds)
  const claims: Record<string, unknown> = {}
  if (options.name !== undefined) claims.name = options.name
  if (options.rooms) claims.rooms = options.rooms
  if (options.publish) claims.publish = options.publish
  const token = await new SignJWT(claims).setProtectedHeader({alg, typ: 'JWT'}).setSubject(options.sub).setIssuedAt(now).setExpirationTime(exp).sign(key)
  return {
    token,
    alg,
    sub: options.sub,
    ...(options.name === undefined ? {} : {name: options.name}),
    ...(options.rooms ? {rooms: options.rooms} : {}),
    ...(options.publish ? {publish: options.publish} : {}),
    exp,
  }
}

/** The text of a PEM file, or a ChatddsError (exit 2) naming the flag and the file. */
export function readKeyFile(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    throw new ChatddsError(
      'EAUTHKEY',
      `Cannot read ${flag} ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); pass a readable PEM file.`,
      2,
    )
  }
}

/** "general, team-*" → ['general', 'team-*']. */
export function splitPatterns(list: string): string[] {
  return list
    .split(',')
    .map((pattern) => pattern.trim())
    .filter((pattern) => pattern !== '')
}

const DURATION_UNITS: Record<string, number> = {s: 1, m: 60, h: 3600, d: 86_400}

/** "90", "90s", "30m", "1h", "7d" → seconds; undefined when it is none of those. */
export function parseDuration(input: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$/.exec(input)
  if (!match) return undefined
  const seconds = Number(match[1]) * DURATION_UNITS[match[2] || 's']
  return seconds > 0 ? seconds : undefined
}

function patternsProblem(patterns: unknown): string | undefined {
  if (!Array.isArray(patterns)) return 'must be a list of room patterns'
  const list = patterns as unknown[]
  if (list.length > MAX_PATTERNS) return `must list at most ${MAX_PATTERNS} room patterns`
  const bad = list.find((pattern) => !validName(pattern, MAX_ROOM_LENGTH))
  return bad === undefined ? undefined : `must list room patterns of 1 to ${MAX_ROOM_LENGTH} characters (not ${JSON.stringify(bad)})`
}

/** Whether `text` matches `pattern`, `*` standing for any run of characters (no regexp: no backtracking blow-up). */
export function matchPattern(pattern: string, text: string): boolean {
  let p = 0
  let t = 0
  let star = -1
  let resume = 0
  while (t < text.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === text[t]) {
      p++
      t++
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++
      resume = t
    } else if (star >= 0) {
      p = star + 1
      t = ++resume
    } else {
      return false
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++
  return p === pattern.length
}

function identityOf(payload: JWTPayload): Identity {
  const bad = (message: string) => new TokenError('bad_claims', message)
  const {sub, exp} = payload
  const name = payload.name === undefined ? sub : payload.name
  if (typeof sub !== 'string' || sub === '') throw bad('The connect token\'s "sub" claim must be a non-empty string; issue it with the user\'s id.')
  if (!validName(name, MAX_NAME_LENGTH))
    throw bad(`The connect token's name ("name", else "sub") must be a string of 1 to ${MAX_NAME_LENGTH} characters; issue it with a shorter name.`)
  for (const claim of ['rooms', 'publish'] as const) {
    const problem = payload[claim] === undefined ? undefined : patternsProblem(payload[claim])
    if (problem) throw bad(`The connect token's "${claim}" claim ${problem}; issue a new token.`)
  }
  const rooms = payload.rooms as string[] | undefined
  const publish = (payload.publish as string[] | undefined) ?? rooms
  return {sub, name, expiresAt: (exp as number) * 1000, rooms: new RoomPatterns(rooms), publish: new RoomPatterns(publish)}
}

function algorithmOf(key: KeyObject, kind: 'public' | 'private'): TokenAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return 'RS256'
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256'
  const what = key.asymmetricKeyType === 'ec' ? `an EC key on curve ${key.asymmetricKeyDetails?.namedCurve}` : `of type ${key.asymmetricKeyType}`
  throw new ChatddsError('EAUTHKEY', `The ${kind} key is ${what}; use an RSA key (RS256) or an EC P-256 key (ES256).`, 2)
}

function tokenError(error: unknown): TokenError {
  if (error instanceof TokenError) return error
  if (error instanceof errors.JWTExpired) {
    const exp = typeof error.payload.exp === 'number' ? new Date(error.payload.exp * 1000).toISOString() : 'an earlier time'
    return new TokenError('expired', `The connect token expired at ${exp}; get a new one and connect again.`)
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return new TokenError('bad_signature', "The connect token's signature does not verify with this server's key; sign it with the server's key.")
  if (error instanceof errors.JOSEAlgNotAllowed)
    return new TokenError('wrong_algorithm', "The connect token is signed with an algorithm this server does not accept; sign it with the server's key.")
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return new TokenError('bad_claims', `The connect token has no "${error.claim}" claim; issue it with "sub" and "exp".`)
    return new TokenError('bad_claims', `The connect token's "${error.claim}" claim is not valid (${error.message}); issue a new one.`)
  }
  if (error instanceof errors.JOSEError)
    return new TokenError('malformed', `The connect token could not be read (${error.message}); pass the token exactly as it was issued.`)
  return new TokenError('malformed', `The connect token could not be checked (${(error as Error).message}).`)
}
