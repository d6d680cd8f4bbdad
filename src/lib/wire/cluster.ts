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
  /** Messages per room the asker keeps: no answer holds more. */
  depth?: number
  /** Participants (GUID prefixes) that already finished answering this nonce. */
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

/** Sequence numbers `lo <= seq <= hi` of one writer (both ends included). */
export type SeqRange = [lo: number, hi: number]

/** An instance missed samples of `writer` (a stall, a partition): whoever holds them sends them. */
export interface RepairRequest {
  type: 'repair-request'
  /** The asking instance's name (for log lines; the participant that wrote the sample is who gets the answer). */
  from: string
  nonce: string
  attempt: number
  writer: string
  ranges: SeqRange[]
}

/** Samples of `writer` that a peer holds, out of the ranges asked for. */
export interface RepairAnswer {
  type: 'repair'
  /** The asking participant (GUID prefix). */
  to: string
  from: string
  nonce: string
  writer: string
  /** Valid entries of `writer` only. */
  messages: HistoryEntry[]
}

/** A peer sent everything it holds of a repair request (`sent` entries). */
export interface RepairEnd {
  type: 'repair-end'
  to: string
  from: string
  nonce: string
  attempt: number
  writer: string
  sent: number
}

/** The highest sequence number an instance's own writer has written: how peers learn what they missed at the end. */
export interface WriterSync {
  type: 'sync'
  from: string
  writer: string
  seq: number
}

/** An instance that dropped a peer (lease expired) and sees it again asks it for its presence snapshot anew. */
export interface PresenceRequest {
  type: 'presence-request'
  from: string
  /** The participant (GUID prefix) asked. */
  to: string
}

export type HistoryFrame = HistoryRequest | HistoryAnswer | HistoryEnd | RepairRequest | RepairAnswer | RepairEnd | WriterSync | PresenceRequest

/** Bounds on what a repair request may ask for, checked by the parser. */
export const REPAIR_LIMITS = {
  /** Ranges in one request. */
  maxRanges: 64,
  /** Sequence numbers asked for in one request, all ranges together. */
  maxSeqs: 100_000,
}

/** One instance's membership, as it publishes it. */
export interface PresenceSnapshot {
  instance: string
  /** The publishing participant (GUID prefix), which must be the sample's writer's. */
  participant?: string
  /** A `ws://` or `wss://` URL. */
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
  for (const [writer, span] of Object.entries(coverage as Record<string, unknown>)) {
    if (!Array.isArray(span) || span.length !== 2) continue
    const [lo, hi] = span as unknown[]
    if (Number.isSafeInteger(lo) && Number.isSafeInteger(hi) && (lo as number) <= (hi as number)) spans.set(writer, {lo: lo as number, hi: hi as number})
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
        ...(Number.isSafeInteger(frame.depth) && (frame.depth as number) >= 0 ? {depth: frame.depth as number} : {}),
        answered: Array.isArray(answered) ? answered.filter((name): name is string => typeof name === 'string') : [],
      }
    }
    case 'history': {
      const {to, from, nonce, room, messages} = frame
      if (typeof room !== 'string' || !Array.isArray(messages) || typeof to !== 'string' || typeof nonce !== 'string') return null
      return {
        type: 'history',
        to,
        from: typeof from === 'string' ? from : '',
        nonce,
        room,
        coverage: parseSpans(frame.coverage),
        messages: messages.filter(validEntry),
      }
    }
    case 'repair-request': {
      const {from, nonce, attempt, writer, ranges} = frame
      if (typeof from !== 'string' || typeof nonce !== 'string' || typeof writer !== 'string' || writer.length === 0) return null
      const parsed = parseRanges(ranges)
      if (!parsed) return null
      return {type: 'repair-request', from, nonce, attempt: typeof attempt === 'number' ? attempt : 1, writer, ranges: parsed}
    }
    case 'repair': {
      const {to, from, nonce, writer, messages} = frame
      if (typeof to !== 'string' || typeof nonce !== 'string' || typeof writer !== 'string' || !Array.isArray(messages)) return null
      return {
        type: 'repair',
        to,
        from: typeof from === 'string' ? from : '',
        nonce,
        writer,
        messages: messages.filter((m): m is HistoryEntry => validEntry(m) && m.writer === writer),
      }
    }
    case 'repair-end': {
      const {to, from, nonce, attempt, writer, sent} = frame
      if (typeof to !== 'string' || typeof nonce !== 'string' || typeof writer !== 'string') return null
      return {
        type: 'repair-end',
        to,
        from: typeof from === 'string' ? from : '',
        nonce,
        attempt: typeof attempt === 'number' ? attempt : 1,
        writer,
        sent: typeof sent === 'number' ? sent : 0,
      }
    }
    case 'sync': {
      const {from, writer, seq} = frame
      if (typeof writer !== 'string' || writer.length === 0 || !Number.isSafeInteger(seq) || (seq as number) < 0) return null
      return {type: 'sync', from: typeof from === 'string' ? from : '', writer, seq: seq as number}
    }
    case 'presence-request':
      if (typeof frame.to !== 'string') return null
      return {type: 'presence-request', from: typeof frame.from === 'string' ? frame.from : '', to: frame.to}
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

/** Ranges `[[lo, hi], …]` with `0 <= lo <= hi`, within REPAIR_LIMITS; undefined otherwise. */
function parseRanges(ranges: unknown): SeqRange[] | undefined {
  if (!Array.isArray(ranges) || ranges.length === 0 || ranges.length > REPAIR_LIMITS.maxRanges) return undefined
  const out: SeqRange[] = []
  let total = 0
  for (const range of ranges) {
    if (!Array.isArray(range) || range.length !== 2) return undefined
    const [lo, hi] = range as unknown[]
    if (typeof lo !== 'number' || typeof hi !== 'number' || !Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo < 0 || hi < lo) return undefined
    total += hi - lo + 1
    if (total > REPAIR_LIMITS.maxSeqs) return undefined
    out.push([lo, hi])
  }
  return out
}

export function encodeRepairRequest(request: Omit<RepairRequest, 'type'>): string {
  return JSON.stringify({type: 'repair-request', from: request.from, nonce: request.nonce, attempt: request.attempt, writer: request.writer, ranges: request.ranges})
}

/** The start of a repair answer sample, up to the opening of its `messages` array (see historyAnswerHead). */
export function repairAnswerHead(answer: {to: string; from: string; nonce: string; writer: string}): string {
  return JSON.stringify({type: 'repair', to: answer.to, from: answer.from, nonce: answer.nonce, writer: answer.writer}).slice(0, -1) + ',"messages":['
}

export function encodeRepairEnd(end: Omit<RepairEnd, 'type'>): string {
  return JSON.stringify({type: 'repair-end', to: end.to, from: end.from, nonce: end.nonce, attempt: end.attempt, writer: end.writer, sent: end.sent})
}

export function encodePresenceRequest(request: Omit<PresenceRequest, 'type'>): string {
  return JSON.stringify({type: 'presence-request', from: request.from, to: request.to})
}

export function encodeWriterSync(sync: Omit<WriterSync, 'type'>): string {
  return JSON.stringify({type: 'sync', from: sync.from, writer: sync.writer, seq: sync.seq})
}

export function encodeHistoryRequest(request: Omit<HistoryRequest, 'type'>): string {
  return JSON.stringify({
    type: 'history-request',
    from: request.from,
    nonce: request.nonce,
    attempt: request.attempt,
    depth: request.depth,
    answered: request.answered,
  })
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
  const {instance, participant, url, rooms} = value
  if (!validName(instance, MAX_NAME_LENGTH) || typeof url !== 'string' || !/^wss?:\/\/[^\s/]+\/\S*$/.test(url) || url.length > 512) return undefined
  if (participant !== undefined && typeof participant !== 'string') return undefined
  if (typeof rooms !== 'object' || rooms === null || Array.isArray(rooms)) return undefined
  const out: PresenceSnapshot = {instance, ...(participant === undefined ? {} : {participant}), url, rooms: new Map()}
  for (const [room, names] of Object.entries(rooms)) {
    if (!validName(room, MAX_ROOM_LENGTH) || !Array.isArray(names)) return undefined
    const valid = names.filter((name): name is string => validName(name, MAX_NAME_LENGTH))
    if (valid.length > 0) out.rooms.set(room, new Set(valid))
  }
  return out
}

export function encodePresenceSnapshot(snapshot: {instance: string; participant: string; url: string; rooms: Record<string, string[]>}): string {
  return JSON.stringify({instance: snapshot.instance, participant: snapshot.participant, url: snapshot.url, rooms: snapshot.rooms})
}
