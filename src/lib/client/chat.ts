/**
 * `chatdds chat`: an interactive session on top of `tail` (same reconnects, fail-over and resume), plus sending to a
 * current room and the slash commands. Knows nothing of terminals: the command reads lines and prints what this returns.
 */
import {ChatddsError} from '../errors.js'
import {MAX_ROOM_LENGTH, type Member, type MessageFrame, type PresenceChangeFrame} from '../wire/index.js'
import {type Connected, tail, type TailResult} from './tail.js'

export interface ChatOptions {
  host?: string
  ports: number[]
  /** The room joined first, and sent to. */
  room: string
  name?: string
  token?: string
  /** Replay the last N messages of each room joined. */
  history?: number
  /** Bound on connecting and on each request. Default 5000. */
  timeoutMs?: number
}

export interface ChatEvents {
  message: (message: MessageFrame) => void
  /** One-line status sentences: connection lost, reconnected, possible gap, a server error that answered nothing. */
  notice: (notice: string) => void
  /** Every connection that has joined its rooms, the first one included. */
  connect?: (connected: Connected) => void
  presenceChange?: (change: PresenceChangeFrame) => void
}

/** A line the user typed, as the session reads it. */
export type ChatInput =
  {kind: 'send'; text: string} | {kind: 'join' | 'leave' | 'room' | 'who'; room?: string} | {kind: 'help' | 'quit' | 'nothing'} | {kind: 'bad'; message: string}

export const CHAT_HELP = [
  'Type a line and Enter to send it to the current room (the prompt shows it); start it with // to send a leading /.',
  '/join ROOM    follow ROOM too, and send to it',
  '/leave [ROOM] stop following ROOM (default: the current room)',
  '/room ROOM    send to ROOM from now on (one you follow)',
  '/who [ROOM]   who is in ROOM, across the cluster (default: the current room)',
  '/help         this list',
  '/quit         leave (Ctrl-D and Ctrl-C too)',
]

const COMMANDS = new Set(['join', 'leave', 'room', 'who', 'help', 'quit'])
const NEED_ROOM = new Set(['join', 'room'])

/** Reads one typed line. "#random" and "random" name the same room: in a chat, rooms are shown with their #. */
export function parseChatInput(line: string): ChatInput {
  if (line.startsWith('//')) return {kind: 'send', text: line.slice(1)}
  if (!line.startsWith('/')) return line.trim() === '' ? {kind: 'nothing'} : {kind: 'send', text: line}
  const [word, ...rest] = line.slice(1).trim().split(/\s+/)
  const command = word.toLowerCase()
  if (command === 'exit') return {kind: 'quit'}
  if (!COMMANDS.has(command)) return {kind: 'bad', message: `There is no command /${word}; /help lists them (start a line with // to send a leading /).`}
  if (command === 'help' || command === 'quit') return {kind: command}
  if (rest.length > 1) return {kind: 'bad', message: `/${command} takes one room; room names have no spaces.`}
  const room = rest[0]?.replace(/^#/, '')
  if (room === undefined || room === '') {
    if (NEED_ROOM.has(command)) return {kind: 'bad', message: `/${command} needs a room, e.g. /${command} random.`}
    return {kind: command as 'leave' | 'who'}
  }
  if (room.length > MAX_ROOM_LENGTH) return {kind: 'bad', message: `Room names are 1 to ${MAX_ROOM_LENGTH} characters (got ${room.length}).`}
  return {kind: command as 'join' | 'leave' | 'room' | 'who', room}
}

export interface Chat {
  /** Resolves once the first connection has joined the room; rejects when no server could be reached. */
  ready: Promise<Connected>
  /** Settles when the session ends: resolves on close(), rejects on a failure that reconnecting cannot mend. */
  done: Promise<TailResult>
  /** The room that typed lines go to; undefined after leaving every room. */
  readonly room: string | undefined
  readonly rooms: readonly string[]
  /** Sends `text` to the current room; resolves with its id once the server acknowledged it. */
  send(text: string): Promise<string>
  /** Follows `room` and makes it the current room; resolves with its members (undefined when it was followed already). */
  join(room: string): Promise<Member[] | undefined>
  /** Stops following `room`; the current room moves to another followed one. */
  leave(room: string): Promise<void>
  /** Makes `room`, which must be followed, the current room. */
  switchTo(room: string): void
  /** Who is in `room`. */
  who(room: string): Promise<Member[]>
  close(): Promise<TailResult>
}

export function chat(options: ChatOptions, events: ChatEvents): Chat {
  let current: string | undefined = options.room
  let resolveReady!: (connected: Connected) => void
  const ready = new Promise<Connected>((resolve) => (resolveReady = resolve))
  const session = tail(
    {
      host: options.host,
      ports: options.ports,
      rooms: [options.room],
      history: options.history,
      name: options.name,
      token: options.token,
      connectTimeoutMs: options.timeoutMs,
      onConnect(connected) {
        session?.client?.on('presenceChange', (change) => events.presenceChange?.(change))
        resolveReady(connected)
        events.connect?.(connected)
      },
    },
    events.message,
    events.notice,
  )

  const connection = () => {
    const client = session.client
    if (!client) throw new ChatddsError('ECONNRESET', 'Not connected right now (reconnecting); try again in a moment.')
    return client
  }

  return {
    // A session that ends before it ever connected rejects `ready` too, with the reason.
    ready: Promise.race([
      ready,
      session.done.then(() => {
        throw new ChatddsError('ECONNRESET', 'The chat ended before it connected.')
      }),
    ]),
    done: session.done,
    get room() {
      return current
    },
    get rooms() {
      return session.rooms
    },
    async send(text) {
      if (current === undefined) throw new ChatddsError('ENOROOM', 'You follow no room; /join one first.')
      return (await connection().send(current, text, {timeoutMs: options.timeoutMs})).id
    },
    async join(room) {
      const followed = session.rooms.includes(room)
      const joined = followed ? undefined : await session.join(room)
      current = room
      return joined?.members
    },
    async leave(room) {
      if (!session.rooms.includes(room)) throw new ChatddsError('ENOROOM', `You do not follow #${room}; /join it first.`)
      await session.leave(room)
      if (current === room) current = session.rooms[0]
    },
    switchTo(room) {
      if (!session.rooms.includes(room)) throw new ChatddsError('ENOROOM', `You do not follow #${room}; /join ${room} first.`)
      current = room
    },
    async who(room) {
      return (await connection().presence(room)).members
    },
    close: () => session.close(),
  }
}
