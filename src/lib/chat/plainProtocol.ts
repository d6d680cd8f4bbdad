/**
 * The reference protocol (no subprotocol): a text frame is a message of room `general`, written as
 * the raw text. Plain clients get no error frames, so flow control never drops: a client over its
 * rate stops being read until it may send again.
 */
import {CloseCode} from '../wire/index.js'
import type {ChatMetrics} from './chatMetrics.js'
import type {Connection} from './connection.js'
import type {Logger} from './log.js'

export interface PlainContext {
  metrics: ChatMetrics
  logger: Logger
  /** Writes one `User Messages` sample (queued in order while the DDS writer is full). */
  publish(message: string): void
}

export class PlainProtocol {
  constructor(private readonly context: PlainContext) {}

  accept(connection: Connection): void {
    // ws's binaryType is 'nodebuffer' (its default): every message is one Buffer.
    connection.ws.on('message', (data, isBinary) => this.onFrame(connection, data as Buffer, isBinary))
  }

  private onFrame(connection: Connection, data: Buffer, isBinary: boolean): void {
    if (connection.closing) return
    const {metrics, logger} = this.context
    if (isBinary) {
      metrics.closes.inc({reason: 'binary_frame'})
      logger.info(`Closed client ${connection.address}: binary frame on the plain protocol (${CloseCode.UNSUPPORTED_DATA})`)
      connection.close(CloseCode.UNSUPPORTED_DATA, 'binary frames are not supported; send text frames')
      return
    }
    // Every frame already read is written; a client over its rate is paused instead, so nothing is lost.
    connection.bucket.take()
    if (connection.bucket.empty) connection.throttle()
    metrics.messagesIn.inc({protocol: 'plain'})
    this.context.publish(data.toString())
  }
}
