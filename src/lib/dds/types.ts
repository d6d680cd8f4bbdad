/** Public types of chatdds's DDS library (src/lib/dds). Commands and the chat server use only these. */

/** The wire contract (README, "The wire contract"): never change without a new issue. */
export const TOPIC_NAME = 'User Messages'
export const TYPE_NAME = 'Chat::UserMessage'
export const DEFAULT_DOMAIN = 10

/** One unicast peer to announce ourselves to; port omitted = every well-known SPDP port of the domain. */
export interface Peer {
  address: string
  port?: number
}

/** One participant property (Fast DDS PropertyPolicy), passed to Fast DDS as it is: how DDS Security is switched on. */
export interface DdsProperty {
  name: string
  value: string
}

/** Discovery/transport settings of one participant (what an rtps.ini maps to). */
export interface DdsConfig {
  /** Interface the transport binds to and sends from. Default 127.0.0.1. */
  interface: string
  /** SPDP/SEDP/user multicast. Default false. Only ever on `interface`. */
  multicast: boolean
  /** Unicast initial peers. Default 127.0.0.1 (all participant ids up to maxParticipantId). */
  initialPeers: Peer[]
  /** Participant-id range probed on each initial peer without a port. Default 32. */
  maxParticipantId: number
  /** Participant announcement period, seconds. */
  announcementPeriod: number
  /** Participant lease duration, seconds: a silent participant is dropped after this. */
  leaseDuration: number
  /** Multicast TTL. */
  ttl: number
  /** Multicast group address for SPDP when multicast is on (InteropMulticastOverride). Default 239.255.0.1. */
  multicastAddress: string
  /** UDP socket buffer sizes in bytes. */
  socketBufferSize: number
  /** Participant properties (security.ts builds DDS Security's). Default none. */
  properties: DdsProperty[]
}

export interface ParticipantOptions {
  domain?: number
  /** Participant name, visible to other participants (spy shows it). */
  name?: string
  config?: Partial<DdsConfig>
  /**
   * Announced to the domain in discovery (DDS user data). Participants announcing the same non-empty user data
   * are kin: a reader can ignore their samples (ReaderQos.ignoreKin), and Writer.strangerReaders /
   * Reader.strangerWriters count only the endpoints of the others. Default none.
   */
  userData?: string
}

/**
 * QoS of a writer or reader. A new field goes here, in participant.ts's ENDPOINT_DEFAULTS and nativeEndpointQos, and in
 * the binding's ReadEndpointQos (a reader-only or writer-only one in ReaderQos / WriterQos, defaulted in nativeEndpointQos).
 */
export interface EndpointQos {
  /** Default RELIABLE (the wire contract). */
  reliable?: boolean
  /** Default VOLATILE. */
  durability?: 'volatile' | 'transient-local'
  /** Default KEEP_ALL. */
  history?: {kind: 'keep-all'} | {kind: 'keep-last'; depth: number}
  /** Max samples held in the history (KEEP_ALL back-pressure bound). Default DEFAULT_MAX_SAMPLES. */
  maxSamples?: number
  /** Default none. */
  partitions?: string[]
  /** Topic name; default `User Messages`. Every topic carries the type Chat::UserMessage (one string). */
  topic?: string
}

export interface WriterQos extends EndpointQos {
  /** Seconds between the writer's heartbeats. Default DEFAULT_HEARTBEAT_PERIOD. */
  heartbeatPeriod?: number
}

export interface ReaderQos extends EndpointQos {
  /** Drop every sample written by a kin participant (ParticipantOptions.userData), this one included. Default false. */
  ignoreKin?: boolean
}

/** One sample read from `User Messages`, with the parts of its SampleInfo chatdds uses. */
export interface Sample {
  /** The sample's `message` string, exactly as written. */
  message: string
  /** Message id: `<writer GUID hex>:<sequence number>` — the same at every reader. */
  id: string
  /** Writer GUID, 32 hex digits (participant GUID prefix + entity id). */
  writer: string
  /** RTPS sequence number of the sample in its writer. */
  seq: number
  /** Source timestamp, ms since the epoch. */
  sourceTimestamp: number
  /** Name of the writing participant, when discovery knows it. */
  participantName?: string
}

export interface WriteResult {
  id: string
  writer: string
  seq: number
}

export interface ParticipantEvent {
  kind: 'joined' | 'left' | 'dropped'
  /** Participant GUID prefix, 24 hex digits. */
  guidPrefix: string
  name: string
}

/** A participant that DDS Security refused (failed authentication or access control): emitted as 'refused'. */
export interface RefusedEvent {
  /** Participant GUID prefix, 24 hex digits. */
  guidPrefix: string
  /** What it announced itself as; empty when discovery had not named it. */
  name: string
}

export interface MatchedEvent {
  entity: 'writer' | 'reader'
  /** Current matched count after the change. */
  count: number
  /** +1 matched, -1 unmatched. */
  change: number
}

/** Errors thrown by the DDS library carry one of these codes. */
export type DdsErrorCode =
  | 'EINVAL' // bad argument or setting (bad usage), caught before native code
  | 'EINI' // an rtps.ini that cannot be read, is not a regular file, is too large or is malformed
  | 'EADDRNOTAVAIL' // the interface address is not one of this host's: Fast DDS would open no socket at all
  | 'EDDS' // Fast DDS refused (return code in message)
  | 'ECLOSED' // entity already closed
  | 'EBUSY' // writer history full: retry later
  | 'ENOBINDING' // the native binding is not built
  | 'ESECURITY' // a DDS Security file that is missing, unreadable, expired, mismatched or badly signed

export class DdsError extends Error {
  constructor(
    public readonly code: DdsErrorCode,
    message: string,
  ) {
    super(message)
    this.name = 'DdsError'
  }
}
