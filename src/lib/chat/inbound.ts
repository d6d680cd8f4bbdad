/**
 * What comes in from DDS (foreign programs' `User Messages` samples, and the instances' messages that
 * the bus took out of their `chatdds Messages` batches: one Sample per message either way), turned into
 * messages delivered once and, per writer, in sequence order. DDS delivers each writer's samples in
 * order; a jump in a writer's sequence numbers
 * means samples were missed (a stall or a partition outlived the lease, and the writer matched this
 * reader again as a new one). The writer's later samples are then held, the missing ones asked of
 * the peers (reconcile.ts), and everything is delivered in order once they arrive — or, if no peer
 * holds them any more, once the gap is declared lost, which the affected clients are told.
 */
import type {Sample} from '../dds/types.js'
import {decodeMessage, sampleMessage, storedMessage, type SampleFields, type SeqRange, type StoredMessage} from '../wire/index.js'
import type {ChatMetrics} from './chatMetrics.js'
import type {History} from './history.js'
import {type Logger, messageForLog, type MessageLog} from './log.js'
import type {RepairStore} from './repairStore.js'

/** Messages of one writer that no peer could provide. */
export interface LostRange {
  writer: string
  from: number
  to: number
  missing: number
  /** Rooms this writer was seen writing to here (the clients to tell). */
  rooms: string[]
}

export interface InboundHooks {
  /** New messages, oldest first, for fan-out. */
  deliver(messages: StoredMessage[]): void
  /** `writer`'s samples in `ranges` are missing here: ask the peers. */
  missing(writer: string, ranges: SeqRange[]): void
  /** A gap was given up on. */
  lost(range: LostRange): void
}

export interface InboundOptions {
  /** A writer holds at most this many samples back behind a gap; past it the gap is given up on. */
  maxHeld?: number
  /** Samples larger than this (bytes of the message string) are dropped, never forwarded. */
  maxSampleBytes: number
}

interface WriterState {
  /** Next sequence number to deliver. */
  next: number
  /** Samples after a gap, by sequence number, waiting for the gap to be filled. */
  held: Map<number, StoredMessage>
  /** Highest sequence number held (next - 1 when none). */
  top: number
  /** Ranges given up on (lo <= hi), skipped when delivery reaches them. */
  lost: SeqRange[]
  /** Highest sequence number the writer's instance said it wrote, and when we heard it. */
  announced?: {seq: number; at: number}
  rooms: Set<string>
}

const MAX_WRITERS = 10_000
const MAX_ROOMS_PER_WRITER = 64
const DEFAULT_MAX_HELD = 50_000

export class Inbound {
  private readonly writers = new Map<string, WriterState>()
  private readonly maxHeld: number

  constructor(
    private readonly history: History,
    private readonly store: RepairStore,
    private readonly metrics: ChatMetrics,
    private readonly logger: Logger,
    private readonly messageLog: MessageLog,
    private readonly hooks: InboundHooks,
    private readonly options: InboundOptions,
  ) {
    this.maxHeld = options.maxHeld ?? DEFAULT_MAX_HELD
  }

  /** Samples read live from DDS. */
  accept(batch: Sample[]): void {
    const out: StoredMessage[] = []
    const now = Date.now()
    for (const sample of batch) {
      this.metrics.samplesRead.inc()
      if (sample.message.length > this.options.maxSampleBytes && Buffer.byteLength(sample.message) > this.options.maxSampleBytes) {
        // Counted as missing, so the writer's later samples are not held back behind it.
        this.metrics.ignoredSamples.inc({topic: 'messages', reason: 'too_large'})
        this.logger.warn(
          `Dropped DDS sample ${sample.id} from ${sample.participantName ?? 'an unnamed participant'}: ${Buffer.byteLength(sample.message)} bytes, over the ${this.options.maxSampleBytes}-byte bound`,
        )
        this.skip(sample.writer, sample.seq, out)
        continue
      }
      const stored = storedMessage(sample, decodeMessage(sample.message))
      this.metrics.latency.observe(Math.max(0, now - stored.ts) / 1000)
      this.take(stored, out, 'live')
    }
    if (out.length > 0) this.hooks.deliver(out)
  }

  /** Samples a peer sent to fill a gap. */
  repaired(entries: SampleFields[]): void {
    const out: StoredMessage[] = []
    for (const entry of entries) this.take(storedMessage(entry), out, 'repair')
    if (out.length > 0) this.hooks.deliver(out)
  }

  /** The writer's instance says it wrote up to `seq`: anything after what we have is missing (once in-flight samples had time to arrive). */
  announced(writer: string, seq: number, now = Date.now()): void {
    const state = this.writers.get(writer)
    if (!state || seq < state.next) return
    if (!state.announced || seq > state.announced.seq) state.announced = {seq, at: now}
  }

  /** What is missing of `writer` now: the holes below its held samples, and the announced tail older than `graceMs`. */
  missing(writer: string, now = Date.now(), graceMs = 0): SeqRange[] {
    const state = this.writers.get(writer)
    if (!state) return []
    const ranges: SeqRange[] = []
    let start: number | undefined
    for (let seq = state.next; seq <= state.top; seq++) {
      const gap = !state.held.has(seq) && !inRanges(state.lost, seq)
      if (gap && start === undefined) start = seq
      if (!gap && start !== undefined) {
        ranges.push([start, seq - 1])
        start = undefined
      }
    }
    if (start !== undefined) ranges.push([start, state.top])
    const tail = state.announced
    if (tail && tail.seq > state.top && now - tail.at >= graceMs) ranges.push([Math.max(state.next, state.top + 1), tail.seq])
    return ranges
  }

  /** Writers with something missing (announced tails older than `graceMs` included). */
  writersMissing(now = Date.now(), graceMs = 0): string[] {
    return [...this.writers.keys()].filter((writer) => this.missing(writer, now, graceMs).length > 0)
  }

  /** No peer holds `ranges` of `writer`: skip them, tell the clients, and deliver what waited behind them. */
  giveUp(writer: string, ranges: SeqRange[]): void {
    const state = this.writers.get(writer)
    if (!state) return
    const out: StoredMessage[] = []
    this.skipLost(writer, state, ranges, out)
    if (out.length > 0) this.hooks.deliver(out)
  }

  private skipLost(writer: string, state: WriterState, ranges: SeqRange[], out: StoredMessage[]): void {
    for (const [lo, hi] of ranges) {
      const from = Math.max(lo, state.next)
      if (hi < from) continue
      let missing = 0
      for (let seq = from; seq <= hi; seq++) if (!state.held.has(seq)) missing++
      if (missing === 0) continue
      state.lost.push([from, hi])
      if (state.announced && state.announced.seq <= hi) state.announced = undefined
      state.top = Math.max(state.top, hi)
      this.metrics.unrecovered.inc(missing)
      this.logger.warn(`Lost ${missing} message${missing === 1 ? '' : 's'} of DDS writer ${writer} (sequence numbers ${from}-${hi}): no peer holds them any more`)
      this.hooks.lost({writer, from, to: hi, missing, rooms: [...state.rooms]})
    }
    this.drain(state, out)
  }

  private take(message: StoredMessage, out: StoredMessage[], how: 'live' | 'repair'): void {
    let state = this.writers.get(message.writer)
    if (!state) {
      // A writer first seen now: what it wrote before is the hand-over's business, not a gap.
      if (how === 'repair') return
      if (this.writers.size >= MAX_WRITERS) this.writers.delete(this.writers.keys().next().value!)
      state = {next: message.seq, held: new Map(), top: message.seq - 1, lost: [], rooms: new Set()}
      this.writers.set(message.writer, state)
    }
    if (message.seq < state.next || state.held.has(message.seq)) {
      this.metrics.dropped.inc({reason: 'duplicate'})
      // After a repair the live copies of the repaired samples may still come: expected, not news.
      if (how === 'live') this.logger.debug(`Dropped a repeated DDS sample ${message.id}`)
      return
    }
    if (how === 'repair') this.metrics.repaired.inc()
    if (message.seq > state.top + 1) {
      const ranges: SeqRange[] = [[state.top + 1, message.seq - 1]]
      this.logger.info(
        `Missed ${message.seq - state.top - 1} samples of DDS writer ${message.writer} (sequence numbers ${state.top + 1}-${message.seq - 1}); asking the peers`,
      )
      state.held.set(message.seq, message)
      state.top = message.seq
      this.hooks.missing(message.writer, ranges)
    } else {
      state.held.set(message.seq, message)
      state.top = Math.max(state.top, message.seq)
    }
    if (state.held.size > this.maxHeld) this.skipLost(message.writer, state, this.missing(message.writer), out)
    else this.drain(state, out)
  }

  /** A sample that will not be delivered (too large): its sequence number is passed over without a gap. */
  private skip(writer: string, seq: number, out: StoredMessage[]): void {
    const state = this.writers.get(writer)
    if (!state) {
      this.writers.set(writer, {next: seq + 1, held: new Map(), top: seq, lost: [], rooms: new Set()})
      return
    }
    if (seq < state.next) return
    if (seq > state.top + 1) this.hooks.missing(writer, [[state.top + 1, seq - 1]])
    state.lost.push([seq, seq])
    state.top = Math.max(state.top, seq)
    this.drain(state, out)
  }

  private drain(state: WriterState, out: StoredMessage[]): void {
    for (;;) {
      const message = state.held.get(state.next)
      if (message) {
        state.held.delete(state.next)
        state.next++
        this.deliverOne(state, message, out)
        continue
      }
      const lost = state.lost.find(([lo, hi]) => lo <= state.next && state.next <= hi)
      if (!lost) break
      state.next = lost[1] + 1
      state.lost = state.lost.filter(([, hi]) => hi >= state.next)
    }
    if (state.announced && state.announced.seq < state.next) state.announced = undefined
  }

  private deliverOne(state: WriterState, message: StoredMessage, out: StoredMessage[]): void {
    if (!this.history.add(message)) {
      // A peer handed it over before it arrived here live: clients have it already.
      this.metrics.dropped.inc({reason: 'duplicate'})
      this.logger.debug(`Sample ${message.id} was already handed over by a peer; not delivered again`)
      return
    }
    this.store.add(message)
    if (!state.rooms.has(message.room)) {
      if (state.rooms.size >= MAX_ROOMS_PER_WRITER) state.rooms.delete(state.rooms.values().next().value!)
      state.rooms.add(message.room)
    }
    if (this.messageLog.wants()) this.messageLog.line(`Received a message ${messageForLog(sampleMessage(message))}`)
    out.push(message)
  }
}

function inRanges(ranges: SeqRange[], seq: number): boolean {
  return ranges.some(([lo, hi]) => lo <= seq && seq <= hi)
}
