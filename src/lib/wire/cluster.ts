/**
 * The frames instances exchange on the two auxiliary DDS topics (docs/protocol.md, "Cluster-wide
 * state"): history requests and answers on `chatdds History`, membership snapshots on `chatdds
 * Presence`. Everything here comes from other participants: parsed, validated, never trusted.
 */
import {MAX_NAME_LENGTH, MAX_ROOM_LENGTH, validName} from './frames.js'
import {messageId} from './ids.js'
import type {SampleFields} from './message.js'

/** Sequence numbers `lo < seq <= hi` of one writer of which every sample of a room is held (or was). */
export interface Span {
  lo: number
  hi: number
}

export interface HistoryRequest {
  type: 'history-request'
  /** The asking instance's name. */
  from: string
  nonce: string
  attempt: number
  /** Instances that already finished answering this nonce. */
  answered: string[]
}

/** One held message of a history answer: the sample as it was written. */
export type HistoryEntry = SampleFields

export interface HistoryAnswer {
  type: 'history'
  to: string
  from: string
  nonce: string
  room: string
  /** Valid spans only; invalid ones are left out. */
  coverage: Map<string, Span>
  /** Valid entries only; invalid ones are left out. */
  messages: HistoryEntry[]
}

export interface HistoryEnd {
  type: 'history-end'
  to: unknown
  /** The answering instance's name, when it gave a string. */
  from?: string
  nonce: unknown
  rooms?: number
  messages?: number
}

export type HistoryFrame = HistoryRequest | HistoryAnswer | HistoryEnd

/** One instance's membership, as it publishes it. */
export interface PresenceSnapshot {
  instance: string
  url: string
  /** room → names */
  rooms: Map<string, Set<string>>
}

function parseObject(text: string): Record<string, unknown> | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
}

export function validEntry(entry: unknown): entry is HistoryEntry {
  if (typeof entry !== 'object' || entry === null) return false
  const e = entry as Record<string, unknown>
  return (
    typeof e.id === 'string' &&
    typeof e.writer === 'string' &&
    Number.isSafeInteger(e.seq) &&
    e.id === messageId(e.writer, e.seq as number) &&
    typeof e.message === 'string' &&
    Number.isFinite(e.sourceTimestamp)
  )
}

function parseSpans(coverage: unknown): Map<string, Span> {
  const spans = new Map<string, Span>()
  if (typeof coverage !== 'object' || coverage === null) return spans
  for (const [writer, span] of Object.entries(coverage)) {
    if (Array.isArray(span) && span.length === 2 && span.every((n) => Number.isSafeInteger(n)) && span[0] <= span[1]) spans.set(writer, {lo: span[0], hi: span[1]})
  }
  return spans
}

/**
 * Reads a `chatdds History` sample. Undefined when it is not a JSON object; a frame of a type this
 * instance does not act on, or a request or answer without the fields it needs, gives null.
 */
export function parseHistoryFrame(text: string): HistoryFrame | null | undefined {
  const frame = parseObject(text)
  if (!frame) return undefined
  switch (frame.type) {
    case 'history-request': {
      const {from, nonce, attempt, answered} = frame
      if (typeof from !== 'string' || typeof nonce !== 'string') return null
      return {
        type: 'history-request',
        from,
        nonce,
        attempt: typeof attempt === 'number' ? attempt : 1,
        answered: Array.isArray(answered) ? answered.filter((name): name is string => typeof name === 'string') : [],
      }
    }
    case 'history': {
      const {to, from, nonce, room, messages} = frame
      if (typeof room !== 'string' || !Array.isArray(messages) || typeof to !== 'string' || typeof nonce !== 'string') return null
      return {type: 'history', to, from: typeof from === 'string' ? from : '', nonce, room, coverage: parseSpans(frame.coverage), messages: messages.filter(validEntry)}
    }
    case 'history-end':
      return {
        type: 'history-end',
        to: frame.to,
        nonce: frame.nonce,
        ...(typeof frame.from === 'string' ? {from: frame.from} : {}),
        ...(typeof frame.rooms === 'number' ? {rooms: frame.rooms} : {}),
        ...(typeof frame.messages === 'number' ? {messages: frame.messages} : {}),
      }
    default:
      return null
  }
}

export function encodeHistoryRequest(request: Omit<HistoryRequest, 'type'>): string {
  return JSON.stringify({type: 'history-request', from: request.from, nonce: request.nonce, attempt: request.attempt, answered: request.answered})
}

export function encodeHistoryEnd(end: {to: string; from: string; nonce: string; rooms: number; messages: number}): string {
  return JSON.stringify({type: 'history-end', ...end})
}

/**
 * The start of a history answer sample, up to the opening of its `messages` array: the entries
 * (each `encodeHistoryEntry`, comma-separated) and `]}` complete it.
 */
export function historyAnswerHead(answer: {to: string; from: string; nonce: string; room: string; coverage: Map<string, Span>}): string {
  const spans = Object.fromEntries([...answer.coverage].map(([writer, span]) => [writer, [span.lo, span.hi]]))
  return JSON.stringify({type: 'history', to: answer.to, from: answer.from, nonce: answer.nonce, room: answer.room, coverage: spans}).slice(0, -1) + ',"messages":['
}

export function encodeHistoryEntry(entry: HistoryEntry): string {
  return JSON.stringify({id: entry.id, writer: entry.writer, seq: entry.seq, message: entry.message, sourceTimestamp: entry.sourceTimestamp})
}

/** Reads a `chatdds Presence` sample; undefined when it is not a snapshot. Invalid names are left out. */
export function parsePresenceSnapshot(text: string): PresenceSnapshot | undefined {
  const value = parseObject(text)
  if (!value) return undefined
  const {instance, url, rooms} = value
  if (typeof instance !== 'string' || instance.length === 0 || typeof url !== 'string') return undefined
  if (typeof rooms !== 'object' || rooms === null || Array.isArray(rooms)) return undefined
  const out: PresenceSnapshot = {instance, url, rooms: new Map()}
  for (const [room, names] of Object.entries(rooms)) {
    if (!validName(room, MAX_ROOM_LENGTH) || !Array.isArray(names)) return undefined
    const valid = names.filter((name): name is string => validName(name, MAX_NAME_LENGTH))
    if (valid.length > 0) out.rooms.set(room, new Set(valid))
  }
  return out
}

export function encodePresenceSnapshot(snapshot: {instance: string; url: string; rooms: Record<string, string[]>}): string {
  return JSON.stringify({instance: snapshot.instance, url: snapshot.url, rooms: snapshot.rooms})
}
