/**
 * The chat server's view of DDS: publish a string, get batches of samples. `DdsBus` (ddsBus.ts) is
 * the real one; `MemoryBus` fans out in-process between buses sharing a hub, for fast unit tests.
 */
import {DdsError, type Sample, type WriteResult} from '../dds/types.js'

export interface BusStatus {
  /** The writer and reader exist and the writer has matched at least one reader (its own). */
  ready: boolean
  matchedReaders: number
  matchedWriters: number
  /** Names of the other participants in the domain. */
  peers: string[]
}

/** Something worth a log line: a participant came or went, or a matched count changed. */
export type BusEvent =
  | {kind: 'joined' | 'left' | 'dropped'; name: string}
  | {kind: 'matched'; entity: 'writer' | 'reader'; count: number}

export interface Bus {
  /** Participant name (the instance name). */
  readonly name: string
  /** Writes one `User Messages` sample. Synchronous; throws DdsError 'EBUSY' when the writer history is full (retry later). */
  publish(message: string): WriteResult
  /** Every sample read, the bus's own included, in batches. One handler. */
  onSamples(handler: (batch: Sample[]) => void): void
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
}

const defaultHub = new MemoryHub()

export interface MemoryBusOptions {
  name?: string
  /** Samples written but not yet delivered to every bus; past it `publish` throws EBUSY (like a full KEEP_ALL history). */
  capacity?: number
}

/** In-process bus with DDS-like semantics: ids `mem<n>:<seq>`, asynchronous batched delivery, EBUSY when full. */
export class MemoryBus implements Bus {
  readonly name: string
  readonly writer: string
  private seq = 0
  private closed = false
  private stalled = false
  private outbox: Sample[] = []
  private flushScheduled = false
  private sampleHandler: (batch: Sample[]) => void = () => {}
  private eventHandler: (event: BusEvent) => void = () => {}
  private readonly capacity: number

  constructor(
    readonly hub: MemoryHub = defaultHub,
    options: MemoryBusOptions = {},
  ) {
    const number = hub.nextNumber++
    this.writer = `mem${number}`
    this.name = options.name ?? `mem-${number}`
    this.capacity = options.capacity ?? Number.POSITIVE_INFINITY
    for (const other of hub.buses) {
      other.eventHandler({kind: 'joined', name: this.name})
      this.eventHandler({kind: 'joined', name: other.name})
    }
    hub.buses.add(this)
  }

  publish(message: string): WriteResult {
    if (this.closed) throw new DdsError('ECLOSED', 'The bus is closed.')
    if (typeof message !== 'string') throw new DdsError('EINVAL', 'message must be a string')
    if (this.outbox.length >= this.capacity) throw new DdsError('EBUSY', 'Writer history is full; retry later.')
    const seq = ++this.seq
    const sample: Sample = {
      message,
      id: `${this.writer}:${seq}`,
      writer: this.writer,
      seq,
      sourceTimestamp: Date.now(),
      participantName: this.name,
    }
    this.outbox.push(sample)
    this.scheduleFlush()
    return {id: sample.id, writer: this.writer, seq}
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
    this.sampleHandler = handler
  }

  onEvent(handler: (event: BusEvent) => void): void {
    this.eventHandler = handler
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
    if (this.closed) return
    this.closed = true
    this.hub.buses.delete(this)
    for (const other of this.hub.buses) other.eventHandler({kind: 'left', name: this.name})
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.stalled) return
    this.flushScheduled = true
    setImmediate(() => {
      this.flushScheduled = false
      if (this.stalled || this.outbox.length === 0) return
      const batch = this.outbox
      this.outbox = []
      for (const bus of this.hub.buses) bus.deliver(batch)
    })
  }

  private deliver(batch: Sample[]): void {
    if (!this.closed) this.sampleHandler(batch.map((s) => ({...s})))
  }
}
