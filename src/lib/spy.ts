/** `chatdds spy`: a plain DDS reader of `User Messages` that reports every sample, decoded, and, optionally, who is in the domain. */
import {Participant, type DdsConfig, type ParticipantEvent, type RefusedEvent} from './dds/index.js'
import {ChatddsError} from './errors.js'
import {decodeMessage, type ChatMessage} from './wire/index.js'

export interface SpiedSample {
  /** When this spy received it, ms since the epoch. */
  receivedAt: number
  id: string
  writer: string
  seq: number
  sourceTimestamp: number
  /** Name of the writing participant, or null when discovery did not name it. */
  participant: string | null
  /** The raw `message` string. */
  message: string
  /** What the string means: a chatdds envelope (envelope true) or a plain message. */
  decoded: ChatMessage
}

export interface SpyOptions {
  domain: number
  config?: Partial<DdsConfig>
  /** Resolve `done` after this many samples. */
  count?: number
  /** Seconds; `done` rejects (ETIMEDOUT) if `count` samples have not arrived by then, else resolves. */
  timeout?: number
  onSample(sample: SpiedSample): void
  onParticipant?(event: ParticipantEvent & {at: number}): void
  /** DDS Security: a participant that failed authentication or access control. */
  onRefused?(event: RefusedEvent & {at: number}): void
}

export interface Spy {
  /** Resolves with the number of samples seen once `count` arrived or the timeout ended a count-less spy. */
  done: Promise<number>
  close(): void
}

export function startSpy(options: SpyOptions): Spy {
  const participant = new Participant({domain: options.domain, name: `chatdds-spy-${process.pid}`, config: options.config})
  // VOLATILE and RELIABLE, like the reference servers' reader: it matches every writer of the topic.
  const reader = participant.createReader()
  let seen = 0
  let timer: NodeJS.Timeout | undefined
  // The binding does not keep the process alive while idle; a spy must stay until told to stop.
  const keepAlive = setInterval(() => {}, 60_000)
  let settle!: (error?: Error) => void
  const done = new Promise<number>((resolve, reject) => {
    settle = (error) => {
      if (timer) clearTimeout(timer)
      clearInterval(keepAlive)
      participant.close()
      if (error) reject(error)
      else resolve(seen)
    }
  })

  if (options.onParticipant) participant.on('participant', (event: ParticipantEvent) => options.onParticipant!({...event, at: Date.now()}))
  if (options.onRefused) participant.on('refused', (event: RefusedEvent) => options.onRefused!({...event, at: Date.now()}))
  reader.on('samples', (samples) => {
    for (const sample of samples) {
      if (options.count !== undefined && seen >= options.count) return
      seen++
      options.onSample({
        receivedAt: Date.now(),
        id: sample.id,
        writer: sample.writer,
        seq: sample.seq,
        sourceTimestamp: sample.sourceTimestamp,
        participant: sample.participantName ?? null,
        message: sample.message,
        decoded: decodeMessage(sample.message),
      })
      if (options.count !== undefined && seen >= options.count) return void settle()
    }
  })
  if (options.timeout !== undefined) {
    timer = setTimeout(() => {
      if (options.count === undefined) return settle()
      settle(
        new ChatddsError(
          'ETIMEDOUT',
          `Only ${seen} of ${options.count} samples arrived within ${options.timeout} s; check that writers are on DDS domain ${options.domain} (chatdds spy --participants shows who is there).`,
        ),
      )
    }, options.timeout * 1000)
  }
  return {done, close: () => settle()}
}
