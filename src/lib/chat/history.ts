/**
 * Per-room memory of the last N messages, for history on join and resume after reconnect, and what
 * this instance can vouch for: per writer, the span of sequence numbers it saw every sample of.
 */

import type {CursorMap, Span, StoredMessage} from '../wire/index.js'

export type {Span} from '../wire/index.js'

export interface LookupOptions {
  /** Replay only messages newer than this cursor for their writer (writers not in it: everything held). */
  since?: CursorMap
  /** At most this many (the newest). Without `since` the default is 0; with it, everything that matches. */
  limit?: number
}

export interface LookupResult {
  /** Oldest first. */
  messages: StoredMessage[]
  /** False when messages the cursor asks for may be missing here (evicted, never seen, or cut by `limit`). */
  recovered: boolean
}

/** What one room holds and can vouch for, as a peer hands it over. */
export interface RoomSnapshot {
  messages: StoredMessage[]
  coverage: Map<string, Span>
}

/** Writers whose coverage is remembered; past it the one heard of longest ago is forgotten. */
const MAX_WRITERS = 10_000

/**
 * A room's newest messages in one order that every instance agrees on, whatever order they arrived
 * in (a repair after a partition brings older messages late): by timestamp, then writer, then
 * sequence number. Live messages almost always go at the end.
 */
class Timeline {
  private items: StoredMessage[] = []

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.items.length
  }

  /** Inserts in order; returns the message pushed out (the oldest, maybe this one), if any. */
  push(message: StoredMessage): StoredMessage | undefined {
    if (this.capacity === 0) return message
    const {items} = this
    if (items.length === 0 || !before(message, items[items.length - 1])) items.push(message)
    else {
      let lo = 0
      let hi = items.length
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if (before(items[mid], message)) lo = mid + 1
        else hi = mid
      }
      items.splice(lo, 0, message)
    }
    return items.length > this.capacity ? items.shift() : undefined
  }

  /** Replaces the content (at most `capacity` messages, already in order). */
  replace(messages: StoredMessage[]): void {
    this.items = messages.slice()
  }

  toArray(): StoredMessage[] {
    return this.items.slice()
  }
}

interface Room {
  ring: Timeline
  /** Writer → highest sequence number pushed out of this room. */
  evicted: Map<string, number>
  /** Writer → what peers vouched for in this room (history hand-over). */
  handed: Map<string, Span>
}

export class History {
  private readonly rooms = new Map<string, Room>()
  /** Id → room of every message held, to tell a repeat from news. */
  private readonly held = new Map<string, string>()
  /** Writer → the samples of it this instance read live, with no gap (every room). */
  private readonly live = new Map<string, Span>()
  /** Writer → highest sequence number of a room forgotten past maxRooms (it may have held anything up to it). */
  private readonly forgotten = new Map<string, number>()

  /**
   * @param depth messages kept per room (`--history`)
   * @param maxRooms rooms remembered; past it the room created longest ago is forgotten
   */
  constructor(
    readonly depth: number,
    private readonly maxRooms = 10_000,
  ) {
    if (!Number.isInteger(depth) || depth < 0) throw new RangeError('history depth must be a non-negative integer')
  }

  /**
   * A message read live from DDS: held in its room unless it is already (handed over by a peer).
   * Returns false for a message already held: do not deliver it again.
   */
  add(message: StoredMessage): boolean {
    this.noteLive(message.writer, message.seq)
    if (this.held.has(message.id)) return false
    const room = this.room(message.room)
    this.held.set(message.id, message.room)
    this.dropped(room, room.ring.push(message))
    return true
  }

  has(id: string): boolean {
    return this.held.has(id)
  }

  /** Number of messages held for `room`. */
  size(room: string): number {
    return this.rooms.get(room)?.ring.size ?? 0
  }

  /** Rooms that hold messages. */
  roomNames(): string[] {
    return [...this.rooms.keys()].filter((name) => this.size(name) > 0)
  }

  /** Messages held in every room. */
  get count(): number {
    return this.held.size
  }

  lookup(room: string, options: LookupOptions = {}): LookupResult {
    const all = this.rooms.get(room)?.ring.toArray() ?? []
    const {since} = options
    if (!since) {
      const limit = Math.max(0, options.limit ?? 0)
      return {messages: limit === 0 ? [] : all.slice(-limit), recovered: true}
    }
    let recovered = true
    for (const [writer, seq] of since) {
      const span = this.coverage(room, writer)
      if (!span || seq < span.lo) recovered = false
    }
    let messages = all.filter((m) => {
      const seen = since.get(m.writer)
      return seen === undefined || m.seq > seen
    })
    if (options.limit !== undefined && messages.length > options.limit) {
      messages = options.limit <= 0 ? [] : messages.slice(-options.limit)
      recovered = false
    }
    return {messages, recovered}
  }

  /** The span of `writer`'s samples whose messages of `room` this instance holds or held; undefined when it cannot vouch for any. */
  coverage(room: string, writer: string): Span | undefined {
    const state = this.rooms.get(room)
    const live = this.live.get(writer)
    const handed = state?.handed.get(writer)
    let span: Span | undefined
    if (live && handed) span = handed.hi >= live.lo ? {lo: Math.min(handed.lo, live.lo), hi: Math.max(handed.hi, live.hi)} : live
    else span = live ?? handed
    if (!span) return undefined
    const evicted = Math.max(state?.evicted.get(writer) ?? -1, this.forgotten.get(writer) ?? -1)
    return evicted > span.lo ? {lo: evicted, hi: Math.max(evicted, span.hi)} : span
  }

  /** What `room` holds, oldest first, and every writer span it can vouch for: the history hand-over answer. */
  snapshot(room: string): RoomSnapshot {
    const state = this.rooms.get(room)
    const messages = state?.ring.toArray() ?? []
    const writers = new Set([...this.live.keys(), ...(state?.handed.keys() ?? []), ...messages.map((m) => m.writer)])
    const coverage = new Map<string, Span>()
    for (const writer of writers) {
      const span = this.coverage(room, writer)
      if (span) coverage.set(writer, span)
    }
    return {messages, coverage}
  }

  /**
   * Merges what a peer handed over for `room`: by id (no duplicates), in a consistent order (each
   * writer's messages by sequence number, writers interleaved by timestamp, then writer id), keeping
   * the newest `depth`. Returns how many messages were new.
   */
  merge(room: string, messages: StoredMessage[], coverage: Map<string, Span> = new Map()): number {
    const state = this.room(room)
    const byId = new Map(state.ring.toArray().map((m) => [m.id, m]))
    let added = 0
    for (const message of messages) {
      if (message.room !== room || byId.has(message.id) || this.held.has(message.id)) continue
      byId.set(message.id, message)
      added++
    }
    for (const [writer, span] of coverage) {
      const mine = state.handed.get(writer)
      state.handed.set(writer, mine ? union(mine, span) : {...span})
    }
    if (added === 0) return 0
    const merged = mergeByWriter([...byId.values()])
    const keep = merged.slice(Math.max(0, merged.length - this.depth))
    for (const message of merged.slice(0, merged.length - keep.length)) this.dropped(state, message)
    for (const message of keep) this.held.set(message.id, room)
    state.ring.replace(keep)
    return added
  }

  private room(name: string): Room {
    let room = this.rooms.get(name)
    if (!room) {
      if (this.rooms.size >= this.maxRooms) this.forget(this.rooms.keys().next().value!)
      room = {ring: new Timeline(this.depth), evicted: new Map(), handed: new Map()}
      this.rooms.set(name, room)
    }
    return room
  }

  private forget(name: string): void {
    const room = this.rooms.get(name)!
    this.rooms.delete(name)
    for (const message of room.ring.toArray()) {
      this.held.delete(message.id)
      this.forgotten.set(message.writer, Math.max(this.forgotten.get(message.writer) ?? -1, message.seq))
    }
    for (const [writer, seq] of room.evicted) this.forgotten.set(writer, Math.max(this.forgotten.get(writer) ?? -1, seq))
  }

  private dropped(room: Room, message: StoredMessage | undefined): void {
    if (!message) return
    if (this.held.get(message.id) !== undefined) this.held.delete(message.id)
    const previous = room.evicted.get(message.writer) ?? -1
    if (message.seq > previous) room.evicted.set(message.writer, message.seq)
  }

  /** Live samples of one writer arrive in sequence order with no gap; a jump means samples were missed. */
  private noteLive(writer: string, seq: number): void {
    const span = this.live.get(writer)
    if (!span) {
      if (this.live.size >= MAX_WRITERS) this.live.delete(this.live.keys().next().value!)
      this.live.set(writer, {lo: seq - 1, hi: seq})
    } else if (seq === span.hi + 1) span.hi = seq
    else if (seq > span.hi + 1) this.live.set(writer, {lo: seq - 1, hi: seq})
  }
}

/** Two spans of one writer as one: their union when they touch, else the newer. */
function union(a: Span, b: Span): Span {
  if (a.hi >= b.lo && b.hi >= a.lo) return {lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi)}
  return a.hi >= b.hi ? a : {...b}
}

/** Each writer's messages by sequence number; between writers, the earliest timestamp first (then writer id). */
function mergeByWriter(messages: StoredMessage[]): StoredMessage[] {
  const queues = new Map<string, StoredMessage[]>()
  for (const message of messages) {
    let queue = queues.get(message.writer)
    if (!queue) queues.set(message.writer, (queue = []))
    queue.push(message)
  }
  const heads = [...queues.values()].map((queue) => ({queue: queue.sort((a, b) => a.seq - b.seq), next: 0}))
  const out: StoredMessage[] = []
  for (;;) {
    let best: (typeof heads)[number] | undefined
    for (const head of heads) {
      if (head.next >= head.queue.length) continue
      if (!best || before(head.queue[head.next], best.queue[best.next])) best = head
    }
    if (!best) return out
    out.push(best.queue[best.next++])
  }
}

/** A writer's messages by sequence number whatever their timestamps; between writers by timestamp, then writer id. */
function before(a: StoredMessage, b: StoredMessage): boolean {
  if (a.writer === b.writer) return a.seq < b.seq
  if (a.ts !== b.ts) return a.ts < b.ts
  return a.writer < b.writer
}
