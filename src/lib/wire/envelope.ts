/**
 * The chatdds envelope: how a DDS `message` string carries room, sender and time. Any string
 * that is not an envelope is a plain message of room `general` (what the reference servers write).
 */

export const DEFAULT_ROOM = 'general'

/** What a `message` string means, whichever way it was written. */
export interface ChatMessage {
  room: string
  /** Sender name; null for plain messages. */
  from: string | null
  text: string
  /** Sender's send time (ms since the epoch); null for plain messages (the caller uses the DDS timestamp). */
  ts: number | null
  /** Instance that wrote it; null for plain messages. */
  origin: string | null
  /** True when the string was a chatdds envelope. */
  envelope: boolean
}

export interface EnvelopeFields {
  room: string
  from: string | null
  text: string
  ts: number
  origin: string | null
}

/** `{"chatdds":1,"room","from","text","ts","origin"}`, keys always in this order. */
export function encodeEnvelope(fields: EnvelopeFields): string {
  return JSON.stringify({
    chatdds: 1,
    room: fields.room,
    from: fields.from,
    text: fields.text,
    ts: fields.ts,
    origin: fields.origin,
  })
}

/**
 * What a plain client's text is written as. Byte for byte the text itself, unless the text would read
 * as an envelope (another room, sender, origin or time: a forgery): then an envelope that says what it
 * is, a plain message of room `general` with no sender whose text is the whole string (no `ts`, so
 * readers use the DDS timestamp, as for any plain sample).
 */
export function plainSample(text: string): string {
  if (!decodeMessage(text).envelope) return text
  return JSON.stringify({chatdds: 1, room: DEFAULT_ROOM, from: null, text, origin: null})
}

/**
 * Reads a `message` string. A JSON object with `"chatdds": 1`, a non-empty string `room` and a string
 * `text` is an envelope (`from`/`origin` must be strings or absent/null, `ts` a finite number or
 * absent); anything else is a plain message of room `general` whose text is the whole string.
 */
export function decodeMessage(message: string): ChatMessage {
  const plain: ChatMessage = {room: DEFAULT_ROOM, from: null, text: message, ts: null, origin: null, envelope: false}
  // Cheap pre-check: only strings that could be a JSON object are parsed.
  if (!message.trimStart().startsWith('{') || !message.includes('"chatdds"')) return plain
  let value: unknown
  try {
    value = JSON.parse(message)
  } catch {
    return plain
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return plain
  const v = value as Record<string, unknown>
  if (v.chatdds !== 1) return plain
  if (typeof v.room !== 'string' || v.room.length === 0 || typeof v.text !== 'string') return plain
  const optionalString = (x: unknown) => x === undefined || x === null || typeof x === 'string'
  if (!optionalString(v.from) || !optionalString(v.origin)) return plain
  if (v.ts !== undefined && v.ts !== null && !(typeof v.ts === 'number' && Number.isFinite(v.ts))) return plain
  return {
    room: v.room,
    from: v.from ?? null,
    text: v.text,
    ts: v.ts ?? null,
    origin: v.origin ?? null,
    envelope: true,
  }
}
