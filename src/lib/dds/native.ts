/** Loads the compiled Fast DDS binding (build/Release/chatdds.node, built by node-gyp at `npm ci`). */
import {createRequire} from 'node:module'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {DdsError} from './types.js'

/** One event of a batch delivered by the binding on the JS thread. */
export type NativeEvent =
  | {kind: 'sample'; entity: number; message: string; writer: string; seq: number; sourceTimestamp: number; participantName?: string}
  | {kind: 'participant'; status: 'joined' | 'left' | 'dropped' | 'changed'; guidPrefix: string; name: string}
  | {kind: 'matched'; entity: number; count: number; change: number}

export interface NativeEndpointQos {
  reliable: boolean
  transientLocal: boolean
  keepLast: boolean
  depth: number
  maxSamples: number
  partitions: string[]
  heartbeatPeriod?: number
  topic: string
}

export interface NativeParticipant {
  createWriter(qos: NativeEndpointQos): number
  createReader(qos: NativeEndpointQos): number
  /** Sequence number of the written sample, or -1 when the writer history is full. */
  write(writer: number, text: string): number
  writerGuid(writer: number): string
  matched(entity: number): number
  waitForAcknowledgments(writer: number, seconds: number): boolean
  deleteEntity(entity: number): void
  close(): void
  guidPrefix(): string
}

interface NativeModule {
  Participant: new (domain: number, config: object, onEvents: (batch: NativeEvent[]) => void) => NativeParticipant
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
