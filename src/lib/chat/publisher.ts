/**
 * Writes to the bus in order and never drops: when the DDS writer history is full (EBUSY) the
 * message waits in a FIFO, later ones queue behind it, and `onBusy`/`onDrained` let the server
 * pause and resume reading its websockets until the writer has room again.
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

export class Publisher {
  private readonly queue: Pending[] = []
  private head = 0
  private retryMs = FIRST_RETRY_MS
  private timer: NodeJS.Timeout | undefined
  /** Times the writer said EBUSY. */
  busyCount = 0
  written = 0

  constructor(
    private readonly bus: Bus,
    private readonly hooks: PublisherHooks,
  ) {}

  /** True while messages wait for room in the writer history. */
  get busy(): boolean {
    return this.pendingCount > 0
  }

  get pendingCount(): number {
    return this.queue.length - this.head
  }

  publish(message: string, done?: PublishCallback): void {
    if (this.busy) {
      this.queue.push({message, done})
      return
    }
    if (!this.tryWrite({message, done})) {
      this.queue.push({message, done})
      this.hooks.onBusy()
      this.schedule()
    }
  }

  /** Tries once more to write what waits; returns how many messages are still waiting. */
  flush(): number {
    if (this.busy) this.drain()
    return this.pendingCount
  }

  /** Stops retrying; what still waits fails with `error`. */
  stop(error: Error): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    const rest = this.queue.splice(this.head)
    this.queue.length = 0
    this.head = 0
    for (const pending of rest) pending.done?.(error)
  }

  /** False when the writer is full (EBUSY); any other error goes to the callback. */
  private tryWrite(pending: Pending): boolean {
    let result: WriteResult
    try {
      result = this.bus.publish(pending.message)
    } catch (error) {
      if (error instanceof DdsError && error.code === 'EBUSY') {
        this.busyCount++
        return false
      }
      pending.done?.(error as Error)
      return true
    }
    this.written++
    pending.done?.(undefined, result)
    return true
  }

  private drain(): void {
    while (this.head < this.queue.length) {
      if (!this.tryWrite(this.queue[this.head])) return
      this.queue[this.head++] = undefined as unknown as Pending
      this.retryMs = FIRST_RETRY_MS
    }
    this.queue.length = 0
    this.head = 0
    this.hooks.onDrained()
  }

  private schedule(): void {
    if (this.timer) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.drain()
      if (this.busy) {
        this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2)
        this.schedule()
      }
    }, this.retryMs)
  }
}
