/** Per-room memory of the last N messages, for history on join and resume after reconnect. */

export interface StoredMessage {
  /** `<writer>:<seq>`, the DDS sample identity. */
  id: string
  writer: string
  seq: number
  room: string
  from: string | null
  text: string
  ts: number
  origin: string | null
}

/** Writer → last sequence number the client has seen. */
export type CursorMap = Map<string, number>

/**
 * A resume cursor from the wire: one message id `<writer>:<seq>` or `{"<writer>": seq, ...}`.
 * Returns undefined when it is neither.
 */
export function parseCursor(cursor: unknown): CursorMap | undefined {
  if (typeof cursor === 'string') {
    const colon = cursor.lastIndexOf(':')
    if (colon <= 0) return undefined
    const seq = Number(cursor.slice(colon + 1))
    if (!Number.isSafeInteger(seq) || seq < 0) return undefined
    return new Map([[cursor.slice(0, colon), seq]])
  }
  if (typeof cursor === 'object' && cursor !== null && !Array.isArray(cursor)) {
    const map: CursorMap = new Map()
    for (const [writer, seq] of Object.entries(cursor)) {
      if (writer.length === 0 || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return undefined
      map.set(writer, seq)
    }
    return map
  }
  return undefined
}

export interface LookupOptions {
  /** Replay only messages newer than this cursor for their writer (writers not in it: everything held). */
  since?: CursorMap
  /** At most this many (the newest). Without `since` the default is 0; with it, everything that matches. */
  limit?: number
}

export interface LookupResult {
  /** Oldest first. */
  messages: StoredMessage[]
  /** False when messages the cursor asks for are no longer held (a gap may exist). */
  recovered: boolean
}

class Ring {
  private readonly items: (StoredMessage | undefined)[]
  private start = 0
  size = 0
  /** Writer → highest sequence number pushed out of this ring. */
  readonly evicted = new Map<string, number>()

  constructor(private readonly capacity: number) {
    this.items = new Array(capacity)
  }

  push(message: StoredMessage): void {
    if (this.capacity === 0) {
      this.noteEvicted(message)
      return
    }
    if (this.size === this.capacity) {
      this.noteEvicted(this.items[this.start]!)
      this.items[this.start] = message
      this.start = (this.start + 1) % this.capacity
    } else {
      this.items[(this.start + this.size) % this.capacity] = message
      this.size++
    }
  }

  toArray(): StoredMessage[] {
    const out: StoredMessage[] = []
    for (let i = 0; i < this.size; i++) out.push(this.items[(this.start + i) % this.capacity]!)
    return out
  }

  private noteEvicted(message: StoredMessage): void {
    const previous = this.evicted.get(message.writer) ?? -1
    if (message.seq > previous) this.evicted.set(message.writer, message.seq)
  }
}

export class History {
  private readonly rooms = new Map<string, Ring>()

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

  add(message: StoredMessage): void {
    let ring = this.rooms.get(message.room)
    if (!ring) {
      if (this.rooms.size >= this.maxRooms) this.rooms.delete(this.rooms.keys().next().value!)
      ring = new Ring(this.depth)
      this.rooms.set(message.room, ring)
    }
    ring.push(message)
  }

  /** Number of messages held for `room`. */
  size(room: string): number {
    return this.rooms.get(room)?.size ?? 0
  }

  lookup(room: string, options: LookupOptions = {}): LookupResult {
    const ring = this.rooms.get(room)
    if (!ring) return {messages: [], recovered: true}
    const {since} = options
    if (!since) {
      const limit = Math.max(0, options.limit ?? 0)
      const all = ring.toArray()
      return {messages: limit === 0 ? [] : all.slice(-limit), recovered: true}
    }
    let recovered = true
    for (const [writer, seq] of since) {
      const evicted = ring.evicted.get(writer)
      if (evicted !== undefined && evicted > seq) recovered = false
    }
    let messages = ring.toArray().filter((m) => {
      const seen = since.get(m.writer)
      return seen === undefined || m.seq > seen
    })
    if (options.limit !== undefined && messages.length > options.limit) {
      messages = options.limit <= 0 ? [] : messages.slice(-options.limit)
      recovered = false
    }
    return {messages, recovered}
  }
}
