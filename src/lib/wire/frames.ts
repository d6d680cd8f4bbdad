/**
 * Every chatdds.v1 frame (docs/protocol.md), both directions: the types, the server's validation of
 * what clients send, the builders of what the server sends, and the client's reading of them. The
 * server, the client library, the browser page's contract and the tests' fake server all use this.
 */
import {parseCursor, type Cursor, type CursorMap} from './ids.js'
import type {StoredMessage} from './message.js'

export const SUBPROTOCOL = 'chatdds.v1'

/** Websocket close codes (RFC 6455 §7.4.1). */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  UNSUPPORTED_DATA: 1003,
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  /** The connect token expired while connected (application range, 4000-4999). */
  TOKEN_EXPIRED: 4001,
} as const

export type ErrorCode = 'bad_json' | 'bad_request' | 'unknown_type' | 'rate_limited' | 'busy' | 'too_large' | 'too_many_rooms' | 'forbidden'

export type Ref = string | number

export const MAX_ROOM_LENGTH = 128
export const MAX_NAME_LENGTH = 64
const MAX_REF_LENGTH = 128

// ---- Client → server ----

export type Request =
  | {type: 'hello'; name: string; ref?: Ref}
  | {type: 'join'; room: string; history?: number; since?: CursorMap; ref?: Ref}
  | {type: 'leave'; room: string; ref?: Ref}
  | {type: 'send'; room: string; text: string; ref?: Ref}
  | {type: 'presence'; room: string; ref?: Ref}
  | {type: 'ping'; ref?: Ref}

/** A request as a client writes it: `since` is a message id or a cursor object. */
export type OutgoingRequest = Exclude<Request, {type: 'join'}> | {type: 'join'; room: string; history?: number; since?: Cursor | string; ref?: Ref}

export interface RequestError {
  code: ErrorCode
  message: string
  ref?: Ref
}

export type ParseResult = {ok: true; request: Request} | ({ok: false} & RequestError)

const isRef = (ref: unknown): ref is Ref => (typeof ref === 'string' && ref.length <= MAX_REF_LENGTH) || (typeof ref === 'number' && Number.isFinite(ref))

/** A name or room: a non-empty string of at most `max` characters. */
export function validName(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max
}

/** Parses one text frame of a chatdds.v1 client. Never throws. */
export function parseRequest(text: string): ParseResult {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return {ok: false, code: 'bad_json', message: 'The frame is not valid JSON; send one JSON object per text frame.'}
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {ok: false, code: 'bad_request', message: 'The frame must be a JSON object with a "type".'}
  }
  const frame = value as Record<string, unknown>
  if (frame.ref !== undefined && !isRef(frame.ref)) {
    return {ok: false, code: 'bad_request', message: `"ref" must be a string of at most ${MAX_REF_LENGTH} characters or a number.`}
  }
  const ref = frame.ref
  const bad = (message: string): ParseResult => ({ok: false, code: 'bad_request', message, ref})
  const withRef = <T extends object>(request: T) => (ref === undefined ? request : {...request, ref})
  const roomProblem = () =>
    validName(frame.room, MAX_ROOM_LENGTH) ? undefined : `"${String(frame.type)}" needs "room", a string of 1 to ${MAX_ROOM_LENGTH} characters.`

  switch (frame.type) {
    case 'hello': {
      if (!validName(frame.name, MAX_NAME_LENGTH)) return bad(`"hello" needs "name", a string of 1 to ${MAX_NAME_LENGTH} characters.`)
      return {ok: true, request: withRef({type: 'hello' as const, name: frame.name})}
    }
    case 'join': {
      const problem = roomProblem()
      if (problem) return bad(problem)
      const {history} = frame
      if (history !== undefined && !(typeof history === 'number' && Number.isSafeInteger(history) && history >= 0)) {
        return bad('"history" must be a non-negative integer.')
      }
      let since: CursorMap | undefined
      if (frame.since !== undefined && frame.since !== null) {
        since = parseCursor(frame.since)
        if (!since) return bad('"since" must be a message id "<writer>:<seq>" or an object {"<writer>": seq}.')
      }
      return {
        ok: true,
        request: withRef({type: 'join' as const, room: frame.room as string, ...(history === undefined ? {} : {history}), ...(since ? {since} : {})}),
      }
    }
    case 'leave':
    case 'presence': {
      const problem = roomProblem()
      if (problem) return bad(problem)
      return {ok: true, request: withRef({type: frame.type, room: frame.room as string})}
    }
    case 'send': {
      const problem = roomProblem()
      if (problem) return bad(problem)
      if (typeof frame.text !== 'string') return bad('"send" needs "text", a string.')
      return {ok: true, request: withRef({type: 'send' as const, room: frame.room as string, text: frame.text})}
    }
    case 'ping':
      return {ok: true, request: withRef({type: 'ping' as const})}
    case undefined:
      return bad('The frame needs a "type" (hello, join, leave, send, presence or ping).')
    default:
      return {
        ok: false,
        code: 'unknown_type',
        message: `Unknown frame type ${JSON.stringify(frame.type)}; use hello, join, leave, send, presence or ping.`,
        ref,
      }
  }
}

// ---- Server → client ----

/** A member of a room somewhere in the cluster. */
export interface Member {
  name: string
  instance: string
}

/** An instance of the cluster, as clients dial it. */
export interface InstanceInfo {
  name: string
  url: string
}

export interface HelloFrame {
  type: 'hello'
  protocol: typeof SUBPROTOCOL
  instance: string
  /** The name this connection has. */
  name: string
  maxPayload: number
  /** Every instance of the cluster known through presence, this one included, sorted by name. */
  instances: InstanceInfo[]
  ref?: Ref
}

export interface MessageFrame {
  type: 'message'
  /** `<writer guid hex>:<seq>`, the same at every instance. */
  id: string
  room: string
  /** null for plain (non-chatdds) messages. */
  from: string | null
  text: string
  ts: number
  /** Instance that wrote it; null for plain messages. */
  origin: string | null
  /** True for history / resume replays sent right after `joined`. */
  replay?: true
  ref?: undefined
}

export interface JoinedFrame {
  type: 'joined'
  room: string
  ref?: Ref
  /** False when the cursor named messages older than the instance still holds: a gap may exist. */
  recovered: boolean
  replayed: number
  /** The room's members across the cluster, the joining client included. */
  members: Member[]
}

export interface LeftFrame {
  type: 'left'
  room: string
  ref?: Ref
}

export interface AckFrame {
  type: 'ack'
  ref?: Ref
  id: string
  ts: number
}

export interface PresenceFrame {
  type: 'presence'
  room: string
  ref?: Ref
  members: Member[]
}

export interface PresenceChangeFrame {
  type: 'presence-change'
  room: string
  change: 'join' | 'leave'
  name: string
  instance: string
  ref?: undefined
}

export interface PongFrame {
  type: 'pong'
  ref?: Ref
}

export interface ErrorFrame {
  type: 'error'
  code: ErrorCode
  message: string
  ref?: Ref
}

/**
 * Messages of `writer` in `room` that this instance could not obtain from any peer (a stall or
 * partition longer than what the cluster keeps): `missing` of them, sequence numbers `from`..`to`.
 */
export interface GapFrame {
  type: 'gap'
  room: string
  writer: string
  missing: number
  from: number
  to: number
  ref?: undefined
}

export type ServerFrame = HelloFrame | MessageFrame | JoinedFrame | LeftFrame | AckFrame | PresenceFrame | PresenceChangeFrame | GapFrame | PongFrame | ErrorFrame

export type ServerFrameType = ServerFrame['type']

const SERVER_FRAME_TYPES: ReadonlySet<string> = new Set<ServerFrameType>([
  'hello',
  'message',
  'joined',
  'left',
  'ack',
  'presence',
  'presence-change',
  'gap',
  'pong',
  'error',
])

/** `{ref}` when there is one, for spreading into a reply. */
export function refOf(ref: Ref | undefined): {ref?: Ref} {
  return ref === undefined ? {} : {ref}
}

export function messageFrame(message: StoredMessage, replay = false): MessageFrame {
  const {id, room, from, text, ts, origin} = message
  const frame: MessageFrame = {type: 'message', id, room, from, text, ts, origin}
  if (replay) frame.replay = true
  return frame
}

export function errorFrame(code: ErrorCode, message: string, ref?: Ref): ErrorFrame {
  return {type: 'error', code, message, ...refOf(ref)}
}

/** The JSON text of a frame, as it goes on the wire. */
export function encodeFrame(frame: ServerFrame): string {
  return JSON.stringify(frame)
}

/**
 * Reads one text frame from a server. A server frame type (messages with the fields a client relies
 * on) gives the frame; a JSON object with another string `type` gives null (a newer server's frame:
 * ignore it); anything else undefined (not chatdds.v1). Never throws.
 */
export function parseServerFrame(text: string): ServerFrame | null | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const frame = value as Record<string, unknown>
  if (typeof frame.type !== 'string') return undefined
  if (!SERVER_FRAME_TYPES.has(frame.type)) return null
  if (frame.type === 'message' && (typeof frame.id !== 'string' || typeof frame.room !== 'string' || typeof frame.text !== 'string')) return undefined
  return frame as unknown as ServerFrame
}

/** The fields of a message that `tail --json` prints, one object per line. */
export function messageRecord(m: MessageFrame): Pick<MessageFrame, 'id' | 'room' | 'from' | 'text' | 'ts' | 'origin'> {
  return {id: m.id, room: m.room, from: m.from ?? null, text: m.text, ts: m.ts, origin: m.origin ?? null}
}
