/**
 * `chatdds bench`: drives a running cluster with chatdds.v1 clients and counts every delivery.
 *
 * Senders write `chatdds-bench <run> <sender> <seq> <µs>` as message text; each receiver checks every
 * message it gets (per sender: the contiguous prefix seen plus the few seen ahead of it, so memory stays
 * O(1) per sender while the server keeps order) for loss, duplicates and latency. Receivers are plain
 * `ws` sockets, not ChatClient: ChatClient drops duplicates (the bench must see them) and parses every
 * frame as JSON, which costs several times the byte scan below at a few hundred thousand deliveries/s.
 */
import {randomBytes} from 'node:crypto'
import WebSocket from 'ws'

import {ChatClient, serverUrl} from '../client/chatClient.js'
import {ChatddsError} from '../errors.js'
import {CloseCode, SUBPROTOCOL} from '../wire/index.js'
import {type HistogramBucket, LatencyHistogram} from './histogram.js'
import {planBench, type Plan, type Shape} from './plan.js'

const TEXT_PREFIX = 'chatdds-bench'
/** Sends a sender may have unacknowledged at once (its window grows to this, halves on `rate_limited`). */
const MAX_WINDOW = 256
const START_WINDOW = 32
/** A sender stops writing while this much is unsent on its socket. */
const MAX_UNSENT = 1024 * 1024
/** After `rate_limited` or `busy`, a sender waits this long before it writes again. */
const BACKOFF_MS = 10
const TICK_MS = 100
/** Sockets opened at once while connecting. */
const CONNECT_BATCH = 50
const CLOSE_GRACE_MS = 1000
/** After Ctrl-C: how long deliveries of already acknowledged messages may still come in. */
const INTERRUPT_DRAIN_MS = 1000
export const DEFAULT_QUIET_MS = 3000

export interface BenchOptions {
  host: string
  ports: number[]
  shape: Shape
  /** Receiving clients. */
  clients: number
  /** Messages per sender. */
  messages: number
  /** Messages per second, all senders together; default: as fast as the window and the sockets allow. */
  rate?: number
  /** Room name (fanout) or prefix of the rooms (rate); default `bench-<random>`. */
  room?: string
  token?: string
  /** Bound on connecting, on waiting for an ack, and on the wait for deliveries after the last ack. */
  timeoutMs: number
  /** The wait for deliveries ends after this long without one. */
  quietMs?: number
  signal?: AbortSignal
  onProgress?: (progress: BenchProgress) => void
}

export interface BenchProgress {
  acked: number
  totalMessages: number
  delivered: number
  expected: number
  rateLimited: number
}

export type BenchEnd = 'complete' | 'quiet' | 'timeout' | 'interrupted'

export interface BenchResult {
  shape: Shape
  /** Receiving clients. */
  clients: number
  senders: number
  rooms: number
  /** Messages per sender. */
  messages: number
  totalMessages: number
  /** The instances the clients were spread over (their hello names), in --port order. */
  instances: string[]
  ports: number[]
  rate: number | null
  expected: number
  delivered: number
  lost: number
  duplicated: number
  /** Deliveries that came after a later message of the same sender (retries after rate_limited do this). */
  outOfOrder: number
  /** Sends the server refused with `rate_limited` (each sent again after a pause). */
  rateLimited: number
  /** Sends the server refused with `busy` (each sent again after a pause). */
  busy: number
  /** Messages sent but never acknowledged, or never sent because their sender's connection closed. */
  unacked: number
  /** Clients whose connection closed during the run. */
  disconnected: number
  seconds: number
  deliveriesPerSecond: number
  p50Ms: number | null
  p99Ms: number | null
  maxMs: number | null
  histogram: HistogramBucket[]
  ended: BenchEnd
  /** The server's close code and reason of the first disconnected client. */
  firstDisconnect?: string
}

interface Track {
  /** Every seq below this was seen. */
  next: number
  /** Seqs at or above `next` already seen (only while the server delivers out of order). */
  ahead?: Set<number>
  /** The highest seq seen. */
  highest: number
}

interface Receiver {
  ws: WebSocket
  /** Per sender index of its room. */
  tracks: Map<number, Track>
}

interface Sender {
  index: number
  ws: WebSocket
  url: string
  framePrefix: string
  nextSeq: number
  retries: number[]
  inFlight: number
  window: number
  attempts: number
  acked: number
  pausedUntil: number
  closed: boolean
  timer?: NodeJS.Timeout
}

const nowUs = () => performance.now() * 1000

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const run = randomBytes(4).toString('hex')
  const room = options.room ?? `bench-${run}`
  const plan = planBench(options.shape, options.clients, options.ports, room)
  const instances = await preflight(options)
  const bench = new Bench(options, plan, run)
  try {
    await bench.connect()
    return await bench.measure(instances)
  } finally {
    await bench.close()
  }
}

/** One ChatClient per port first: a wrong port or a missing token fails here, with ChatClient's sentence. */
async function preflight(options: BenchOptions): Promise<string[]> {
  return Promise.all(
    options.ports.map(async (port) => {
      const client = await ChatClient.connect({host: options.host, port, token: options.token, timeoutMs: options.timeoutMs, name: 'bench'})
      const name = client.hello.instance
      await client.close()
      return name
    }),
  )
}

class Bench {
  private readonly senders: Sender[] = []
  private readonly receivers: Receiver[] = []
  private readonly sockets: WebSocket[] = []
  private readonly histogram = new LatencyHistogram()
  private readonly marker: Buffer
  private readonly expected: number
  private readonly totalMessages: number
  private delivered = 0
  private duplicated = 0
  private outOfOrder = 0
  private rateLimited = 0
  private busy = 0
  private disconnected = 0
  private firstDisconnect?: string
  private startUs = 0
  private lastDeliveryUs = 0
  private lastAckUs = 0
  private sending = false
  private closing = false
  private fatal?: ChatddsError
  private wake?: () => void

  constructor(
    private readonly options: BenchOptions,
    private readonly plan: Plan,
    private readonly run: string,
  ) {
    this.marker = Buffer.from(`"text":"${TEXT_PREFIX} ${run} `)
    this.totalMessages = plan.senders.length * options.messages
    this.expected = plan.audience.reduce((sum, audience) => sum + audience * options.messages, 0)
  }

  /** Opens every socket (in batches), waits for the hellos and the receivers' joins. */
  async connect(): Promise<void> {
    const {plan} = this
    const jobs: Array<() => Promise<void>> = [
      ...plan.receivers.map((planned) => async () => {
        const receiver: Receiver = {ws: await this.open(planned.port, (data) => this.onReceiverFrame(receiver, data)), tracks: new Map()}
        for (const sender of plan.senders) if (sender.room === planned.room) receiver.tracks.set(sender.index, {next: 0, highest: -1})
        this.receivers.push(receiver)
        await this.join(receiver.ws, planned.room)
      }),
      ...plan.senders.map((planned) => async () => {
        const url = serverUrl(this.options.host, planned.port)
        const sender: Sender = {
          index: planned.index,
          ws: await this.open(planned.port, (data) => this.onSenderFrame(sender, data)),
          url,
          framePrefix: `{"type":"send","room":${JSON.stringify(planned.room)},"ref":`,
          nextSeq: 0,
          retries: [],
          inFlight: 0,
          window: START_WINDOW,
          attempts: 0,
          acked: 0,
          pausedUntil: 0,
          closed: false,
        }
        sender.ws.on('close', () => (sender.closed = true))
        this.senders.push(sender)
      }),
    ]
    for (let i = 0; i < jobs.length; i += CONNECT_BATCH) {
      if (this.options.signal?.aborted) return
      await Promise.all(jobs.slice(i, i + CONNECT_BATCH).map((job) => job()))
    }
    this.senders.sort((a, b) => a.index - b.index)
  }

  /** Sends every message, then waits for the deliveries; resolves with what was measured. */
  async measure(instances: string[]): Promise<BenchResult> {
    const {options} = this
    const quietMs = options.quietMs ?? DEFAULT_QUIET_MS
    let ended: BenchEnd | undefined
    let drainFromUs = 0
    let interruptedAtUs = 0
    if (!options.signal?.aborted) {
      this.sending = true
      this.startUs = nowUs()
      this.lastAckUs = this.startUs
      for (const sender of this.senders) this.pump(sender)
    }

    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = nowUs()
        if (this.fatal) return finish('interrupted')
        if (options.signal?.aborted && !interruptedAtUs) {
          interruptedAtUs = now
          this.stopSending()
        }
        if (interruptedAtUs) {
          // Every message already written is answered (ack or refusal) and delivered: the counts are whole.
          const answered = this.senders.every((sender) => sender.closed || sender.inFlight === 0)
          if (now - interruptedAtUs > INTERRUPT_DRAIN_MS * 1000 || (answered && this.delivered >= this.ackedExpected())) finish('interrupted')
          return
        }
        if (this.sending && this.senders.every((sender) => sender.closed || sender.acked === options.messages)) {
          this.sending = false
          drainFromUs = now
        }
        // No ack for a whole --timeout: the rest of the messages will not be acknowledged.
        if (this.sending && now - this.lastAckUs > options.timeoutMs * 1000) {
          this.stopSending()
          drainFromUs = now
        }
        if (this.sending) return
        if (this.delivered >= this.expected) return finish('complete')
        if (now - Math.max(drainFromUs, this.lastDeliveryUs) > quietMs * 1000) return finish('quiet')
        if (now - drainFromUs > options.timeoutMs * 1000) return finish('timeout')
      }
      const ticker = setInterval(() => {
        tick()
        options.onProgress?.(this.progress())
      }, TICK_MS)
      const finish = (why: BenchEnd) => {
        if (ended) return
        ended = why
        clearInterval(ticker)
        this.wake = undefined
        options.signal?.removeEventListener('abort', tick)
        resolve()
      }
      // Deliveries complete, or a fatal refusal: check at once rather than at the next tick.
      this.wake = tick
      options.signal?.addEventListener('abort', tick)
      tick()
    })
    this.stopSending()
    options.onProgress?.(this.progress())
    if (this.fatal) throw this.fatal
    return this.result(instances, ended ?? 'interrupted')
  }

  /** Closes every socket (1000, then terminate after a grace period) and clears every timer. */
  async close(): Promise<void> {
    this.closing = true
    this.stopSending()
    await Promise.all(
      this.sockets.map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocket.CLOSED) return resolve()
            const grace = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS)
            ws.once('close', () => {
              clearTimeout(grace)
              resolve()
            })
            if (ws.readyState === WebSocket.CONNECTING) ws.terminate()
            else ws.close(CloseCode.NORMAL)
          }),
      ),
    )
  }

  private progress(): BenchProgress {
    const acked = this.senders.reduce((sum, sender) => sum + sender.acked, 0)
    return {acked, totalMessages: this.totalMessages, delivered: this.delivered, expected: this.expected, rateLimited: this.rateLimited}
  }

  /** Deliveries owed for the messages acknowledged so far (what an interrupted run can be held to). */
  private ackedExpected(): number {
    return this.senders.reduce((sum, sender) => sum + sender.acked * this.plan.audience[sender.index], 0)
  }

  private result(instances: string[], ended: BenchEnd): BenchResult {
    const {options, plan, histogram} = this
    const expected = ended === 'interrupted' ? this.ackedExpected() : this.expected
    const seconds = this.lastDeliveryUs > this.startUs ? (this.lastDeliveryUs - this.startUs) / 1e6 : 0
    const acked = this.senders.reduce((sum, sender) => sum + sender.acked, 0)
    const round = (ms: number) => (Number.isNaN(ms) ? null : Number(ms.toFixed(2)))
    return {
      shape: plan.shape,
      clients: plan.receivers.length,
      senders: plan.senders.length,
      rooms: plan.rooms.length,
      messages: options.messages,
      totalMessages: this.totalMessages,
      instances,
      ports: options.ports,
      rate: options.rate ?? null,
      expected,
      delivered: this.delivered,
      lost: Math.max(0, expected - this.delivered),
      duplicated: this.duplicated,
      outOfOrder: this.outOfOrder,
      rateLimited: this.rateLimited,
      busy: this.busy,
      unacked: ended === 'interrupted' ? 0 : this.totalMessages - acked,
      disconnected: this.disconnected,
      seconds: Number(seconds.toFixed(3)),
      deliveriesPerSecond: seconds > 0 ? Math.round(this.delivered / seconds) : 0,
      p50Ms: round(histogram.percentile(50)),
      p99Ms: round(histogram.percentile(99)),
      maxMs: round(histogram.count > 0 ? histogram.maxMs : Number.NaN),
      histogram: histogram.buckets(),
      ended,
      ...(this.firstDisconnect === undefined ? {} : {firstDisconnect: this.firstDisconnect}),
    }
  }

  /** Opens one chatdds.v1 socket and resolves once the server said hello; `onFrame` gets every later frame. */
  private open(port: number, onFrame: (data: Buffer) => void): Promise<WebSocket> {
    const {host, token, timeoutMs} = this.options
    const url = serverUrl(host, port)
    const headers = token === undefined ? undefined : {Authorization: `Bearer ${token}`}
    const ws = new WebSocket(`${url}?name=bench`, SUBPROTOCOL, {perMessageDeflate: false, handshakeTimeout: timeoutMs, headers})
    this.sockets.push(ws)
    return new Promise((resolve, reject) => {
      let hello = false
      const timer = setTimeout(() => fail(`no hello within ${timeoutMs / 1000} s`), timeoutMs)
      const fail = (why: string) => {
        clearTimeout(timer)
        ws.terminate()
        reject(
          new ChatddsError(
            'ECONNECT',
            `Client ${this.sockets.length} could not connect to ${url} (${why}); the server may refuse this many connections, try fewer --clients.`,
          ),
        )
      }
      ws.on('error', (error) => {
        if (!hello) fail(error.message)
      })
      ws.on('message', (data: Buffer) => {
        if (hello) return onFrame(data)
        hello = true
        clearTimeout(timer)
        resolve(ws)
      })
      ws.on('close', (code, reason) => {
        if (!hello) return fail(`closed with code ${code}`)
        if (this.closing) return
        this.disconnected++
        this.firstDisconnect ??= `${url} closed a client's connection with code ${code}${reason.length ? ` (${reason.toString()})` : ''}`
      })
    })
  }

  private join(ws: WebSocket, room: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new ChatddsError('ETIMEDOUT', `The server did not answer a join of #${room} within ${this.options.timeoutMs / 1000} s.`)),
        this.options.timeoutMs,
      )
      const onFrame = (data: Buffer) => {
        const frame = parse(data)
        if (frame?.ref !== 'join') return
        ws.off('message', onFrame)
        clearTimeout(timer)
        if (frame.type === 'joined') resolve()
        else reject(new ChatddsError(typeof frame.code === 'string' ? frame.code : 'EJOIN', `The server refused to join #${room}: ${String(frame.message)}`))
      }
      ws.on('message', onFrame)
      ws.send(JSON.stringify({type: 'join', room, ref: 'join'}))
    })
  }

  /** The hot path: a message frame is scanned for the marker and its three numbers, without JSON.parse. */
  private onReceiverFrame(receiver: Receiver, data: Buffer): void {
    const at = data.indexOf(this.marker)
    if (at >= 0 && data.subarray(0, 17).toString() === '{"type":"message"') {
      let i = at + this.marker.length
      const field = () => {
        let value = 0
        for (let byte = data[i]; byte >= 0x30 && byte <= 0x39; byte = data[++i]) value = value * 10 + byte - 0x30
        i++
        return value
      }
      const sender = field()
      const seq = field()
      const sentUs = field()
      this.record(receiver, sender, seq, sentUs)
      return
    }
    // Any other frame (joined, presence, a message from someone else in our room) is not counted.
  }

  private record(receiver: Receiver, sender: number, seq: number, sentUs: number): void {
    const track = receiver.tracks.get(sender)
    if (!track || seq >= this.options.messages) return
    const now = nowUs()
    this.lastDeliveryUs = now
    if (seq < track.next || track.ahead?.has(seq)) {
      this.duplicated++
      return
    }
    if (seq < track.highest) this.outOfOrder++
    else track.highest = seq
    if (seq === track.next) {
      track.next++
      if (track.ahead) {
        while (track.ahead.delete(track.next)) track.next++
        if (track.ahead.size === 0) track.ahead = undefined
      }
    } else (track.ahead ??= new Set()).add(seq)
    this.histogram.record((now - sentUs) / 1000)
    if (++this.delivered === this.expected) this.wake?.()
  }

  private onSenderFrame(sender: Sender, data: Buffer): void {
    const frame = parse(data)
    if (!frame || typeof frame.ref !== 'number') return
    const seq = frame.ref
    if (frame.type === 'ack') {
      sender.inFlight--
      sender.acked++
      this.lastAckUs = nowUs()
      sender.window = Math.min(MAX_WINDOW, sender.window + 1 / sender.window)
    } else if (frame.type === 'error' && (frame.code === 'rate_limited' || frame.code === 'busy')) {
      sender.inFlight--
      if (frame.code === 'rate_limited') this.rateLimited++
      else this.busy++
      sender.retries.push(seq)
      sender.window = Math.max(1, sender.window / 2)
      sender.pausedUntil = performance.now() + BACKOFF_MS
    } else if (frame.type === 'error') {
      this.fatal ??= new ChatddsError(String(frame.code), `${sender.url} refused a message (${String(frame.code)}): ${String(frame.message)}`)
      this.wake?.()
      return
    } else return
    this.pump(sender)
  }

  /** Writes what the window, the socket, the pause and --rate allow; schedules itself for later otherwise. */
  private pump(sender: Sender): void {
    if (!this.sending || sender.closed || sender.timer) return
    const {messages, rate} = this.options
    const perSender = rate === undefined ? undefined : rate / this.senders.length
    const now = performance.now()
    if (sender.pausedUntil > now) return this.later(sender, sender.pausedUntil - now)
    while (sender.inFlight < Math.floor(sender.window) && (sender.retries.length > 0 || sender.nextSeq < messages)) {
      if (sender.ws.bufferedAmount > MAX_UNSENT) return this.later(sender, 1)
      if (perSender !== undefined) {
        const dueMs = this.startUs / 1000 + (sender.attempts / perSender) * 1000
        if (dueMs > performance.now()) return this.later(sender, dueMs - performance.now())
      }
      const seq = sender.retries.length > 0 ? sender.retries.shift()! : sender.nextSeq++
      sender.inFlight++
      sender.attempts++
      sender.ws.send(`${sender.framePrefix}${seq},"text":"${TEXT_PREFIX} ${this.run} ${sender.index} ${seq} ${Math.round(nowUs())}"}`)
    }
  }

  private later(sender: Sender, ms: number): void {
    sender.timer = setTimeout(
      () => {
        sender.timer = undefined
        this.pump(sender)
      },
      Math.max(1, Math.ceil(ms)),
    )
  }

  private stopSending(): void {
    this.sending = false
    for (const sender of this.senders) {
      clearTimeout(sender.timer)
      sender.timer = undefined
    }
  }
}

function parse(data: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(data.toString())
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}
