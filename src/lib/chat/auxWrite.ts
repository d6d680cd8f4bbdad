/** Writing on the auxiliary topics: one place that turns a refused write into a warning, and splits answers into samples. */
import {encodeHistoryEntry, sampleMessage, type StoredMessage} from '../wire/index.js'
import type {AuxTopic, Bus} from './bus.js'
import type {Logger} from './log.js'

/** An answer sample carries about this much JSON at most (one message larger than it goes alone). */
const MAX_ANSWER_BYTES = 256 * 1024

/** Writes one sample on `topic`; false, with a warning naming `what`, when DDS refused it. */
export function writeAux(bus: Bus, logger: Logger, topic: AuxTopic, message: string, what: string): boolean {
  try {
    bus.publishAux(topic, message)
    return true
  } catch (error) {
    logger.warn(`Could not write ${what} to DDS (${(error as Error).message})`)
    return false
  }
}

/**
 * Writes a history or repair answer on `chatdds History`: `head` (an answer up to the opening of its
 * `messages` array) with the messages, as samples of about 256 KiB; a message is serialized once.
 * With no messages, one sample all the same when `emptyToo`. False once a write fails.
 */
export function writeAnswer(bus: Bus, logger: Logger, head: string, messages: StoredMessage[], what: string, emptyToo: boolean): boolean {
  let chunk: string[] = []
  let bytes = head.length
  const flush = () => {
    const sample = `${head}${chunk.join(',')}]}`
    chunk = []
    bytes = head.length
    return writeAux(bus, logger, 'history', sample, what)
  }
  for (const message of messages) {
    const entry = encodeHistoryEntry({id: message.id, writer: message.writer, seq: message.seq, message: sampleMessage(message), sourceTimestamp: message.ts})
    if (chunk.length > 0 && bytes + entry.length + 1 > MAX_ANSWER_BYTES && !flush()) return false
    chunk.push(entry)
    bytes += entry.length + 1
  }
  return chunk.length > 0 || emptyToo ? flush() : true
}
