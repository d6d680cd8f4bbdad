/**
 * The reference protocol (no subprotocol): a text frame is a message of room `general`, written as
 * the raw text (unless the text would read as an envelope: see wire/envelope.ts plainSample). Plain clients get no error frames, so flow control never drops: a client over its
 * rate stops being read until it may send again.
 */
import {CloseCode, DEFAULT_ROOM, plainSample} from '../wire/index.js'
import type {ChatMetrics} from './chatMetrics.js'
import type {Connection, FrameHandler} from './connection.js'
import type {Logger} from './log.js'

export interface PlainContext {
  metrics: ChatMetrics
  logger: Logger
  /** Writes one `User Messages` sample (queued in order while the DDS writer is full). */
  publish(message: string): void
}

export class PlainProtocol implements FrameHandler {
  constructor(private readonly context: PlainContext) {}

  accept(connection: Connection): void {
    connection.handler = this
  }

  onFrame(connection: Connection, data: Buffer, isBinary: boolean): void {
    if (connection.closing) return
    const {metrics, logger} = this.context
    if (isBinary) {
      metrics.closes.inc({reason: 'binary_frame'})
      logger.info(`Closed client ${connection.address}: binary frame on the plain protocol (${CloseCode.UNSUPPORTED_DATA})`)
      connection.close(CloseCode.UNSUPPORTED_DATA, 'binary frames are not supported; send text frames')
      return
    }
    if (connection.identity && !connection.identity.publish.allows(DEFAULT_ROOM)) {
      // Plain clients get no error frames: the close reason says it.
      metrics.closes.inc({reason: 'forbidden'})
      logger.info(`Closed client ${connection.address}: its connect token does not allow sending to #${DEFAULT_ROOM} (${CloseCode.POLICY_VIOLATION})`)
      connection.close(CloseCode.POLICY_VIOLATION, `forbidden: your connect token does not allow sending to #${DEFAULT_ROOM}`)
      return
    }
    // Every frame already read is written; a client over its rate is paused instead, so nothing is lost.
    if (connection.take()) connection.throttle()
    metrics.messagesIn.inc({protocol: 'plain'})
    // Never read back as an envelope: a text that looks like one is written as what it is (wire/envelope.ts).
    this.context.publish(plainSample(data.toString()))
  }
}
