/**
 * The history hand-over on `chatdds History` (docs/protocol.md, "Cluster-wide state"): a starting
 * instance asks its peers for what they hold and merges their answers into its history; every
 * instance answers the requests of the others.
 */
import {randomBytes} from 'node:crypto'
import {
  encodeHistoryEnd,
  encodeHistoryRequest,
  historyAnswerHead,
  storedMessage,
  type HistoryAnswer,
  type HistoryEnd,
  type HistoryRequest,
  type StoredMessage,
} from '../wire/index.js'
import {writeAnswer, writeAux} from './auxWrite.js'
import type {Bus, BusEvent} from './bus.js'
import type {History} from './history.js'
import type {Logger} from './log.js'
import type {ClusterPresence} from './presence.js'
import type {Sender} from './reconcile.js'

export interface HandOverTiming {
  /** The hand-over ends no sooner than this after start: time for the peers to be discovered. */
  settleMs: number
  /** … and only once nothing changed (a participant or a History reader came) for this long. */
  quietMs: number
  /** Peers that have not answered are asked again this often. */
  retryMs: number
  /** Past this the instance stops waiting (and says who did not answer): it serves what it has. */
  timeoutMs: number
}

// On loopback a running peer is discovered within one announcement period (0.5 s by default) of our start.
export const HAND_OVER_DEFAULTS: HandOverTiming = {settleMs: 700, quietMs: 300, retryMs: 2000, timeoutMs: 15_000}

export type HandOverState = 'pending' | 'complete' | 'incomplete'

export interface HistoryExchangeOptions {
  name: string
  logger: Logger
  timing?: Partial<HandOverTiming>
}

/** Requesters remembered, so that each is answered once per attempt. */
const MAX_REQUESTERS = 1024
const CHECK_MS = 100
/** After the hand-over, History readers that match within this time of the start are still asked. */
const LATE_ASK_MS = 30_000

export class HistoryExchange {
  state: HandOverState = 'pending'
  private readonly timing: HandOverTiming
  private readonly nonce = randomBytes(8).toString('hex')
  private attempt = 1
  private startedAt = Date.now()
  private lastChange = this.startedAt
  private peerCount = 0
  /** Readers matched by our History writer, at the last matched event. */
  private historyReaders = 0
  /** Participant → name of the peers that finished answering. */
  private readonly answered = new Map<string, string>()
  private mergedMessages = 0
  private readonly mergedRooms = new Set<string>()
  /** Other instances' participants → the nonce and the last attempt answered. */
  private readonly answeredRequests = new Map<string, {nonce: string; attempt: number}>()
  private checkTimer: NodeJS.Timeout | undefined
  private retryTimer: NodeJS.Timeout | undefined

  constructor(
    private readonly bus: Bus,
    private readonly history: History,
    private readonly presence: ClusterPresence,
    private readonly options: HistoryExchangeOptions,
  ) {
    this.timing = {...HAND_OVER_DEFAULTS, ...options.timing}
  }

  /** Answers the peers' requests and asks them for what they hold, until the hand-over ends. */
  start(): void {
    if (this.checkTimer) return
    this.startedAt = this.lastChange = Date.now()
    this.request()
    this.checkTimer = setInterval(() => this.check(), CHECK_MS)
    this.checkTimer.unref()
    this.retryTimer = setInterval(() => {
      this.attempt++
      this.request()
    }, this.timing.retryMs)
    this.retryTimer.unref()
  }

  /** Participants and History readers coming and going restart the quiet time; a new reader is asked at once. */
  onBusEvent(event: BusEvent): void {
    if (event.kind === 'ignored' || (event.kind === 'matched' && event.topic !== 'history')) return
    const newReader = event.kind === 'matched' && event.entity === 'writer' && event.count > this.historyReaders
    if (event.kind === 'matched' && event.entity === 'writer') this.historyReaders = event.count
    if (this.state === 'pending') {
      this.lastChange = Date.now()
      // A peer gone is no longer waited for (its answer, if any, stays merged).
      if (event.kind === 'left' || event.kind === 'dropped') this.answered.delete(event.guidPrefix)
      if (newReader) this.request()
    } else if (newReader && Date.now() - this.startedAt < LATE_ASK_MS) {
      // A peer found only after the hand-over ended (slow discovery) is still asked, for a while.
      this.attempt++
      this.request(true)
    }
  }

  close(): void {
    this.stopTimers()
  }

  private request(late = false): void {
    if (this.state !== 'pending' && !late) return
    const request = {from: this.options.name, nonce: this.nonce, attempt: this.attempt, depth: this.history.depth, answered: [...this.answered.keys()].sort()}
    this.write(encodeHistoryRequest(request), 'a history request')
  }

  private check(): void {
    if (this.state !== 'pending') return
    const now = Date.now()
    const peers = this.presence.peers()
    if (peers.size !== this.peerCount) {
      this.peerCount = peers.size
      this.lastChange = now
    }
    const missing = [...peers].filter(([participant]) => !this.answered.has(participant)).map(([, name]) => name)
    // Ready also means knowing the cluster (hello's `instances`): every peer that answered has shown its presence.
    const unseen = [...this.answered].filter(([participant]) => !peers.has(participant)).map(([, name]) => name)
    // History readers matched by our writer, our own excluded: peers whose presence may not have arrived yet.
    const matchedPeers = this.bus.auxMatchedReaders('history') - 1
    const settled = now - this.startedAt >= this.timing.settleMs && now - this.lastChange >= this.timing.quietMs
    if (settled && missing.length === 0 && unseen.length === 0 && this.answered.size >= matchedPeers) {
      this.finish('complete', now)
    } else if (now - this.startedAt >= this.timing.timeoutMs) {
      const silent = [...missing, ...unseen.map((name) => `${name} (presence)`)].sort().join(', ') || `${matchedPeers - this.answered.size} unnamed peer(s)`
      this.finish('incomplete', now, silent)
    }
  }

  private finish(state: 'complete' | 'incomplete', now: number, silent?: string): void {
    this.state = state
    this.stopTimers()
    const took = `${((now - this.startedAt) / 1000).toFixed(1)} s`
    const names = [...this.answered.values()].sort()
    const from = names.length === 0 ? 'no peer answered' : `${plural(names.length, 'peer')} answered (${names.join(', ')})`
    const merged = `${plural(this.mergedMessages, 'message')} merged into ${plural(this.mergedRooms.size, 'room')}`
    if (state === 'complete') this.options.logger.info(`History hand-over complete in ${took}: ${from}; ${merged}`)
    else this.options.logger.warn(`History hand-over incomplete after ${took}: no answer from ${silent}; ${from}; ${merged}; serving what this instance holds`)
  }

  private stopTimers(): void {
    clearInterval(this.checkTimer)
    clearInterval(this.retryTimer)
    this.checkTimer = this.retryTimer = undefined
  }

  /** A peer's answer for one room (the control plane parsed and checked it). */
  onAnswer(answer: HistoryAnswer): void {
    if (answer.to === this.bus.guidPrefix && answer.nonce === this.nonce) this.merge(answer)
  }

  /** A peer finished answering. */
  onEnd(end: HistoryEnd, from: Sender): void {
    if (end.to !== this.bus.guidPrefix || end.nonce !== this.nonce) return
    const name = end.from ?? (from.name || from.participant)
    if (this.state !== 'pending' && !this.answered.has(from.participant)) {
      this.options.logger.info(`History hand-over: ${name} answered late; ${plural(this.mergedMessages, 'message')} merged in all`)
    }
    this.answered.set(from.participant, name)
    this.check()
  }

  /**
   * Answers another instance's request: one sample per room (split when large), then an end marker.
   * A participant is one process with one nonce: it is answered once per attempt, and only for that nonce.
   */
  onRequest(request: HistoryRequest, from: Sender): void {
    const {nonce, attempt: round, answered} = request
    const to = from.participant
    if (answered.includes(this.bus.guidPrefix)) return
    const previous = this.answeredRequests.get(to)
    if (previous && (previous.nonce !== nonce || previous.attempt >= round)) return
    this.answeredRequests.delete(to)
    this.answeredRequests.set(to, {nonce, attempt: round})
    if (this.answeredRequests.size > MAX_REQUESTERS) this.answeredRequests.delete(this.answeredRequests.keys().next().value!)
    const who = request.from || from.name || to
    const limit = request.depth ?? Number.POSITIVE_INFINITY

    let total = 0
    const rooms = this.history.roomNames()
    for (const room of rooms) {
      const {messages: held, coverage} = this.history.snapshot(room)
      // Never more than the requester keeps.
      const messages = held.length > limit ? held.slice(held.length - limit) : held
      // The entries are serialized once; the sample is the header with them spliced in.
      const head = historyAnswerHead({to, from: this.options.name, nonce, room, coverage})
      if (!writeAnswer(this.bus, this.options.logger, head, messages, `the history of #${room} to ${who}`, true)) return
      total += messages.length
    }
    this.write(encodeHistoryEnd({to, from: this.options.name, nonce, rooms: rooms.length, messages: total}), `the end of the history to ${who}`)
    this.options.logger.info(`Handed ${plural(total, 'message')} of ${plural(rooms.length, 'room')} over to ${who}`)
  }

  private merge(answer: HistoryAnswer): void {
    const {room} = answer
    // An entry that is not of this room would break rooms' isolation.
    const stored: StoredMessage[] = answer.messages.map((entry) => storedMessage(entry)).filter((message) => message.room === room)
    const added = this.history.merge(room, stored, answer.coverage)
    if (added > 0) {
      this.mergedMessages += added
      this.mergedRooms.add(room)
    }
  }

  private write(message: string, what: string): boolean {
    return writeAux(this.bus, this.options.logger, 'history', message, what)
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}
