/**
 * Message ids and resume cursors (docs/protocol.md). A message id is the DDS sample identity,
 * `<writer GUID hex>:<RTPS sequence number>`, the same at every instance; a cursor says, per
 * writer, the last sequence number a client has seen.
 */

/** One writer's sample: what a message id names. */
export interface SampleIdentity {
  writer: string
  seq: number
}

/** A cursor on the wire: `{"<writer>": lastSeq, …}`. */
export type Cursor = Record<string, number>

/** A cursor as the server reads it: writer → last sequence number seen. */
export type CursorMap = Map<string, number>

export function messageId(writer: string, seq: number): string {
  return `${writer}:${seq}`
}

const isSeq = (seq: unknown): seq is number => typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0

/** Splits a message id `<writer>:<seq>`; undefined when it has another shape. */
export function parseMessageId(id: string): SampleIdentity | undefined {
  const colon = id.lastIndexOf(':')
  if (colon <= 0) return undefined
  const seq = Number(id.slice(colon + 1))
  if (!isSeq(seq)) return undefined
  return {writer: id.slice(0, colon), seq}
}

/** A resume cursor from the wire: one message id or `{"<writer>": seq, …}`; undefined when it is neither. */
export function parseCursor(cursor: unknown): CursorMap | undefined {
  if (typeof cursor === 'string') {
    const parsed = parseMessageId(cursor)
    return parsed && new Map([[parsed.writer, parsed.seq]])
  }
  if (typeof cursor === 'object' && cursor !== null && !Array.isArray(cursor)) {
    const map: CursorMap = new Map()
    for (const [writer, seq] of Object.entries(cursor)) {
      if (writer.length === 0 || !isSeq(seq)) return undefined
      map.set(writer, seq)
    }
    return map
  }
  return undefined
}
