/**
 * Reconciliation after stalls and partitions (docs/protocol.md, "Repair"): when an instance misses
 * samples of a writer (inbound.ts sees its sequence numbers jump, or the writer's instance announces
 * a higher one), it asks every peer on `chatdds History` for exactly those sequence numbers; each
 * peer sends what its repair store holds and says when it is done. What no peer holds is given up
 * on and reported. Each instance also announces, every second, how far its own writer got, so that
 * a gap at the end of a writer's run is found too.
 */
import {randomBytes} from 'node:crypto'
import {
  encodeRepairEnd,
  encodeRepairRequest,
  encodeWriterSync,
  REPAIR_LIMITS,
  repairAnswerHead,
  type RepairAnswer,
  type RepairEnd,
  type RepairRequest,
  type SeqRange,
  type WriterSync,
} from '../wire/index.js'
import {writeAnswer, writeAux} from './auxWrite.js'
import type {Bus} from './bus.js'
import type {Inbound} from './inbound.js'
import type {Logger} from './log.js'
import type {RepairStore} from './repairStore.js'

export interface ReconcileTiming {
  /** A request is written this long after a gap is noticed, so that one request covers a burst of jumps. */
  coalesceMs: number
  /** An attempt whose peers have not all answered is repeated after this. */
  retryMs: number
  /** Attempts before what is still missing is given up on. */
  attempts: number
  /** How often this instance announces how far its own writer got. */
  syncMs: number
  /** An announced sequence number counts as missing only this long after it was heard (the samples may be on their way). */
  graceMs: number
}

export const RECONCILE_DEFAULTS: ReconcileTiming = {coalesceMs: 20, retryMs: 2000, attempts: 4, syncMs: 1000, graceMs: 1500}

/** Who sent a control-plane sample: the writing participant (GUID prefix) and its name. */
export interface Sender {
  participant: string
  name: string
}

export interface ReconcilerOptions {
  name: string
  logger: Logger
  /** The other chatdds instances known now (through presence): participant → name. */
  peers(): Map<string, string>
  /** Whether the participant is in the domain now (discovered, not gone). */
  alive(participant: string): boolean
  timing?: Partial<ReconcileTiming>
}

/** Repair requests of other instances remembered, so that each attempt is answered once. */
const MAX_ANSWERED = 1024
const TICK_MS = 250

interface OpenRepair {
  nonce: string
  attempt: number
  askedAt: number
  ranges: SeqRange[]
  asked: Set<string>
  ended: Set<string>
}

export class Reconciler {
  private readonly timing: ReconcileTiming
  private readonly open = new Map<string, OpenRepair>()
  private readonly scheduled = new Set<string>()
  private readonly answered = new Map<string, true>()
  private ownWriter: {writer: string; seq: number} | undefined
  /** Participants ever known as chatdds instances (bounded). */
  private readonly instances = new Set<string>()
  private lastSync = {seq: -1, at: 0}
  private timer: NodeJS.Timeout | undefined
  private coalesceTimer: NodeJS.Timeout | undefined

  constructor(
    private readonly bus: Bus,
    private readonly inbound: Inbound,
    private readonly store: RepairStore,
    private readonly options: ReconcilerOptions,
  ) {
    this.timing = {...RECONCILE_DEFAULTS, ...options.timing}
  }

  start(): void {
    if (this.timer) return
    this.timer = setInterval(() => this.tick(), Math.min(TICK_MS, this.timing.syncMs))
    this.timer.unref()
  }

  close(): void {
    clearInterval(this.timer)
    clearTimeout(this.coalesceTimer)
    this.timer = this.coalesceTimer = undefined
  }

  /** This instance's writer wrote `seq` (what the syncs announce). */
  noteWritten(writer: string, seq: number): void {
    if (!this.ownWriter || seq > this.ownWriter.seq) this.ownWriter = {writer, seq}
  }

  /** Samples of `writer` are missing here: ask soon (coalesced). */
  want(writer: string): void {
    if (this.open.has(writer)) return
    this.scheduled.add(writer)
    this.coalesceTimer ??= setTimeout(() => {
      this.coalesceTimer = undefined
      for (const scheduled of this.scheduled) this.ask(scheduled)
      this.scheduled.clear()
    }, this.timing.coalesceMs)
  }

  /** Repairs under way (writers). */
  get pending(): number {
    return this.open.size
  }

  /** Another instance asks for samples of a writer: send what the store holds, then the end. */
  onRequest(request: RepairRequest, from: Sender): void {
    const key = `${from.participant}/${request.nonce}/${request.attempt}`
    if (this.answered.has(key)) return
    this.answered.set(key, true)
    if (this.answered.size > MAX_ANSWERED) this.answered.delete(this.answered.keys().next().value!)
    const messages = this.store.range(request.writer, request.ranges, REPAIR_LIMITS.maxSeqs)
    const head = repairAnswerHead({to: from.participant, from: this.options.name, nonce: request.nonce, writer: request.writer})
    if (!writeAnswer(this.bus, this.options.logger, head, messages, `repaired messages to ${from.name}`, false)) return
    this.write(
      encodeRepairEnd({
        to: from.participant,
        from: this.options.name,
        nonce: request.nonce,
        attempt: request.attempt,
        writer: request.writer,
        sent: messages.length,
      }),
      `the end of a repair to ${from.name}`,
    )
    if (messages.length > 0) this.options.logger.info(`Sent ${messages.length} missed messages of DDS writer ${request.writer} to ${from.name || from.participant}`)
  }

  /** Samples a peer sent for one of our repairs; only what was asked is taken. */
  onAnswer(answer: RepairAnswer): void {
    const open = this.open.get(answer.writer)
    if (!open || answer.to !== this.bus.guidPrefix || answer.nonce !== open.nonce) return
    this.inbound.repaired(answer.messages.filter((entry) => open.ranges.some(([lo, hi]) => lo <= entry.seq && entry.seq <= hi)))
    this.check(answer.writer)
  }

  onEnd(end: RepairEnd, from: Sender): void {
    const open = this.open.get(end.writer)
    if (!open || end.to !== this.bus.guidPrefix || end.nonce !== open.nonce || end.attempt !== open.attempt) return
    open.ended.add(from.participant)
    this.check(end.writer)
  }

  /** A peer announces how far its own writer got (the control plane checked the writer is the sender's). */
  onSync(sync: WriterSync): void {
    this.inbound.announced(sync.writer, sync.seq)
  }

  private ask(writer: string): void {
    const now = Date.now()
    const ranges = capRanges(this.inbound.missing(writer, now, this.timing.graceMs))
    if (ranges.length === 0) {
      this.open.delete(writer)
      return
    }
    const peers = this.options.peers()
    for (const participant of peers.keys()) this.remember(participant)
    // The writer's own instance holds what it wrote: while it is in the domain, its answer is awaited
    // even before presence lists it again (right after a stall it may not yet).
    const owner = this.bus.participantOf(writer)
    const asked = new Set(peers.keys())
    if (owner !== this.bus.guidPrefix && this.instances.has(owner) && this.options.alive(owner)) asked.add(owner)
    let open = this.open.get(writer)
    if (!open) {
      open = {nonce: randomBytes(8).toString('hex'), attempt: 0, askedAt: now, ranges, asked: new Set(), ended: new Set()}
      this.open.set(writer, open)
    }
    open.attempt++
    open.askedAt = now
    open.ranges = ranges
    open.asked = asked
    open.ended = new Set()
    const count = ranges.reduce((n, [lo, hi]) => n + hi - lo + 1, 0)
    this.options.logger.debug(`Asking ${asked.size} peers for ${count} missed messages of DDS writer ${writer} (attempt ${open.attempt})`)
    this.write(encodeRepairRequest({from: this.options.name, nonce: open.nonce, attempt: open.attempt, writer, ranges}), 'a repair request')
  }

  /** Done when nothing is missing; what every asked peer said it does not hold is given up on. */
  private check(writer: string): void {
    const open = this.open.get(writer)
    if (!open) return
    const missing = this.inbound.missing(writer)
    const stillAsked = askedPart(missing, open.ranges)
    if (stillAsked.length === 0) {
      this.open.delete(writer)
      // Holes found since the request went out are asked for now.
      if (missing.length > 0) this.want(writer)
      return
    }
    const everyoneAnswered = open.asked.size > 0 && [...open.asked].every((participant) => open.ended.has(participant))
    if (everyoneAnswered) this.giveUp(writer, stillAsked)
  }

  private giveUp(writer: string, ranges: SeqRange[]): void {
    this.open.delete(writer)
    this.inbound.giveUp(writer, ranges)
    if (this.inbound.missing(writer).length > 0) this.want(writer)
  }

  private tick(): void {
    const now = Date.now()
    for (const [writer, open] of this.open) {
      if (now - open.askedAt < this.timing.retryMs) continue
      // Attempts 2 s apart outlast presence catching up after a heal; a writer nobody holds is not waited on for ever.
      if (open.attempt >= this.timing.attempts) {
        const missing = askedPart(this.inbound.missing(writer), open.ranges)
        this.options.logger.warn(
          `No answer from ${
            [...open.asked]
              .filter((p) => !open.ended.has(p))
              .map((p) => this.options.peers().get(p) ?? p)
              .join(', ') || 'any peer'
          } about missed messages of DDS writer ${writer} after ${open.attempt} attempts`,
        )
        this.giveUp(writer, missing)
      } else this.ask(writer)
    }
    for (const writer of this.inbound.writersMissing(now, this.timing.graceMs)) if (!this.open.has(writer)) this.want(writer)
    const own = this.ownWriter
    if (own && now - this.lastSync.at >= this.timing.syncMs && (own.seq !== this.lastSync.seq || now - this.lastSync.at >= 5 * this.timing.syncMs)) {
      this.lastSync = {seq: own.seq, at: now}
      this.write(encodeWriterSync({from: this.options.name, writer: own.writer, seq: own.seq}), 'a writer sync')
    }
  }

  private remember(participant: string): void {
    if (this.instances.has(participant)) return
    if (this.instances.size >= 1000) this.instances.delete(this.instances.values().next().value!)
    this.instances.add(participant)
  }

  private write(message: string, what: string): boolean {
    return writeAux(this.bus, this.options.logger, 'history', message, what)
  }
}

/** The parts of `missing` that `asked` covers. */
function askedPart(missing: SeqRange[], asked: SeqRange[]): SeqRange[] {
  const out: SeqRange[] = []
  for (const [lo, hi] of missing) {
    for (const [alo, ahi] of asked) {
      const from = Math.max(lo, alo)
      const to = Math.min(hi, ahi)
      if (from <= to) out.push([from, to])
    }
  }
  return out
}

/** At most REPAIR_LIMITS of ranges and sequence numbers, oldest first (the rest is asked next time). */
function capRanges(ranges: SeqRange[]): SeqRange[] {
  const out: SeqRange[] = []
  let left = REPAIR_LIMITS.maxSeqs
  for (const [lo, hi] of ranges) {
    if (out.length >= REPAIR_LIMITS.maxRanges || left <= 0) break
    const to = Math.min(hi, lo + left - 1)
    out.push([lo, to])
    left -= to - lo + 1
  }
  return out
}
