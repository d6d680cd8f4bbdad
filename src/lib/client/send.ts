/** `chatdds send`: send messages and wait until each one came back through the cluster. */
import {performance} from 'node:perf_hooks'
import readline from 'node:readline'

import {ChatddsError} from '../errors.js'
import {ChatClient, DEFAULT_TIMEOUT_MS, describeClose, seconds} from './chatClient.js'
import type {MessageFrame} from '../wire/index.js'

export interface SendOptions {
  host?: string
  port: number
  room?: string
  name?: string
  /** Connect token, when the server requires one. */
  token?: string
  /** The messages, in order; a stream of stdin lines is read while earlier ones are in flight. */
  texts: Iterable<string> | AsyncIterable<string>
  /** Bound on connecting, and on each message's round trip. Default 5000. */
  timeoutMs?: number
  /** Called as each message comes back (for printing progress). */
  onSent?: (sent: SentMessage) => void
}

export interface SentMessage {
  id: string
  text: string
  /** From the send request to the message's own echo, in ms. */
  roundTripMs: number
}

/** Server error codes that mean "later", not "never". */
const RETRYABLE = new Set(['busy', 'rate_limited'])
const MAX_RETRY_DELAY_MS = 1000
/** Bound on remembered not-yet-acked arrivals (other people's messages land there too). */
const MAX_EARLY = 1000

/** The non-empty lines of a stream (stdin), one message each. */
export async function* readLines(input: NodeJS.ReadableStream): AsyncGenerator<string> {
  for await (const line of readline.createInterface({input, crlfDelay: Infinity})) {
    if (line.trim() !== '') yield line
  }
}

/**
 * Connects, joins `room`, sends every text and resolves once each one's own echo (the message whose
 * id the ack named) came back from DDS; rejects with the first failure, having sent nothing after it.
 */
export async function sendMessages(options: SendOptions): Promise<SentMessage[]> {
  const room = options.room ?? 'general'
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const texts = iterate(options.texts)
  // Read the first text before connecting: "nothing to send" is a usage error, not a network one.
  const first = await texts.next()
  if (first.done) throw new ChatddsError('ENOTEXT', 'No text to send; pass TEXT or pipe lines on stdin.', 2)

  const client = await ChatClient.connect({host: options.host, port: options.port, name: options.name, token: options.token, timeoutMs})
  const echoes = new EchoWatcher(client, options.port, timeoutMs)
  try {
    await client.join(room)
    const results: Promise<SentMessage>[] = []
    for (let next: IteratorResult<string> = first; !next.done; next = await texts.next()) {
      echoes.throwIfFailed()
      const text = next.value
      const startedAt = performance.now()
      const id = await sendWithRetry(client, room, text, startedAt + timeoutMs).catch((error) => {
        throw echoes.failure ?? error
      })
      const result = echoes.wait(id, startedAt).then((roundTripMs) => {
        const sent = {id, text, roundTripMs}
        options.onSent?.(sent)
        return sent
      })
      // Rejections surface through throwIfFailed() / Promise.all below; until then they are not "unhandled".
      result.catch(() => {})
      results.push(result)
    }

    return await Promise.all(results)
  } finally {
    echoes.dispose()
    await client.close()
  }
}

function iterate(texts: Iterable<string> | AsyncIterable<string>): AsyncIterator<string> | Iterator<string> {
  return Symbol.asyncIterator in texts ? texts[Symbol.asyncIterator]() : texts[Symbol.iterator]()
}

/** Sends one text; a `busy` / `rate_limited` answer is retried with backoff until `deadline`. */
async function sendWithRetry(client: ChatClient, room: string, text: string, deadline: number): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      const remaining = Math.max(1, deadline - performance.now())
      return (await client.send(room, text, {timeoutMs: remaining})).id
    } catch (error) {
      const delay = Math.min(MAX_RETRY_DELAY_MS, 50 * 2 ** attempt)
      if (!(error instanceof ChatddsError) || !RETRYABLE.has(error.code) || performance.now() + delay > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
}

/** Matches incoming messages with the ids that acks named; an echo may even overtake its ack. */
class EchoWatcher {
  private readonly waiting = new Map<string, {resolve: (at: number) => void; reject: (e: Error) => void; timer: NodeJS.Timeout}>()
  /** Arrival times of messages nobody waits for yet, cleared as acks come in. */
  private readonly early = new Map<string, number>()
  /** The first echo that failed; nothing more is sent after it. */
  failure?: Error

  constructor(
    private readonly client: ChatClient,
    private readonly port: number,
    private readonly timeoutMs: number,
  ) {
    client.on('message', this.onMessage)
    client.once('close', this.onClose)
  }

  /** Resolves with the round trip in ms once message `id` came back; rejects after the timeout. */
  wait(id: string, startedAt: number): Promise<number> {
    const earlyAt = this.early.get(id)
    this.early.clear()
    if (earlyAt !== undefined) return Promise.resolve(Math.round(earlyAt - startedAt))
    if (this.failure) return Promise.reject(this.failure)
    const remaining = Math.max(0, startedAt + this.timeoutMs - performance.now())
    const arrived = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id)
        this.fail(
          new ChatddsError(
            'ETIMEDOUT',
            `Message ${id} did not come back within ${seconds(this.timeoutMs)}; check that \`chatdds serve\` on port ${this.port} is ready (GET /readyz).`,
          ),
          reject,
        )
      }, remaining)
      this.waiting.set(id, {resolve, reject, timer})
    })
    return arrived.then((at) => Math.round(at - startedAt))
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure
  }

  dispose(): void {
    this.client.off('message', this.onMessage)
    this.client.off('close', this.onClose)
    for (const {timer} of this.waiting.values()) clearTimeout(timer)
  }

  private fail(error: Error, reject: (e: Error) => void): void {
    this.failure ??= error
    reject(error)
  }

  private readonly onMessage = (message: MessageFrame) => {
    const at = performance.now()
    const waiter = this.waiting.get(message.id)
    if (!waiter) {
      if (this.early.size >= MAX_EARLY) this.early.delete(this.early.keys().next().value!)
      this.early.set(message.id, at)
      return
    }

    this.waiting.delete(message.id)
    clearTimeout(waiter.timer)
    waiter.resolve(at)
  }

  private readonly onClose = (code: number) => {
    for (const [id, {reject, timer}] of this.waiting) {
      clearTimeout(timer)
      this.fail(
        new ChatddsError(
          'ECONNRESET',
          `The connection to ${this.client.url} closed (${describeClose(code)}) before message ${id} came back; check the server's log and send again.`,
        ),
        reject,
      )
    }

    this.waiting.clear()
  }
}
