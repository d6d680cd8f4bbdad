/**
 * Several chat messages in one DDS sample, between chatdds instances only (docs/protocol.md, "Between
 * chatdds instances"). Each instance numbers the messages it writes 1, 2, 3… and writes them, a run at a
 * time, as one sample of `chatdds Messages`:
 *
 *     chatdds-batch 1 <first seq> <count>\n
 *     <ts> <length>\n<message>      (count times, no separator)
 *
 * `ts` is ms since the epoch, `length` the message's length in UTF-16 code units, `message` exactly the
 * `User Messages` string the instance would have written for it (plain text or a chatdds envelope).
 * A message's id is `<batch writer GUID>:<seq>`: the same at every instance, as a sample identity is.
 * A length-prefixed text, not JSON: a JSON array of envelope strings would escape every quote of every
 * envelope, on write and again on read.
 */
/** The chatdds-only topic that carries batches (same type, Chat::UserMessage, one string). */
export const BATCH_TOPIC = 'chatdds Messages'

/**
 * DDS user data that every chatdds instance announces: instances that see it on a participant read that
 * participant's messages from `chatdds Messages` and ignore its `User Messages` samples, which it writes only
 * for the strangers (foreign programs, spy) that read `User Messages`.
 */
export const INSTANCE_USER_DATA = 'chatdds-instance/1 batches=chatdds Messages'

const MAGIC = 'chatdds-batch 1 '

/** One message of a batch. */
export interface BatchEntry {
  seq: number
  ts: number
  message: string
}

/** The sample that carries `messages`, numbered from `firstSeq`, each with its `ts`. */
export function encodeBatch(firstSeq: number, messages: ReadonlyArray<{message: string; ts: number}>): string {
  let out = `${MAGIC}${firstSeq} ${messages.length}\n`
  for (const {message, ts} of messages) out += `${ts} ${message.length}\n${message}`
  return out
}

/** What the header of a batch says, or why it is not one: enough to skip its sequence numbers without reading it. */
export function batchHeader(sample: string): {firstSeq: number; count: number; bodyStart: number} | {error: string} {
  if (!sample.startsWith(MAGIC)) return {error: 'not a chatdds batch'}
  const end = sample.indexOf('\n', MAGIC.length)
  if (end < 0 || end > MAGIC.length + 40) return {error: 'a batch header without its end'}
  const [first, count, ...rest] = sample.slice(MAGIC.length, end).split(' ')
  const firstSeq = wholeNumber(first)
  const total = wholeNumber(count)
  if (rest.length > 0 || firstSeq === undefined || firstSeq < 1 || total === undefined || total < 1 || !Number.isSafeInteger(firstSeq + total)) {
    return {error: 'a batch header that does not read "<first seq> <count>"'}
  }
  return {firstSeq, count: total, bodyStart: end + 1}
}

/** The messages of a batch sample, or why it is malformed (then none of them is taken). */
export function decodeBatch(sample: string): {entries: BatchEntry[]} | {error: string; firstSeq?: number; count?: number} {
  const header = batchHeader(sample)
  if ('error' in header) return header
  const {firstSeq, count} = header
  const entries: BatchEntry[] = []
  let at = header.bodyStart
  for (let i = 0; i < count; i++) {
    const space = sample.indexOf(' ', at)
    const newline = space < 0 ? -1 : sample.indexOf('\n', space)
    if (space < 0 || newline < 0 || space - at > 16 || newline - space > 12)
      return {error: `entry ${i + 1} of ${count} has no "<ts> <length>" line`, firstSeq, count}
    const ts = wholeNumber(sample.slice(at, space))
    const length = wholeNumber(sample.slice(space + 1, newline))
    if (ts === undefined || length === undefined || newline + 1 + length > sample.length) {
      return {error: `entry ${i + 1} of ${count} has a bad timestamp or a length past the end of the sample`, firstSeq, count}
    }
    entries.push({seq: firstSeq + i, ts, message: sample.slice(newline + 1, newline + 1 + length)})
    at = newline + 1 + length
  }
  if (at !== sample.length) return {error: `${sample.length - at} characters after the last of its ${count} entries`, firstSeq, count}
  return {entries}
}

function wholeNumber(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,16}$/.test(text)) return undefined
  const value = Number(text)
  return Number.isSafeInteger(value) ? value : undefined
}
