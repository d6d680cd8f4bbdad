/**
 * The Bus over a real DDS participant: one writer and one reader of `User Messages` (RELIABLE,
 * KEEP_ALL), and of each auxiliary topic (docs/protocol.md, "Cluster-wide state").
 */
import {hostAddresses, Participant, type DdsConfig, type Reader, type Sample, type WriteResult, type Writer, type WriterQos} from '../dds/index.js'
import {AUX_TOPIC_NAMES, type AuxTopic, type Bus, type BusEvent, type BusStatus} from './bus.js'

/** A new participant, or one that already joined (instance.ts checks its name first); the bus closes it. */
export type DdsBusOptions = {domain: number; name: string; config?: Partial<DdsConfig>} | {participant: Participant}

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
  private readonly writer: Writer
  private readonly reader: Reader
  private readonly auxWriters = new Map<AuxTopic, Writer>()
  private readonly auxReaders = new Map<AuxTopic, Reader>()
  private readonly eventHandlers: Array<(event: BusEvent) => void> = []
  /** Participants discovered before this bus existed, reported as joined to the handlers registered right away. */
  private discoveredBefore: Map<string, string> | undefined
  private closed = false

  constructor(options: DdsBusOptions) {
    this.participant = 'participant' in options ? options.participant : new Participant({domain: options.domain, name: options.name, config: options.config})
    this.name = this.participant.name
    try {
      this.guidPrefix = this.participant.guidPrefix
      // The wire contract's QoS (RELIABLE, KEEP_ALL); history bounds are the library's tuned defaults.
      this.reader = this.participant.createReader({reliable: true, history: {kind: 'keep-all'}})
      this.writer = this.participant.createWriter({reliable: true, history: {kind: 'keep-all'}})
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
    this.writer.on('matched', (event) => this.emitEvent({kind: 'matched', entity: 'writer', count: event.count}))
    this.reader.on('matched', (event) => this.emitEvent({kind: 'matched', entity: 'reader', count: event.count}))
  }

  publish(message: string): WriteResult {
    return this.writer.write(message)
  }

  onSamples(handler: (batch: Sample[]) => void): void {
    this.reader.on('samples', handler)
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

  status(): BusStatus {
    if (this.closed) return {ready: false, matchedReaders: 0, matchedWriters: 0, peers: []}
    const matchedReaders = this.writer.matchedReaders
    return {
      // Our own reader matches through the process, with or without a network: an interface that went away is not ready.
      ready: matchedReaders >= 1 && hostAddresses().includes(this.participant.config.interface),
      matchedReaders,
      matchedWriters: this.reader.matchedWriters,
      peers: [...this.participant.participants.values()].sort(),
    }
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.participant.close()
  }
}
