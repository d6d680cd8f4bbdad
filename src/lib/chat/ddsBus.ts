/** The Bus over a real DDS participant: one writer and one reader of `User Messages`, RELIABLE and KEEP_ALL. */
import {Participant, type DdsConfig, type Reader, type Sample, type WriteResult, type Writer} from '../dds/index.js'
import type {Bus, BusEvent, BusStatus} from './bus.js'

export interface DdsBusOptions {
  domain: number
  name: string
  config?: Partial<DdsConfig>
}

export class DdsBus implements Bus {
  readonly name: string
  private readonly participant: Participant
  private readonly writer: Writer
  private readonly reader: Reader
  private eventHandler: (event: BusEvent) => void = () => {}
  private closed = false

  constructor(options: DdsBusOptions) {
    this.name = options.name
    this.participant = new Participant({domain: options.domain, name: options.name, config: options.config})
    try {
      // The wire contract's QoS (RELIABLE, KEEP_ALL); history bounds are the library's tuned defaults.
      this.reader = this.participant.createReader({reliable: true, history: {kind: 'keep-all'}})
      this.writer = this.participant.createWriter({reliable: true, history: {kind: 'keep-all'}})
    } catch (error) {
      this.participant.close()
      throw error
    }
    this.participant.on('participant', (event) => this.eventHandler({kind: event.kind, name: event.name}))
    this.writer.on('matched', (event) => this.eventHandler({kind: 'matched', entity: 'writer', count: event.count}))
    this.reader.on('matched', (event) => this.eventHandler({kind: 'matched', entity: 'reader', count: event.count}))
  }

  publish(message: string): WriteResult {
    return this.writer.write(message)
  }

  onSamples(handler: (batch: Sample[]) => void): void {
    this.reader.removeAllListeners('samples')
    this.reader.on('samples', handler)
  }

  onEvent(handler: (event: BusEvent) => void): void {
    this.eventHandler = handler
  }

  status(): BusStatus {
    if (this.closed) return {ready: false, matchedReaders: 0, matchedWriters: 0, peers: []}
    const matchedReaders = this.writer.matchedReaders
    return {
      ready: matchedReaders >= 1,
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
