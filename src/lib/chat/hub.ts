/**
 * The connection and room index of one instance (model: Centrifuge's hub): who is connected, who is
 * in which room, and the fan-out of messages, each framed once whatever the number of readers.
 */
import {DEFAULT_ROOM, encodeFrame, messageFrame, type ServerFrame, type StoredMessage} from '../wire/index.js'
import type {Connection, PauseReason} from './connection.js'
import {textFrame} from './wsFrame.js'

export interface HubTimers {
  heartbeatMs: number
  slowConsumerCheckMs: number
}

export class Hub {
  readonly connections = new Set<Connection>()
  private readonly plain = new Set<Connection>()
  private readonly rooms = new Map<string, Set<Connection>>()
  private readonly heartbeat: NodeJS.Timeout
  private readonly slowCheck: NodeJS.Timeout

  constructor(timers: HubTimers) {
    this.heartbeat = setInterval(() => {
      for (const connection of this.connections) connection.checkHeartbeat()
    }, timers.heartbeatMs)
    this.heartbeat.unref()
    this.slowCheck = setInterval(() => {
      const now = Date.now()
      for (const connection of this.connections) connection.checkSlowConsumer(now)
    }, timers.slowConsumerCheckMs)
    this.slowCheck.unref()
  }

  get size(): number {
    return this.connections.size
  }

  count(protocol: Connection['protocol']): number {
    return protocol === 'plain' ? this.plain.size : this.connections.size - this.plain.size
  }

  /** Rooms with a client here: those of chatdds.v1 joins, and general while a plain client is connected. */
  get roomCount(): number {
    return this.rooms.size + (this.plain.size > 0 && !this.rooms.has(DEFAULT_ROOM) ? 1 : 0)
  }

  get pausedCount(): number {
    let paused = 0
    for (const connection of this.connections) if (connection.paused) paused++
    return paused
  }

  add(connection: Connection): void {
    this.connections.add(connection)
    if (connection.protocol === 'plain') this.plain.add(connection)
  }

  /** Takes a connection out of the index and out of every room; returns the rooms it was in. */
  remove(connection: Connection): string[] {
    this.connections.delete(connection)
    this.plain.delete(connection)
    const rooms = [...connection.rooms]
    for (const room of rooms) this.leave(connection, room)
    return rooms
  }

  join(connection: Connection, room: string): void {
    connection.addRoom(room)
    let members = this.rooms.get(room)
    if (!members) this.rooms.set(room, (members = new Set()))
    members.add(connection)
  }

  /** False when the connection was not in the room. */
  leave(connection: Connection, room: string): boolean {
    if (!connection.removeRoom(room)) return false
    const members = this.rooms.get(room)
    members?.delete(connection)
    if (members?.size === 0) this.rooms.delete(room)
    return true
  }

  pauseAll(reason: PauseReason): void {
    for (const connection of this.connections) connection.pause(reason)
  }

  resumeAll(reason: PauseReason): void {
    for (const connection of this.connections) connection.resume(reason)
  }

  /** One frame to every member of `room` on this instance, encoded once. */
  toRoom(room: string, frame: ServerFrame): void {
    const members = this.rooms.get(room)
    if (!members || members.size === 0) return
    const data = textFrame(encodeFrame(frame))
    for (const connection of members) connection.write(data)
  }

  /**
   * New messages, in the order read, to their readers: plain clients get every message of `general`
   * (a plain sample byte for byte, an envelope as its text), chatdds.v1 members of the message's room
   * a message frame. Each message is framed once and each client gets one socket write per batch:
   * with 50 clients per instance, framing and writing per client and message was most of the CPU.
   */
  fanOut(messages: StoredMessage[]): void {
    const plainFrames: Buffer[] = []
    const memberFrames = new Map<Connection, Buffer[]>()
    for (const message of messages) {
      if (message.room === DEFAULT_ROOM && this.plain.size > 0) plainFrames.push(textFrame(message.text))
      const members = this.rooms.get(message.room)
      if (!members || members.size === 0) continue
      const frame = textFrame(encodeFrame(messageFrame(message)))
      for (const connection of members) {
        const frames = memberFrames.get(connection)
        if (frames) frames.push(frame)
        else memberFrames.set(connection, [frame])
      }
    }
    if (plainFrames.length > 0) {
      const data = concat(plainFrames)
      for (const connection of this.plain) connection.deliver(data, plainFrames.length)
    }
    for (const [connection, frames] of memberFrames) connection.deliver(concat(frames), frames.length)
  }

  /** Stops the heartbeat and slow-consumer timers; closing the connections is the server's. */
  stop(): void {
    clearInterval(this.heartbeat)
    clearInterval(this.slowCheck)
  }
}

function concat(frames: Buffer[]): Buffer {
  return frames.length === 1 ? frames[0] : Buffer.concat(frames)
}
