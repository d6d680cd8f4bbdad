/**
 * What this instance can give a peer that missed samples: per writer, the last `depth` messages it
 * read (every room), in sequence order. Independent of `--history` (what a joining client may ask
 * for): this is what the cluster can repair after a stall or a partition.
 */
import type {SeqRange, StoredMessage} from '../wire/index.js'

interface WriterLog {
  /** Sorted by seq; `items[head..]` are live. */
  items: StoredMessage[]
  head: number
}

export class RepairStore {
  private readonly writers = new Map<string, WriterLog>()
  private held = 0

  /**
   * @param depth messages kept per writer
   * @param maxWriters writers remembered; past it the one written to longest ago is forgotten
   */
  constructor(
    readonly depth: number,
    private readonly maxWriters = 1000,
  ) {
    if (!Number.isSafeInteger(depth) || depth < 0) throw new RangeError('repair depth must be a non-negative integer')
  }

  /** Messages held, every writer. */
  get count(): number {
    return this.held
  }

  /** Keeps `message`; messages of one writer come in sequence order (a repeat or an older one is ignored). */
  add(message: StoredMessage): void {
    if (this.depth === 0) return
    let log = this.writers.get(message.writer)
    if (log) {
      // Most recently written last, so that the writer forgotten first is the one quiet longest.
      this.writers.delete(message.writer)
      this.writers.set(message.writer, log)
    } else {
      if (this.writers.size >= this.maxWriters) this.forget(this.writers.keys().next().value!)
      log = {items: [], head: 0}
      this.writers.set(message.writer, log)
    }
    const last = log.items[log.items.length - 1]
    if (last && last.seq >= message.seq) return
    log.items.push(message)
    this.held++
    if (log.items.length - log.head > this.depth) {
      log.items[log.head++] = undefined as unknown as StoredMessage
      this.held--
      if (log.head >= this.depth) {
        log.items = log.items.slice(log.head)
        log.head = 0
      }
    }
  }

  /** The held messages of `writer` within `ranges` (inclusive), in sequence order, at most `limit`. */
  range(writer: string, ranges: SeqRange[], limit = Number.POSITIVE_INFINITY): StoredMessage[] {
    const log = this.writers.get(writer)
    if (!log) return []
    const out: StoredMessage[] = []
    for (const [lo, hi] of [...ranges].sort((a, b) => a[0] - b[0])) {
      for (let i = this.firstAtOrAfter(log, lo); i < log.items.length && log.items[i].seq <= hi; i++) {
        if (out.length >= limit) return out
        out.push(log.items[i])
      }
    }
    return out
  }

  /** Lowest sequence number held for `writer`, if any. */
  oldest(writer: string): number | undefined {
    const log = this.writers.get(writer)
    return log && log.items.length > log.head ? log.items[log.head].seq : undefined
  }

  private firstAtOrAfter(log: WriterLog, seq: number): number {
    let lo = log.head
    let hi = log.items.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (log.items[mid].seq < seq) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  private forget(writer: string): void {
    const log = this.writers.get(writer)!
    this.held -= log.items.length - log.head
    this.writers.delete(writer)
  }
}
