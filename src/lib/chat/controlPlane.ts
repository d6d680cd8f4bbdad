/**
 * The one reader of `chatdds History`: everything on it comes from other participants, so each
 * sample is bounded in size, parsed once, checked against the participant that wrote it,
 * rate-limited per participant where it asks for work, counted when ignored, and only then handed
 * to the history hand-over or to reconciliation.
 */
import type {Sample} from '../dds/types.js'
import {parseHistoryFrame, type HistoryFrame} from '../wire/index.js'
import type {Bus} from './bus.js'
import type {ChatMetrics} from './chatMetrics.js'
import type {HistoryExchange} from './handover.js'
import type {ClusterPresence} from './presence.js'
import type {Logger} from './log.js'
import {TokenBucket} from './rateLimit.js'
import type {Reconciler, Sender} from './reconcile.js'

export interface ControlPlaneOptions {
  /** Samples larger than this are dropped unread. */
  maxSampleBytes: number
  metrics: ChatMetrics
  logger: Logger
  exchange: HistoryExchange
  reconciler: Reconciler
  presence: Pick<ClusterPresence, 'republish'>
}

/** Requests that make this instance write answers, per asking participant: sustained per second, and burst. */
const REQUEST_RATE = {'history-request': [2, 10], 'repair-request': [20, 60], 'presence-request': [2, 5]} as const
/** Participants whose request rate is tracked; past it the one seen longest ago is forgotten. */
const MAX_TRACKED = 1000
/** One warning per this many ms per kind of ignored sample, the rest only counted. */
const WARN_EVERY_MS = 10_000

type Reason = 'too_large' | 'malformed' | 'forged' | 'rate_limited'

export class ControlPlane {
  private readonly buckets = new Map<string, TokenBucket>()
  private readonly warnedAt = new Map<string, number>()
  /** `"to":"<this participant>"`: how an answer addressed here starts, checked before parsing. */
  private readonly addressedHere: string

  constructor(
    private readonly bus: Bus,
    private readonly options: ControlPlaneOptions,
  ) {
    this.addressedHere = `"to":${JSON.stringify(bus.guidPrefix)}`
  }

  start(): void {
    this.bus.onAuxSamples('history', (batch) => this.onSamples(batch))
  }

  private onSamples(batch: Sample[]): void {
    for (const sample of batch) {
      const participant = this.bus.participantOf(sample.writer)
      if (participant === this.bus.guidPrefix) continue
      const from: Sender = {participant, name: sample.participantName ?? ''}
      if (sample.message.length > this.options.maxSampleBytes) {
        this.ignore('too_large', from, `a ${sample.message.length}-character history sample`)
        continue
      }
      // Answers to other instances are most of the traffic: skip them before parsing.
      if (isAnswer(sample.message) && !sample.message.startsWith(this.addressedHere, sample.message.indexOf(',') + 1)) continue
      const frame = parseHistoryFrame(sample.message)
      if (frame === undefined) {
        this.ignore('malformed', from, 'a malformed history sample')
        continue
      }
      if (frame === null) {
        this.options.metrics.ignoredSamples.inc({topic: 'history', reason: 'malformed'})
        continue
      }
      this.dispatch(frame, from, sample.writer)
    }
  }

  private dispatch(frame: HistoryFrame, from: Sender, writer: string): void {
    const {exchange, reconciler} = this.options
    switch (frame.type) {
      case 'history-request':
      case 'repair-request':
        if (!this.allowed(frame.type, from.participant)) {
          this.ignore('rate_limited', from, `a ${frame.type}`)
          return
        }
        if (frame.type === 'history-request') exchange.onRequest(frame, from)
        else reconciler.onRequest(frame, from)
        return
      case 'history':
        exchange.onAnswer(frame)
        return
      case 'history-end':
        exchange.onEnd(frame, from)
        return
      case 'repair':
        reconciler.onAnswer(frame)
        return
      case 'repair-end':
        reconciler.onEnd(frame, from)
        return
      case 'presence-request':
        if (frame.to !== this.bus.guidPrefix) return
        if (this.allowed(frame.type, from.participant)) this.options.presence.republish()
        else this.ignore('rate_limited', from, 'a presence-request')
        return
      case 'sync':
        // An instance announces its own writer only: a sync for another participant's writer is forged.
        if (this.bus.participantOf(frame.writer) !== from.participant)
          this.ignore('forged', from, `a sync for DDS writer ${frame.writer}, which is not its own (${writer})`)
        else reconciler.onSync(frame)
    }
  }

  private allowed(type: keyof typeof REQUEST_RATE, participant: string): boolean {
    const key = `${type}/${participant}`
    let bucket = this.buckets.get(key)
    if (!bucket) {
      if (this.buckets.size >= MAX_TRACKED) this.buckets.delete(this.buckets.keys().next().value!)
      const [perSecond, burst] = REQUEST_RATE[type]
      bucket = new TokenBucket(perSecond, burst)
      this.buckets.set(key, bucket)
    }
    return bucket.tryTake()
  }

  private ignore(reason: Reason, from: Sender, what: string): void {
    this.options.metrics.ignoredSamples.inc({topic: 'history', reason})
    const now = Date.now()
    const key = `${reason}/${from.participant}`
    if (now - (this.warnedAt.get(key) ?? -Infinity) < WARN_EVERY_MS) return
    if (this.warnedAt.size >= MAX_TRACKED) this.warnedAt.clear()
    this.warnedAt.set(key, now)
    const what_ = reason === 'malformed' ? what : `${what} (${reason.replace('_', ' ')})`
    this.options.logger.warn(`Ignored ${what_} from ${from.name || from.participant}`)
  }
}

/** A history or repair answer: `{"type":"history","to":…` or `{"type":"repair","to":…` as the encoders write them. */
function isAnswer(message: string): boolean {
  return message.startsWith('{"type":"history",') || message.startsWith('{"type":"repair",')
}
