/** Loads the compiled Fast DDS binding (build/Release/chatdds.node, built by node-gyp at `npm ci`) and describes its contract. */
import {createRequire} from 'node:module'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {DdsError} from './types.js'

/** One event of a batch delivered by the binding on the JS thread. */
export type NativeEvent =
  | {kind: 'sample'; entity: number; message: string; writer: string; seq: number; sourceTimestamp: number; participantName?: string}
  | {kind: 'participant'; status: 'joined' | 'left' | 'dropped' | 'changed' | 'authorized' | 'unauthorized'; guidPrefix: string; name: string}
  | {kind: 'matched'; entity: number; count: number; change: number}

/**
 * Every field is required: the binding has no defaults of its own (participant.ts and config.ts
 * own them) and throws a TypeError with code EINVAL for a missing or bad field.
 */
export interface NativeParticipantConfig {
  name: string
  /** Announced in discovery (may be empty): participants announcing the same non-empty user data are kin. */
  userData: string
  interface: string
  multicast: boolean
  multicastAddress: string
  /** port 0: every well-known SPDP port of the domain, up to maxParticipantId. */
  initialPeers: Array<{address: string; port: number}>
  maxParticipantId: number
  announcementPeriod: number
  leaseDuration: number
  ttl: number
  socketBufferSize: number
  /** Announcements sent right after start, every initialAnnouncementPeriod seconds. */
  initialAnnouncements: number
  initialAnnouncementPeriod: number
  /** Participant properties, set as they are (DDS Security's dds.sec.* among them); may be empty. */
  properties: Array<{name: string; value: string}>
}

export interface NativeEndpointQos {
  topic: string
  reliable: boolean
  transientLocal: boolean
  keepLast: boolean
  /** KEEP_LAST depth; 1 under KEEP_ALL. */
  depth: number
  maxSamples: number
  partitions: string[]
}

export interface NativeReaderQos extends NativeEndpointQos {
  /** Drop the samples of kin participants (this one included) before they reach JS. */
  ignoreKin: boolean
}

export interface NativeWriterQos extends NativeEndpointQos {
  /** Seconds. */
  heartbeatPeriod: number
}

export interface NativeParticipant {
  /** Handle of a new writer or reader. */
  createEndpoint(kind: 'writer', qos: NativeWriterQos): number
  createEndpoint(kind: 'reader', qos: NativeReaderQos): number
  /** Sequence number of the written sample, or -1 when the writer history is full. */
  write(writer: number, text: string): number
  writerGuid(writer: number): string
  matched(entity: number): number
  /** Endpoints matched with that writer or reader whose participant is not kin. */
  strangers(entity: number): number
  /** Waits on a worker thread; false when `seconds` passed first or the writer was deleted meanwhile. */
  waitForAcknowledgments(writer: number, seconds: number): Promise<boolean>
  deleteEntity(entity: number): void
  close(): void
  guidPrefix(): string
}

export interface NativeModule {
  Participant: new (domain: number, config: NativeParticipantConfig, onEvents: (batch: NativeEvent[]) => void) => NativeParticipant
}

let loaded: NativeModule | undefined

export function nativeBinding(): NativeModule {
  if (loaded) return loaded
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
  const file = path.join(root, 'build', 'Release', 'chatdds.node')
  try {
    loaded = createRequire(import.meta.url)(file) as NativeModule
  } catch (error) {
    throw new DdsError(
      'ENOBINDING',
      `The Fast DDS binding is not built (${(error as Error).message.split('\n')[0]}); run \`npm ci\` after \`apt-get install -y libfastrtps-dev libfastcdr-dev\`.`,
    )
  }
  return loaded
}
