/**
 * What comes in from `User Messages`: each sample becomes a message once. A repeat of a writer's
 * sequence number, or a message a peer already handed over, is dropped and counted; every new one is
 * kept in history and returned for fan-out, in the order read.
 */
import type {Sample} from '../dds/types.js'
import {decodeMessage, storedMessage, type StoredMessage} from '../wire/index.js'
import type {ChatMetrics} from './chatMetrics.js'
import type {History} from './history.js'
import type {Logger, MessageLog} from './log.js'

export class Inbound {
  /** Writer → highest sequence number delivered, so a repeated sample is never delivered twice. */
  private readonly lastSeq = new Map<string, number>()

  constructor(
    private readonly history: History,
    private readonly metrics: ChatMetrics,
    private readonly logger: Logger,
    private readonly messageLog: MessageLog,
  ) {}

  /** The messages of `batch` that are new, oldest first. */
  accept(batch: Sample[]): StoredMessage[] {
    const fresh: StoredMessage[] = []
    const now = Date.now()
    for (const sample of batch) {
      this.metrics.samplesRead.inc()
      const previous = this.lastSeq.get(sample.writer)
      if (previous !== undefined && sample.seq <= previous) {
        this.metrics.dropped.inc({reason: 'duplicate'})
        this.logger.warn(`Dropped a repeated DDS sample ${sample.id}`)
        continue
      }
      this.lastSeq.set(sample.writer, sample.seq)
      const stored = storedMessage(sample, decodeMessage(sample.message))
      this.metrics.latency.observe(Math.max(0, now - stored.ts) / 1000)
      if (!this.history.add(stored)) {
        // A peer handed it over before it arrived here live: clients have it already.
        this.metrics.dropped.inc({reason: 'duplicate'})
        this.logger.debug(`Sample ${sample.id} was already handed over by a peer; not delivered again`)
        continue
      }
      if (this.messageLog.wants()) this.messageLog.line(`Received a message ${JSON.stringify({message: sample.message})}`)
      fresh.push(stored)
    }
    return fresh
  }
}
