/** The typed wrapper over the native binding: one participant on one domain, writers and readers of `User Messages`. */
import {EventEmitter} from 'node:events'
import {assertHostInterface, discoveryWindowMs, INITIAL_ANNOUNCEMENTS, resolveConfig, validateDomain} from './config.js'
import {isSecure} from './security.js'
import {nativeBinding, type NativeEvent, type NativeParticipant, type NativeParticipantConfig, type NativeReaderQos, type NativeWriterQos} from './native.js'
import {
  DEFAULT_DOMAIN,
  TOPIC_NAME,
  DdsError,
  type DdsConfig,
  type EndpointQos,
  type MatchedEvent,
  type ParticipantEvent,
  type ParticipantOptions,
  type ReaderQos,
  type RefusedEvent,
  type Sample,
  type WriteResult,
  type WriterQos,
} from './types.js'

/** Samples a KEEP_ALL history may hold before the writer reports EBUSY: far above any burst a chat sees, yet bounded. */
export const DEFAULT_MAX_SAMPLES = 100_000
/**
 * Seconds between a writer's heartbeats. Tuned for throughput on loopback, measured in bench/dds-throughput: frequent
 * heartbeats let readers acknowledge quickly so that a KEEP_ALL history drains instead of filling up.
 */
export const DEFAULT_HEARTBEAT_PERIOD = 0.005
/** Longest wait the binding accepts (Fast DDS durations hold int32 seconds). */
const MAX_SECONDS = 2 ** 31 - 1

/** The default of every endpoint QoS field: the binding has none of its own. */
export const ENDPOINT_DEFAULTS = {
  reliable: true,
  durability: 'volatile',
  history: {kind: 'keep-all'},
  maxSamples: DEFAULT_MAX_SAMPLES,
  partitions: [],
  topic: TOPIC_NAME,
  heartbeatPeriod: DEFAULT_HEARTBEAT_PERIOD,
} as const satisfies Required<WriterQos>

const isSeconds = (value: unknown): value is number => typeof value === 'number' && value > 0 && value <= MAX_SECONDS

/** @internal Validates a writer or reader QoS and fills in every default: what the binding's createEndpoint takes. */
export function nativeEndpointQos(kind: 'writer', qos?: WriterQos): NativeWriterQos
export function nativeEndpointQos(kind: 'reader', qos?: ReaderQos): NativeReaderQos
export function nativeEndpointQos(kind: 'writer' | 'reader', qos: WriterQos & ReaderQos = {}): NativeReaderQos | NativeWriterQos {
  if (typeof qos !== 'object' || qos === null) throw new DdsError('EINVAL', `A ${kind} QoS must be an object, got ${String(qos)}.`)
  const {reliable, durability, history, maxSamples, partitions, topic} = {...ENDPOINT_DEFAULTS, ...stripUndefined(qos as EndpointQos)}
  if (typeof reliable !== 'boolean') throw new DdsError('EINVAL', `reliable must be true or false, got ${String(reliable)}.`)
  if (durability !== 'volatile' && durability !== 'transient-local')
    throw new DdsError('EINVAL', `durability must be "volatile" or "transient-local", got ${String(durability)}.`)
  const historyKind: unknown = history?.kind
  if (historyKind !== 'keep-all' && historyKind !== 'keep-last')
    throw new DdsError('EINVAL', `history.kind must be "keep-all" or "keep-last", got ${String(historyKind)}.`)
  if (history.kind === 'keep-last' && !(Number.isInteger(history.depth) && history.depth > 0 && history.depth <= MAX_SECONDS)) {
    throw new DdsError('EINVAL', `KEEP_LAST depth must be a positive integer, got ${history.depth}.`)
  }
  if (!(Number.isInteger(maxSamples) && maxSamples > 0 && maxSamples <= MAX_SECONDS))
    throw new DdsError('EINVAL', `maxSamples must be a positive integer, got ${maxSamples}.`)
  if (!Array.isArray(partitions) || !partitions.every((name) => typeof name === 'string' && name.length > 0))
    throw new DdsError('EINVAL', 'Partition names must be non-empty strings.')
  if (typeof topic !== 'string' || topic.length === 0) throw new DdsError('EINVAL', 'A topic name must be a non-empty string.')
  const common = {
    topic,
    reliable,
    transientLocal: durability === 'transient-local',
    keepLast: history.kind === 'keep-last',
    depth: history.kind === 'keep-last' ? history.depth : 1,
    maxSamples: history.kind === 'keep-last' ? Math.max(maxSamples, history.depth) : maxSamples,
    partitions: [...partitions],
  }
  if (kind === 'reader') {
    const ignoreKin = qos.ignoreKin ?? false
    if (typeof ignoreKin !== 'boolean') throw new DdsError('EINVAL', `ignoreKin must be true or false, got ${String(ignoreKin)}.`)
    return {...common, ignoreKin}
  }
  const heartbeatPeriod = qos.heartbeatPeriod ?? ENDPOINT_DEFAULTS.heartbeatPeriod
  if (!isSeconds(heartbeatPeriod)) throw new DdsError('EINVAL', `heartbeatPeriod must be a number of seconds above 0, got ${String(heartbeatPeriod)}.`)
  return {...common, heartbeatPeriod}
}

/** @internal What the binding's Participant constructor takes: a resolved DdsConfig, every field present. */
export function nativeParticipantConfig(name: string, config: DdsConfig, userData = ''): NativeParticipantConfig {
  return {
    name,
    userData,
    interface: config.interface,
    multicast: config.multicast,
    multicastAddress: config.multicastAddress,
    initialPeers: config.initialPeers.map((peer) => ({address: peer.address, port: peer.port ?? 0})),
    maxParticipantId: config.maxParticipantId,
    announcementPeriod: config.announcementPeriod,
    leaseDuration: config.leaseDuration,
    ttl: config.ttl,
    socketBufferSize: config.socketBufferSize,
    initialAnnouncements: INITIAL_ANNOUNCEMENTS.count,
    initialAnnouncementPeriod: INITIAL_ANNOUNCEMENTS.period,
    properties: config.properties.map(({name, value}) => ({name, value})),
  }
}

/** Turns an error of the binding into a DdsError with its code (EINVAL, ECLOSED, else EDDS). */
function nativeError(error: unknown): never {
  const err = error as Error & {code?: string}
  if (err instanceof DdsError) throw err
  const code = err.code === 'ECLOSED' || err.code === 'EINVAL' ? err.code : 'EDDS'
  throw new DdsError(code, err.message)
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** Open participants: closed when the process exits, before Node tears down the environment (and with it the binding's callbacks). */
const openParticipants = new Set<Participant>()
process.on('exit', () => {
  for (const open of [...openParticipants]) open.close()
})

/** What each emitter of this module emits, and with which arguments. */
export interface ParticipantEvents {
  participant: [event: ParticipantEvent]
  refused: [event: RefusedEvent]
  close: []
}

export interface WriterEvents {
  matched: [event: MatchedEvent]
}

export interface ReaderEvents {
  samples: [samples: Sample[]]
  matched: [event: MatchedEvent]
}

/**
 * A DDS domain participant. Emits 'participant' (ParticipantEvent) for every participant that
 * joins or leaves the domain. Close it (or let the process exit) to leave the domain.
 *
 * With DDS Security on, a participant has joined only once it passed authentication and access
 * control: discovery alone names every program that announces itself, and one that fails is
 * emitted as 'refused' (RefusedEvent) instead, never as 'joined'.
 */
export class Participant extends EventEmitter<ParticipantEvents> {
  readonly domain: number
  readonly name: string
  /** What it announces as DDS user data (ParticipantOptions.userData); empty for none. */
  readonly userData: string
  /** The resolved settings it joined with. */
  readonly config: DdsConfig
  private native: NativeParticipant | undefined
  private readonly entities = new Map<number, Writer | Reader>()
  private readonly peers = new Map<string, string>()
  /** DDS Security: participants discovered but not (yet) authorized, by GUID prefix. */
  private readonly unauthorized = new Map<string, string>()
  private readonly secure: boolean

  constructor(options: ParticipantOptions = {}) {
    super()
    this.domain = validateDomain(options.domain ?? DEFAULT_DOMAIN)
    this.name = options.name ?? `chatdds-${process.pid}`
    if (typeof this.name !== 'string' || this.name.length === 0) throw new DdsError('EINVAL', 'A participant name must be a non-empty string.')
    const config = (this.config = resolveConfig(options.config))
    const userData = (this.userData = options.userData ?? '')
    if (typeof userData !== 'string') throw new DdsError('EINVAL', 'userData must be a string.')
    this.secure = isSecure(config)
    assertHostInterface(config.interface)
    const {Participant: NativeParticipantClass} = nativeBinding()
    try {
      this.native = new NativeParticipantClass(this.domain, nativeParticipantConfig(this.name, config, userData), (batch) => this.dispatch(batch))
    } catch (error) {
      nativeError(error)
    }
    openParticipants.add(this)
  }

  /** Participant GUID prefix, 24 hex digits (the first 24 of each of its writers' GUIDs). */
  get guidPrefix(): string {
    return this.call((n) => n.guidPrefix())
  }

  /** Names of the other participants currently in the domain, by GUID prefix. */
  get participants(): Map<string, string> {
    return new Map(this.peers)
  }

  get closed(): boolean {
    return this.native === undefined
  }

  /**
   * Another live participant of the domain with this participant's name: resolves with it as soon as discovery
   * reports it, or with undefined once `ms` (default discoveryWindowMs) passed without one or the participant closed.
   */
  findNamesake(ms = discoveryWindowMs(this.config)): Promise<ParticipantEvent | undefined> {
    const known = [...this.peers].find(([, name]) => name === this.name)
    if (known) return Promise.resolve({kind: 'joined', guidPrefix: known[0], name: known[1]})
    if (this.closed) return Promise.resolve(undefined)
    return new Promise((resolve) => {
      const done = (namesake?: ParticipantEvent) => {
        clearTimeout(timer)
        this.off('participant', onParticipant)
        this.off('close', onClose)
        resolve(namesake)
      }
      const onParticipant = (event: ParticipantEvent) => {
        if (event.kind === 'joined' && event.name === this.name) done(event)
      }
      const onClose = () => done()
      const timer = setTimeout(done, ms)
      this.on('participant', onParticipant)
      this.on('close', onClose)
    })
  }

  createWriter(qos?: WriterQos): Writer {
    const native = this.open()
    const id = this.call((n) => n.createEndpoint('writer', nativeEndpointQos('writer', qos)))
    const writer = new Writer(
      this,
      native,
      id,
      this.call((n) => n.writerGuid(id)),
    )
    this.entities.set(id, writer)
    return writer
  }

  createReader(qos?: ReaderQos): Reader {
    const native = this.open()
    const id = this.call((n) => n.createEndpoint('reader', nativeEndpointQos('reader', qos)))
    const reader = new Reader(this, native, id)
    this.entities.set(id, reader)
    return reader
  }

  /** Leaves the domain: deletes every writer, reader and the participant. Idempotent. */
  close(): void {
    if (!this.native) return
    const native = this.native
    this.native = undefined
    openParticipants.delete(this)
    for (const entity of this.entities.values()) entity.markClosed()
    this.entities.clear()
    native.close()
    this.emit('close')
  }

  /** @internal */
  forget(id: number): void {
    this.entities.delete(id)
    if (this.native) this.call((n) => n.deleteEntity(id))
  }

  private open(): NativeParticipant {
    if (!this.native) throw new DdsError('ECLOSED', 'The DDS participant is closed.')
    return this.native
  }

  private call<T>(fn: (native: NativeParticipant) => T): T {
    const native = this.open()
    try {
      return fn(native)
    } catch (error) {
      nativeError(error)
    }
  }

  private dispatch(batch: NativeEvent[]): void {
    let samples: {reader: Reader; samples: Sample[]} | undefined
    const flush = () => {
      if (samples) samples.reader.emit('samples', samples.samples)
      samples = undefined
    }
    for (const event of batch) {
      if (event.kind === 'sample') {
        const reader = this.entities.get(event.entity)
        if (!(reader instanceof Reader)) continue
        if (samples && samples.reader !== reader) flush()
        samples ??= {reader, samples: []}
        samples.samples.push({
          message: event.message,
          id: `${event.writer}:${event.seq}`,
          writer: event.writer,
          seq: event.seq,
          sourceTimestamp: event.sourceTimestamp,
          participantName: event.participantName,
        })
        continue
      }
      flush()
      if (event.kind === 'participant') {
        const change = this.participantChange(event)
        if (change) this.emit('participant', change)
      } else {
        const entity = this.entities.get(event.entity)
        const out: MatchedEvent = {entity: entity instanceof Writer ? 'writer' : 'reader', count: event.count, change: event.change}
        entity?.emit('matched', out)
      }
    }
    flush()
  }

  /** What a discovery or authentication event means for the 'participant' event: joined, left, or nothing. */
  private participantChange(event: Extract<NativeEvent, {kind: 'participant'}>): ParticipantEvent | undefined {
    const {status, guidPrefix} = event
    if (status === 'changed') return undefined
    if (status === 'joined' && this.secure) {
      this.unauthorized.set(guidPrefix, event.name)
      return undefined
    }
    if (status === 'joined' || status === 'authorized') {
      const name = this.unauthorized.get(guidPrefix) ?? event.name
      this.unauthorized.delete(guidPrefix)
      this.peers.set(guidPrefix, name)
      return {kind: 'joined', guidPrefix, name}
    }
    if (status === 'unauthorized') {
      const refused: RefusedEvent = {guidPrefix, name: this.unauthorized.get(guidPrefix) ?? event.name}
      this.unauthorized.delete(guidPrefix)
      this.emit('refused', refused)
      return undefined
    }
    // Left or dropped: only a participant that had joined leaves (with DDS Security, an unauthorized one never had).
    const name = this.peers.get(guidPrefix)
    this.unauthorized.delete(guidPrefix)
    this.peers.delete(guidPrefix)
    if (name === undefined && this.secure) return undefined
    return {kind: status, guidPrefix, name: name ?? event.name}
  }
}

abstract class Endpoint<Events extends Record<keyof Events, unknown[]>> extends EventEmitter<Events> {
  private isClosed = false

  constructor(
    protected readonly participant: Participant,
    protected readonly native: NativeParticipant,
    readonly handle: number,
  ) {
    super()
  }

  get closed(): boolean {
    return this.isClosed || this.participant.closed
  }

  /** @internal */
  markClosed(): void {
    this.isClosed = true
  }

  protected check(): void {
    if (this.closed) throw new DdsError('ECLOSED', 'This DDS endpoint is closed.')
  }

  protected matched(): number {
    try {
      return this.native.matched(this.handle)
    } catch (error) {
      nativeError(error)
    }
  }

  protected strangers(): number {
    this.check()
    try {
      return this.native.strangers(this.handle)
    } catch (error) {
      nativeError(error)
    }
  }

  close(): void {
    if (this.closed) return
    this.markClosed()
    this.participant.forget(this.handle)
  }
}

/** A writer of `User Messages`. Emits 'matched' (MatchedEvent). */
export class Writer extends Endpoint<WriterEvents> {
  constructor(
    participant: Participant,
    native: NativeParticipant,
    handle: number,
    /** Writer GUID, 32 hex digits. */
    readonly guid: string,
  ) {
    super(participant, native, handle)
  }

  /** Writes one sample; returns its id. Throws DdsError 'EBUSY' when the history is full (retry later). */
  write(text: string): WriteResult {
    if (typeof text !== 'string') throw new DdsError('EINVAL', 'A message must be a string.')
    this.check()
    let seq: number
    try {
      seq = this.native.write(this.handle, text)
    } catch (error) {
      nativeError(error)
    }
    if (seq < 0) throw new DdsError('EBUSY', 'The DDS writer history is full; retry once readers have caught up.')
    return {id: `${this.guid}:${seq}`, writer: this.guid, seq}
  }

  /** Readers currently matched (our own reader included). */
  get matchedReaders(): number {
    this.check()
    return this.matched()
  }

  /** Matched readers of participants that are not kin (ParticipantOptions.userData). */
  get strangerReaders(): number {
    return this.strangers()
  }

  /**
   * Resolves true once every matched reader acknowledged every sample, false when `seconds` pass first or the writer
   * closes meanwhile. Waits on a worker thread: the event loop runs on.
   */
  async waitForAcknowledgments(seconds = 5): Promise<boolean> {
    if (!(typeof seconds === 'number' && seconds >= 0 && seconds <= MAX_SECONDS)) {
      throw new DdsError('EINVAL', `waitForAcknowledgments takes a number of seconds from 0 to ${MAX_SECONDS}, got ${seconds}.`)
    }
    this.check()
    try {
      return await this.native.waitForAcknowledgments(this.handle, seconds)
    } catch (error) {
      nativeError(error)
    }
  }
}

/** A reader of `User Messages`. Emits 'samples' (Sample[]) in batches and 'matched' (MatchedEvent). */
export class Reader extends Endpoint<ReaderEvents> {
  /** Writers currently matched (our own writer included). */
  get matchedWriters(): number {
    this.check()
    return this.matched()
  }

  /** Matched writers of participants that are not kin (ParticipantOptions.userData). */
  get strangerWriters(): number {
    return this.strangers()
  }
}
