/**
 * Writes to the bus in order and never drops. Messages published in one turn of the event loop (the
 * frames of every websocket read in one poll) are written together once it ends, as one DDS write where
 * the bus can (`Bus.publishMany`: a batch on `chatdds Messages`). When the DDS writer history is full
 * (EBUSY) the messages wait in a FIFO, later ones queue behind them, and `onBusy`/`onDrained` let the
 * server pause and resume reading its websockets until the writer has room again.
 */
import {DdsError, type WriteResult} from '../dds/types.js'
import type {Bus} from './bus.js'

export type PublishCallback = (error: Error | undefined, result?: WriteResult) => void

interface Pending {
  message: string
  done?: PublishCallback
}

export interface PublisherHooks {
  onBusy(): void
  onDrained(): void
}

const FIRST_RETRY_MS = 1
const MAX_RETRY_MS = 50
/** Messages handed to one `publishMany` call at most (the bus may take fewer). */
const MAX_PER_WRITE = 1024

export class Publisher {
  private queue: Pending[] = []
  private head = 0
  private retryMs = FIRST_RETRY_MS
  private timer: NodeJS.Timeout | undefined
  private immediate: NodeJS.Immediate | undefined
  /** True from an EBUSY until everything that waited is written. */
  private full = false
  /** Times the writer said EBUSY. */
  busyCount = 0
  written = 0

  constructor(
    private readonly bus: Bus,
    private readonly hooks: PublisherHooks,
  ) {}

  /** True while messages wait for room in the writer history. */
  get busy(): boolean {
    return this.full
  }

  /** Messages not written yet: those of this turn of the event loop and those waiting for room. */
  get pendingCount(): number {
    return this.queue.length - this.head
  }

  /** Queues `message`; it is written, and `done` called, once this turn of the event loop ends (later while the writer is full). */
  publish(message: string, done?: PublishCallback): void {
    this.queue.push({message, done})
    if (!this.full && !this.immediate) this.immediate = setImmediate(() => this.writeNow())
  }

  /** Writes what waits now, if the writer takes it; returns how many messages are still waiting. */
  flush(): number {
    if (this.pendingCount > 0) this.drain()
    return this.pendingCount
  }

  /** Stops retrying; what still waits fails with `error`. */
  stop(error: Error): void {
    if (this.timer) clearTimeout(this.timer)
    if (this.immediate) clearImmediate(this.immediate)
    this.timer = undefined
    this.immediate = undefined
    const rest = this.queue.slice(this.head)
    this.queue = []
    this.head = 0
    for (const pending of rest) pending.done?.(error)
  }

  private writeNow(): void {
    this.immediate = undefined
    if (!this.full) this.drain()
  }

  /** Writes from the head of the queue until it is empty or the writer is full (then retries on a timer). */
  private drain(): void {
    while (this.head < this.queue.length) {
      const end = Math.min(this.queue.length, this.head + MAX_PER_WRITE)
      const messages: string[] = []
      for (let i = this.head; i < end; i++) messages.push(this.queue[i].message)
      let results: WriteResult[]
      try {
        results = this.bus.publishMany(messages)
      } catch (error) {
        if (error instanceof DdsError && error.code === 'EBUSY') {
          this.busyCount++
          this.waitForRoom()
          return
        }
        // Not written, and writing them again would fail the same way: each sender hears of it.
        for (let i = this.head; i < end; i++) this.settle(i, error as Error)
        continue
      }
      for (const result of results) {
        this.written++
        this.settle(this.head, undefined, result)
      }
    }
    this.queue = []
    this.head = 0
    this.retryMs = FIRST_RETRY_MS
    if (this.full) {
      this.full = false
      this.hooks.onDrained()
    }
  }

  /** Calls the callback of the message at the head and moves past it. */
  private settle(index: number, error: Error | undefined, result?: WriteResult): void {
    const pending = this.queue[index]
    this.queue[index] = undefined as unknown as Pending
    this.head = index + 1
    pending.done?.(error, result)
  }

  private waitForRoom(): void {
    if (!this.full) {
      this.full = true
      this.hooks.onBusy()
    }
    if (this.timer) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.drain()
      if (this.full) {
        this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2)
        this.waitForRoom()
      }
    }, this.retryMs)
  }
}
