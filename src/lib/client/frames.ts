/** The chatdds.v1 frames a client sends and receives (docs/protocol.md). */

export const SUBPROTOCOL = 'chatdds.v1'

export type Ref = string | number

export interface HelloFrame {
  type: 'hello'
  protocol?: string
  instance?: string
  name?: string
  maxPayload?: number
  ref?: Ref
}

export interface MessageFrame {
  type: 'message'
  /** `<writer guid hex>:<seq>`, the same at every instance. */
  id: string
  room: string
  /** null for plain (non-chatdds) messages. */
  from: string | null
  text: string
  ts: number
  /** Instance that wrote it; null for plain messages. */
  origin: string | null
  /** True for history / resume replays sent right after `joined`. */
  replay?: boolean
  ref?: undefined
}

export interface JoinedFrame {
  type: 'joined'
  room: string
  ref?: Ref
  /** False when the cursor named messages older than the instance still holds: a gap may exist. */
  recovered?: boolean
  replayed?: number
}

export interface LeftFrame {
  type: 'left'
  room: string
  ref?: Ref
}

export interface AckFrame {
  type: 'ack'
  ref?: Ref
  id: string
  ts: number
}

export interface ErrorFrame {
  type: 'error'
  code: string
  message: string
  ref?: Ref
}

export type ServerFrame =
  | HelloFrame
  | MessageFrame
  | JoinedFrame
  | LeftFrame
  | AckFrame
  | ErrorFrame
  | {type: 'presence' | 'pong'; ref?: Ref; [key: string]: unknown}

/** The fields of a message that `tail --json` prints, one object per line. */
export function messageRecord(m: MessageFrame): Pick<MessageFrame, 'id' | 'room' | 'from' | 'text' | 'ts' | 'origin'> {
  return {id: m.id, room: m.room, from: m.from ?? null, text: m.text, ts: m.ts, origin: m.origin ?? null}
}
