/**
 * The chatdds.v1 request handler (docs/protocol.md): hello, join with history and resume, leave,
 * send with acks, presence and ping. Frames are parsed and built by the wire module; the connection
 * carries them.
 */
import {
  encodeEnvelope,
  errorFrame,
  encodeFrame,
  messageFrame,
  parseRequest,
  refOf,
  SUBPROTOCOL,
  type ErrorCode,
  type HelloFrame,
  type Ref,
  type Request,
} from '../wire/index.js'
import type {ChatMetrics} from './chatMetrics.js'
import type {Connection, FrameHandler, RateLimit} from './connection.js'
import type {History} from './history.js'
import type {Hub} from './hub.js'
import type {ClusterPresence} from './presence.js'
import type {PublishCallback} from './publisher.js'
import {textFrame} from './wsFrame.js'

export interface V1Context {
  /** This instance's name. */
  instance: string
  maxPayload: number
  /** Rooms one connection may be in at once. */
  maxRooms: number
  rateLimit: RateLimit
  hub: Hub
  history: History
  presence: ClusterPresence
  metrics: ChatMetrics
  /** Writes one `User Messages` sample; `done` once it is written (or could not be). */
  publish(message: string, done: PublishCallback): void
}

export class V1Protocol implements FrameHandler {
  constructor(private readonly context: V1Context) {}

  accept(connection: Connection): void {
    connection.handler = this
    connection.send(this.hello(connection))
  }

  /** The connection is gone: it leaves every room, and the cluster hears of it. */
  closed(connection: Connection): void {
    for (const room of [...connection.rooms]) this.leave(connection, room)
  }

  onFrame(connection: Connection, data: Buffer, isBinary: boolean): void {
    if (connection.closing) return
    if (isBinary) {
      this.sendError(connection, 'bad_request', 'Binary frames are not supported; send JSON text frames.')
      return
    }
    const parsed = parseRequest(data.toString())
    if (!connection.tryTake()) {
      this.context.metrics.rateLimited.inc({protocol: SUBPROTOCOL})
      const ref = parsed.ok ? parsed.request.ref : parsed.ref
      this.sendError(connection, 'rate_limited', `Over ${this.context.rateLimit.perSecond} frames per second; slow down and send it again.`, ref)
      return
    }
    if (parsed.ok) this.handle(connection, parsed.request)
    else this.sendError(connection, parsed.code, parsed.message, parsed.ref)
  }

  private handle(connection: Connection, request: Request): void {
    const {hub, history, presence} = this.context
    const ref = refOf(request.ref)
    switch (request.type) {
      case 'hello':
        if (connection.identity && request.name !== connection.name) {
          this.sendError(
            connection,
            'forbidden',
            `Your connect token names you ${JSON.stringify(connection.name)}; the name cannot be changed on this connection.`,
            request.ref,
          )
          return
        }
        if (request.name !== connection.name) {
          // A rename is a leave under the old name and a join under the new one, in every room.
          for (const room of connection.rooms) presence.leave(room, connection.name)
          connection.name = request.name
          for (const room of connection.rooms) presence.join(room, connection.name)
        }
        connection.send({...this.hello(connection), ...ref})
        return
      case 'join': {
        if (!this.permits(connection, 'rooms', request.room, request.ref)) return
        if (!connection.rooms.has(request.room) && connection.rooms.size >= this.context.maxRooms) {
          this.sendError(
            connection,
            'too_many_rooms',
            `This connection is in ${this.context.maxRooms} rooms already, the most it may be in; leave one first.`,
            request.ref,
          )
          return
        }
        const limit = request.since ? request.history : (request.history ?? 0)
        const {messages, recovered} = history.lookup(request.room, {since: request.since, limit})
        // Pushed to the room's other members before this client is one of them: it learns from `members`.
        if (!connection.rooms.has(request.room)) presence.join(request.room, connection.name)
        const members = presence.members(request.room)
        connection.send({type: 'joined', room: request.room, ...ref, recovered, replayed: messages.length, members})
        if (messages.length > 0) connection.deliver(Buffer.concat(messages.map((message) => textFrame(encodeFrame(messageFrame(message, true))))), messages.length)
        // Same tick as the replay: the first live message follows the last replayed one, no gap.
        hub.join(connection, request.room)
        return
      }
      case 'leave':
        this.leave(connection, request.room)
        connection.send({type: 'left', room: request.room, ...ref})
        return
      case 'send': {
        if (!this.permits(connection, 'publish', request.room, request.ref)) return
        const ts = Date.now()
        const envelope = encodeEnvelope({room: request.room, from: connection.name, text: request.text, ts, origin: this.context.instance})
        this.context.metrics.messagesIn.inc({protocol: SUBPROTOCOL})
        this.context.publish(envelope, (error, result) => {
          if (error || !result) {
            this.sendError(connection, 'busy', `The message could not be written to DDS (${error?.message ?? 'no result'}); send it again later.`, request.ref)
          } else {
            connection.send({type: 'ack', ...ref, id: result.id, ts})
          }
        })
        return
      }
      case 'presence':
        if (!this.permits(connection, 'rooms', request.room, request.ref)) return
        connection.send({type: 'presence', room: request.room, ...ref, members: presence.members(request.room)})
        return
      case 'ping':
        connection.send({type: 'pong', ...ref})
    }
  }

  /** False, with a `forbidden` error, when the connection's token does not allow `room` (`rooms`: join and presence; `publish`: send). */
  private permits(connection: Connection, claim: 'rooms' | 'publish', room: string, ref?: Ref): boolean {
    const identity = connection.identity
    if (!identity || identity[claim].allows(room)) return true
    const what = claim === 'rooms' ? 'join' : 'send to'
    this.sendError(connection, 'forbidden', `Your connect token does not allow you to ${what} #${room}; ask for a token whose "${claim}" claim includes it.`, ref)
    return false
  }

  private hello(connection: Connection): HelloFrame {
    const {instance, maxPayload, presence} = this.context
    return {type: 'hello', protocol: SUBPROTOCOL, instance, name: connection.name, maxPayload, instances: presence.instances()}
  }

  private leave(connection: Connection, room: string): void {
    // After the client is out of the room: the leave is pushed to the members that remain.
    if (this.context.hub.leave(connection, room)) this.context.presence.leave(room, connection.name)
  }

  private sendError(connection: Connection, code: ErrorCode, message: string, ref?: Ref): void {
    if (code !== 'rate_limited') this.context.metrics.badRequests.inc({code})
    connection.send(errorFrame(code, message, ref))
  }
}
