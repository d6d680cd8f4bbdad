/** A `User Messages` sample as chatdds keeps it (history) and sends it (message frames). */
import {decodeMessage, encodeEnvelope, type ChatMessage} from './envelope.js'

export interface StoredMessage {
  /** `<writer>:<seq>`, the DDS sample identity. */
  id: string
  writer: string
  seq: number
  room: string
  from: string | null
  text: string
  ts: number
  origin: string | null
  /** True when the sample was a chatdds envelope (needed to hand the message over as it was written). */
  envelope?: boolean
}

/** The fields of a sample that make a message. */
export interface SampleFields {
  id: string
  writer: string
  seq: number
  message: string
  sourceTimestamp: number
}

/** What a sample means, in the shape history keeps: plain samples get room `general` and the DDS source timestamp. */
export function storedMessage(sample: SampleFields, decoded: ChatMessage = decodeMessage(sample.message)): StoredMessage {
  return {
    id: sample.id,
    writer: sample.writer,
    seq: sample.seq,
    room: decoded.room,
    from: decoded.from,
    text: decoded.text,
    ts: decoded.ts ?? sample.sourceTimestamp,
    origin: decoded.origin,
    envelope: decoded.envelope,
  }
}

/** The `message` string of a held message again, as `storedMessage` reads it (for the history hand-over). */
export function sampleMessage(message: StoredMessage): string {
  if (!message.envelope) return message.text
  return encodeEnvelope({room: message.room, from: message.from, text: message.text, ts: message.ts, origin: message.origin})
}
