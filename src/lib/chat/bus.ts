/**
 * The chat server's view of DDS: publish a string, get batches of samples, on `User Messages` and on
 * the two auxiliary topics of docs/protocol.md ("Cluster-wide state"). `DdsBus` (ddsBus.ts) is the
 * real one; `MemoryBus` fans out in-process between buses sharing a hub, for fast unit tests.
 */
import {DdsError, type Sample, type WriteResult} from '../dds/types.js'

/** The auxiliary topics (same type, JSON strings), so that plain `User Messages` readers never see this traffic. */
export type AuxTopic = 'history' | 'presence'

export const AUX_TOPIC_NAMES: Record<AuxTopic, string> = {
  /** RELIABLE, VOLATILE, KEEP_ALL: history requests and answers. */
  history: 'chatdds History',
  /** RELIABLE, TRANSIENT_LOCAL, KEEP_LAST 1: each instance's membership snapshot. */
  presence: 'chatdds Presence',
}

export interface BusStatus {
  /** The writer and reader exist and the writer has matched at least one reader (its own). */
  ready: boolean
  matchedReaders: number
  matchedWriters: number
  /** Names of the other participants in the domain. */
  peers: string[]
}

/**
 * A participant came or went (`guidPrefix` identifies it; names may repeat), a matched count changed, or a
 * sample was not taken (`ignored`: a malformed batch of `chatdds Messages`; `detail` says why, in a few words).
 */
export type BusEvent =
  | {kind: 'joined' | 'left' | 'dropped'; name: string; guidPrefix: string}
  | {kind: 'matched'; entity: 'writer' | 'reader'; count: number; topic?: AuxTopic}
  | {kind: 'ignored'; reason: 'malformed_batch'; detail: string; writer: string; participantName?: string}

export interface Bus {
  /** Participant name (the instance name). */
  readonly name: string
  /** This participant's id: what `participantOf` returns for each of its writers. */
  readonly guidPrefix: string
  /** Writes one message: `publishMany([message])[0]`. */
  publish(message: string): WriteResult
  /**
   * Writes chat messages (each a `User Messages` string) in order, as one DDS write where it can: every message
   * of the prefix it returns is written; the rest (when the writer's history filled up, or past what one
   * write carries) is for the caller to write again. Synchronous; throws DdsError 'EBUSY' when it could write
   * none (retry later), and other errors (none written) as they come.
   */
  publishMany(messages: readonly string[]): WriteResult[]
  /** Every message read, the bus's own included, in batches, one sample per message. Each listener gets every batch. */
  onSamples(handler: (batch: Sample[]) => void): void
  /** Writes one sample on an auxiliary topic. Synchronous; throws like `publish`. */
  publishAux(topic: AuxTopic, message: string): WriteResult
  /** Every sample read on an auxiliary topic, the bus's own included. Each listener gets every batch. */
  onAuxSamples(topic: AuxTopic, handler: (batch: Sample[]) => void): void
  /** Readers matched by this bus's writer of `topic` (its own reader included). */
  auxMatchedReaders(topic: AuxTopic): number
  /** The participant (GUID prefix) that owns `writer`. */
  participantOf(writer: string): string
  /** Each listener gets every event. */
  onEvent(handler: (event: BusEvent) => void): void
  status(): BusStatus
  /** Idempotent. */
  close(): void
}

/** Creates the bus once the server knows its port (so `--name` can default to `chat-<port>`). */
export type BusFactory = (info: {name: string; port: number}) => Bus | Promise<Bus>

/** Buses that see each other's samples, like participants of one DDS domain. */
export class MemoryHub {
  readonly buses = new Set<MemoryBus>()
  nextNumber = 1
  /** TRANSIENT_LOCAL, KEEP_LAST 1: each live bus's last presence sample, for buses that subscribe later. */
  readonly lastPresence = new Map<MemoryBus, Sample>()
}

const defaultHub = new MemoryHub()

export interface MemoryBusOptions {
  name?: string
  /** Samples written but not yet delivered to every bus; past it `publish` throws EBUSY (like a full KEEP_ALL history). */
  capacity?: number
}

type Channel = 'messages' | AuxTopic

/**
 * In-process bus with DDS-like semantics: ids `mem<n>:<seq>` (auxiliary topics: `mem<n>/<topic>:<seq>`),
 * asynchronous batched delivery, EBUSY when full, presence kept for late subscribers.
 */
export class MemoryBus implements Bus {
  readonly name: string
  readonly writer: string
  readonly guidPrefix: string
  private readonly seqs = new Map<Channel, number>()
  private closed = false
  private stalled = false
  private outbox: Array<{channel: Channel; sample: Sample}> = []
  private auxOutbox: Array<{channel: Channel; sample: Sample}> = []
  private flushScheduled = false
  private readonly handlers = new Map<Channel, Array<(batch: Sample[]) => void>>()
  private readonly eventHandlers: Array<(event: BusEvent) => void> = []
  private readonly capacity: number
  private readonly cutOff = new Set<MemoryBus>()

  constructor(
    readonly hub: MemoryHub = defaultHub,
    options: MemoryBusOptions = {},
  ) {
    const number = hub.nextNumber++
    this.writer = `mem${number}`
    this.guidPrefix = this.writer
    this.name = options.name ?? `mem-${number}`
    this.capacity = options.capacity ?? Number.POSITIVE_INFINITY
    for (const other of hub.buses) other.emitEvent({kind: 'joined', name: this.name, guidPrefix: this.guidPrefix})
    hub.buses.add(this)
  }

  publish(message: string): WriteResult {
    return this.write('messages', message)
  }

  publishMany(messages: readonly string[]): WriteResult[] {
    const results: WriteResult[] = []
    for (const message of messages) {
      try {
        results.push(this.write('messages', message))
      } catch (error) {
        if (results.length > 0 && error instanceof DdsError && error.code === 'EBUSY') break
        throw error
      }
    }
    return results
  }

  publishAux(topic: AuxTopic, message: string): WriteResult {
    return this.write(topic, message)
  }

  /** Drops every sample between this bus and `peer`, both ways, until `heal` (a partition that outlives nothing: no lease expires). */
  cut(peer: MemoryBus): void {
    this.cutOff.add(peer)
    peer.cutOff.add(this)
  }

  heal(peer: MemoryBus): void {
    this.cutOff.delete(peer)
    peer.cutOff.delete(this)
  }

  /** Holds written samples undelivered (the outbox fills up, then publish throws EBUSY), like readers that stopped acknowledging. */
  stall(): void {
    this.stalled = true
  }

  unstall(): void {
    this.stalled = false
    this.scheduleFlush()
  }

  onSamples(handler: (batch: Sample[]) => void): void {
    this.listen('messages', handler)
  }

  onAuxSamples(topic: AuxTopic, handler: (batch: Sample[]) => void): void {
    const first = !this.handlers.has(topic)
    this.listen(topic, handler)
    if (!first) return
    // A new reader: every writer of the topic matches it (and it gets the presence snapshots, as TRANSIENT_LOCAL would).
    const count = this.auxMatchedReaders(topic)
    for (const bus of this.hub.buses) if (bus !== this) bus.emitEvent({kind: 'matched', entity: 'writer', count, topic})
    if (topic === 'presence') {
      const held = [...this.hub.lastPresence.values()].map((sample) => ({...sample}))
      if (held.length > 0) setImmediate(() => this.deliver('presence', held))
    }
  }

  auxMatchedReaders(topic: AuxTopic): number {
    if (this.closed) return 0
    return [...this.hub.buses].filter((bus) => bus.handlers.has(topic)).length
  }

  participantOf(writer: string): string {
    return writer.split('/')[0]
  }

  onEvent(handler: (event: BusEvent) => void): void {
    this.eventHandlers.push(handler)
  }

  status(): BusStatus {
    const matched = this.closed ? 0 : this.hub.buses.size
    return {
      ready: !this.closed,
      matchedReaders: matched,
      matchedWriters: matched,
      peers: this.closed ? [] : [...this.hub.buses].filter((b) => b !== this).map((b) => b.name),
    }
  }

  close(): void {
    this.leave('left')
  }

  /** Leaves like a killed process: the others see it dropped (lease expired) and its presence sample goes. */
  crash(): void {
    this.leave('dropped')
  }

  private leave(kind: 'left' | 'dropped'): void {
    if (this.closed) return
    this.closed = true
    this.hub.buses.delete(this)
    this.hub.lastPresence.delete(this)
    for (const other of this.hub.buses) other.emitEvent({kind, name: this.name, guidPrefix: this.guidPrefix})
  }

  private write(channel: Channel, message: string): WriteResult {
    if (this.closed) throw new DdsError('ECLOSED', 'The bus is closed.')
    if (typeof message !== 'string') throw new DdsError('EINVAL', 'message must be a string')
    // Each topic has its own writer history: capacity and stall() concern `User Messages` only.
    const outbox = channel === 'messages' ? this.outbox : this.auxOutbox
    if (channel === 'messages' && outbox.length >= this.capacity) throw new DdsError('EBUSY', 'Writer history is full; retry later.')
    const seq = (this.seqs.get(channel) ?? 0) + 1
    this.seqs.set(channel, seq)
    const writer = channel === 'messages' ? this.writer : `${this.writer}/${channel}`
    const sample: Sample = {message, id: `${writer}:${seq}`, writer, seq, sourceTimestamp: Date.now(), participantName: this.name}
    if (channel === 'presence') this.hub.lastPresence.set(this, sample)
    outbox.push({channel, sample})
    this.scheduleFlush()
    return {id: sample.id, writer, seq}
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return
    this.flushScheduled = true
    setImmediate(() => {
      this.flushScheduled = false
      const outbox = this.auxOutbox
      this.auxOutbox = []
      if (!this.stalled) {
        outbox.push(...this.outbox)
        this.outbox = []
      }
      // One batch per run of samples of one channel, in write order.
      for (let start = 0; start < outbox.length;) {
        let end = start
        while (end < outbox.length && outbox[end].channel === outbox[start].channel) end++
        const batch = outbox.slice(start, end).map((entry) => entry.sample)
        for (const bus of this.hub.buses) if (!this.cutOff.has(bus)) bus.deliver(outbox[start].channel, batch)
        start = end
      }
    })
  }

  private listen(channel: Channel, handler: (batch: Sample[]) => void): void {
    const handlers = this.handlers.get(channel)
    if (handlers) handlers.push(handler)
    else this.handlers.set(channel, [handler])
  }

  private emitEvent(event: BusEvent): void {
    for (const handler of this.eventHandlers) handler(event)
  }

  private deliver(channel: Channel, batch: Sample[]): void {
    if (this.closed) return
    for (const handler of this.handlers.get(channel) ?? []) handler(batch.map((s) => ({...s})))
  }
}
