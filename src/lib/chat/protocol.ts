/** chatdds.v1 requests as the server validates them (docs/protocol.md), and the close codes it uses. */
import {parseCursor, type CursorMap} from './history.js'

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
} as const

export type ErrorCode = 'bad_json' | 'bad_request' | 'unknown_type' | 'rate_limited' | 'busy' | 'too_large'

export type Ref = string | number

export const MAX_ROOM_LENGTH = 128
export const MAX_NAME_LENGTH = 64
const MAX_REF_LENGTH = 128

export type Request =
  | {type: 'hello'; name: string; ref?: Ref}
  | {type: 'join'; room: string; history?: number; since?: CursorMap; ref?: Ref}
  | {type: 'leave'; room: string; ref?: Ref}
  | {type: 'send'; room: string; text: string; ref?: Ref}
  | {type: 'presence'; room: string; ref?: Ref}
  | {type: 'ping'; ref?: Ref}

export interface RequestError {
  code: ErrorCode
  message: string
  ref?: Ref
}

export type ParseResult = {ok: true; request: Request} | ({ok: false} & RequestError)

const isRef = (ref: unknown): ref is Ref =>
  (typeof ref === 'string' && ref.length <= MAX_REF_LENGTH) || (typeof ref === 'number' && Number.isFinite(ref))

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
  const ref = frame.ref as Ref | undefined
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
