/**
 * The Bus over a real DDS participant (docs/protocol.md, "Between chatdds instances"): chat messages go to
 * the other chatdds instances as batches on `chatdds Messages` (wire/batch.ts), and, one sample per message
 * as the wire contract says, on `User Messages` while a stranger (a foreign DDS program, spy) reads that
 * topic. Every instance announces itself as one (INSTANCE_USER_DATA) and its `User Messages` reader drops the
 * samples of instances, which it gets as batches; so each message is read once, whatever reads it. One writer
 * and one reader of each auxiliary topic too ("Cluster-wide state"). Every topic RELIABLE.
 */
import {DdsError, hostAddresses, Participant, type DdsConfig, type Reader, type Sample, type WriteResult, type Writer, type WriterQos} from '../dds/index.js'
import {BATCH_TOPIC, decodeBatch, encodeBatch, INSTANCE_USER_DATA} from '../wire/index.js'
import {AUX_TOPIC_NAMES, type AuxTopic, type Bus, type BusEvent, type BusStatus} from './bus.js'

/**
 * A new participant, or one that already joined (instance.ts checks its name first; it must have been created
 * with `userData: INSTANCE_USER_DATA`); the bus closes it.
 */
export type DdsBusOptions = ({domain: number; name: string; config?: Partial<DdsConfig>} | {participant: Participant}) & {
  /** Unacknowledged samples the `User Messages` writer holds for strangers before later messages wait; default DEFAULT_MAX_SAMPLES. */
  strangerHistory?: number
}

/** One batch carries about this many characters at most (one message longer than it goes alone): one UDP datagram, mostly. */
export const MAX_BATCH_CHARS = 60_000
/**
 * Batches the writer of `chatdds Messages` holds until every reader acknowledged them; past it a write is EBUSY
 * and the publisher waits. Each may be up to MAX_BATCH_CHARS, and Fast DDS keeps the buffers it grew.
 */
export const BATCH_HISTORY = 2_000
/** How often copies for strangers that found the writer full are tried again (the publisher's own retries also try). */
const BACKLOG_RETRY_MS = 5

/** Writer GUID = participant GUID prefix (24 hex digits) + entity id (8). */
const PREFIX_LENGTH = 24

const AUX_QOS: Record<AuxTopic, WriterQos> = {
  history: {reliable: true, durability: 'volatile', history: {kind: 'keep-all'}},
  // A late joiner gets every live instance's last snapshot, and only the last.
  presence: {reliable: true, durability: 'transient-local', history: {kind: 'keep-last', depth: 1}},
}

export class DdsBus implements Bus {
  readonly name: string
  readonly guidPrefix: string
  private readonly participant: Participant
  /** `User Messages`: written only while strangers read it; read for strangers' samples only. */
  private readonly writer: Writer
  private readonly reader: Reader
  private readonly batchWriter: Writer
  private readonly batchReader: Reader
  /** The sequence number of the next message this bus writes (message ids: `<batch writer GUID>:<seq>`). */
  private nextSeq = 1
  /** `User Messages` copies for strangers that the writer had no room for yet, in order. */
  private strangerBacklog: string[] = []
  private backlogTimer: NodeJS.Timeout | undefined
  private readonly sampleHandlers: Array<(batch: Sample[]) => void> = []
  private reported = {readers: -1, writers: -1}
  private readonly auxWriters = new Map<AuxTopic, Writer>()
  private readonly auxReaders = new Map<AuxTopic, Reader>()
  private readonly eventHandlers: Array<(event: BusEvent) => void> = []
  /** Participants discovered before this bus existed, reported as joined to the handlers registered right away. */
  private discoveredBefore: Map<string, string> | undefined
  private closed = false

  constructor(options: DdsBusOptions) {
    this.participant =
      'participant' in options
        ? options.participant
        : new Participant({domain: options.domain, name: options.name, config: options.config, userData: INSTANCE_USER_DATA})
    this.name = this.participant.name
    try {
      if (this.participant.userData !== INSTANCE_USER_DATA) {
        // Its `User Messages` samples would reach the other instances twice: once as such, once batched.
        throw new DdsError('EINVAL', 'A DdsBus needs a participant created with userData INSTANCE_USER_DATA.')
      }
      this.guidPrefix = this.participant.guidPrefix
      // The wire contract's QoS (RELIABLE, KEEP_ALL); history bounds are the library's tuned defaults.
      this.reader = this.participant.createReader({reliable: true, history: {kind: 'keep-all'}, ignoreKin: true})
      this.writer = this.participant.createWriter({reliable: true, history: {kind: 'keep-all'}, maxSamples: options.strangerHistory})
      this.batchReader = this.participant.createReader({topic: BATCH_TOPIC, reliable: true, history: {kind: 'keep-all'}})
      this.batchWriter = this.participant.createWriter({topic: BATCH_TOPIC, reliable: true, history: {kind: 'keep-all'}, maxSamples: BATCH_HISTORY})
      for (const topic of Object.keys(AUX_QOS) as AuxTopic[]) {
        const qos = {...AUX_QOS[topic], topic: AUX_TOPIC_NAMES[topic]}
        this.auxReaders.set(topic, this.participant.createReader(qos))
        const writer = this.participant.createWriter(qos)
        this.auxWriters.set(topic, writer)
        writer.on('matched', (event) => this.emitEvent({kind: 'matched', entity: 'writer', count: event.count, topic}))
      }
    } catch (error) {
      this.participant.close()
      throw error
    }
    this.participant.on('participant', (event) => this.emitEvent({kind: event.kind, name: event.name, guidPrefix: event.guidPrefix}))
    if (this.participant.participants.size > 0) {
      this.discoveredBefore = this.participant.participants
      // Handlers registered in the same turn of the event loop (the chat server's) see them as if they joined now.
      setImmediate(() => (this.discoveredBefore = undefined))
    }
    for (const endpoint of [this.writer, this.batchWriter, this.reader, this.batchReader]) endpoint.on('matched', () => this.reportMatched())
    this.reader.on('samples', (batch) => this.emitSamples(batch))
    this.batchReader.on('samples', (batch) => this.emitSamples(this.unbatch(batch)))
  }

  publish(message: string): WriteResult {
    return this.publishMany([message])[0]
  }

  publishMany(messages: readonly string[]): WriteResult[] {
    if (messages.length === 0) return []
    // Strangers get every message in order too: while earlier copies wait for room, later messages wait.
    if (!this.drainBacklog()) throw new DdsError('EBUSY', 'The DDS writer of `User Messages` is full; retry once its readers have caught up.')
    let count = 0
    let chars = 0
    while (count < messages.length && (count === 0 || chars + messages[count].length <= MAX_BATCH_CHARS)) chars += messages[count++].length
    const taken = count === messages.length ? messages : messages.slice(0, count)
    const ts = Date.now()
    const firstSeq = this.nextSeq
    this.batchWriter.write(
      encodeBatch(
        firstSeq,
        taken.map((message) => ({message, ts})),
      ),
    )
    this.nextSeq += count
    const writer = this.batchWriter.guid
    const results: WriteResult[] = new Array<WriteResult>(count)
    for (let i = 0; i < count; i++) results[i] = {id: `${writer}:${firstSeq + i}`, writer, seq: firstSeq + i}
    if (this.writer.strangerReaders > 0) {
      this.strangerBacklog = taken.slice()
      this.drainBacklog()
    }
    return results
  }

  onSamples(handler: (batch: Sample[]) => void): void {
    this.sampleHandlers.push(handler)
  }

  publishAux(topic: AuxTopic, message: string): WriteResult {
    return this.auxWriters.get(topic)!.write(message)
  }

  onAuxSamples(topic: AuxTopic, handler: (batch: Sample[]) => void): void {
    this.auxReaders.get(topic)!.on('samples', handler)
  }

  auxMatchedReaders(topic: AuxTopic): number {
    return this.closed ? 0 : this.auxWriters.get(topic)!.matchedReaders
  }

  participantOf(writer: string): string {
    return writer.slice(0, PREFIX_LENGTH)
  }

  onEvent(handler: (event: BusEvent) => void): void {
    this.eventHandlers.push(handler)
    const before = this.discoveredBefore
    // A microtask: before any later discovery event (those come from the binding as macrotasks), after the caller's setup.
    if (before) {
      queueMicrotask(() => {
        const now = this.participant.participants
        for (const [guidPrefix, name] of before) if (!this.closed && now.has(guidPrefix)) handler({kind: 'joined', name, guidPrefix})
      })
    }
  }

  private emitEvent(event: BusEvent): void {
    for (const handler of this.eventHandlers) handler(event)
  }

  private emitSamples(batch: Sample[]): void {
    if (batch.length === 0) return
    for (const handler of this.sampleHandlers) handler(batch)
  }

  /** The messages of batch samples, one sample each; a malformed batch is reported and none of it taken. */
  private unbatch(samples: Sample[]): Sample[] {
    const out: Sample[] = []
    for (const sample of samples) {
      const decoded = decodeBatch(sample.message)
      if ('error' in decoded) {
        this.emitEvent({kind: 'ignored', reason: 'malformed_batch', detail: decoded.error, writer: sample.writer, participantName: sample.participantName})
        continue
      }
      const {writer, participantName} = sample
      for (const {seq, ts, message} of decoded.entries) out.push({message, id: `${writer}:${seq}`, writer, seq, sourceTimestamp: ts, participantName})
    }
    return out
  }

  /** Writes the waiting `User Messages` copies; false while some still wait (then it retries on a timer). */
  private drainBacklog(): boolean {
    let written = 0
    try {
      for (; written < this.strangerBacklog.length; written++) this.writer.write(this.strangerBacklog[written])
    } catch (error) {
      // Closed meanwhile: nobody is left to write them to.
      if (!(error instanceof DdsError && error.code === 'EBUSY')) written = this.strangerBacklog.length
    }
    this.strangerBacklog = written === this.strangerBacklog.length ? [] : this.strangerBacklog.slice(written)
    if (this.strangerBacklog.length === 0) return true
    if (!this.backlogTimer && !this.closed) {
      this.backlogTimer = setTimeout(() => {
        this.backlogTimer = undefined
        if (!this.closed) this.drainBacklog()
      }, BACKLOG_RETRY_MS)
    }
    return false
  }

  private reportMatched(): void {
    if (this.closed) return
    const {matchedReaders: readers, matchedWriters: writers} = this.status()
    if (readers !== this.reported.readers) this.emitEvent({kind: 'matched', entity: 'writer', count: readers})
    if (writers !== this.reported.writers) this.emitEvent({kind: 'matched', entity: 'reader', count: writers})
    this.reported = {readers, writers}
  }

  /**
   * Readers that get this bus's messages: the instances' (its own included) on `chatdds Messages`, and the
   * strangers' on `User Messages`; writers likewise.
   */
  status(): BusStatus {
    if (this.closed) return {ready: false, matchedReaders: 0, matchedWriters: 0, peers: []}
    const instanceReaders = this.batchWriter.matchedReaders
    return {
      // Our own reader matches through the process, with or without a network: an interface that went away is not ready.
      ready: instanceReaders >= 1 && hostAddresses().includes(this.participant.config.interface),
      matchedReaders: instanceReaders + this.writer.strangerReaders,
      matchedWriters: this.batchReader.matchedWriters + this.reader.strangerWriters,
      peers: [...this.participant.participants.values()].sort(),
    }
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    if (this.backlogTimer) clearTimeout(this.backlogTimer)
    this.participant.close()
  }
}
