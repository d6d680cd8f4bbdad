/** `chatdds tail`: follow rooms, reconnecting (rotating through ports) and resuming without gap or duplicate. */
import {ChatddsError} from '../errors.js'
import {ChatClient, DEFAULT_HOST, DEFAULT_TIMEOUT_MS, describeClose, seconds, serverUrl} from './chatClient.js'
import {MessageCursor} from './cursor.js'
import {CloseCode, type JoinedFrame, type MessageFrame} from '../wire/index.js'

export const FIRST_RETRY_MS = 100
export const MAX_RETRY_MS = 2000
/** Bound on the servers a tail rotates through (the given ports plus those the cluster's hello named). */
const MAX_ENDPOINTS = 64

export interface TailOptions {
  host?: string
  /** Tried in order; after a drop the next one in the list is tried first, round and round. */
  ports: number[]
  /** Default ['general']. */
  rooms?: string[]
  /** End successfully after this many messages. */
  count?: number
  /** End after this long: a failure when `count` was not reached, a normal end without `count`. */
  timeoutMs?: number
  /** Replay the last N messages of each room on the first join. */
  history?: number
  name?: string
  /** Connect token, when the servers require one. */
  token?: string
  /** Bound on each connection attempt and join. Default 5000. */
  connectTimeoutMs?: number
  /** Called once every room is joined (or resumed) on a connection, the first one and each after a drop. */
  onConnect?: (connected: Connected) => void
}

export interface Connected {
  /** `ws://host:port/` */
  url: string
  /** The instance's name (its hello). */
  instance: string
  /** The name the server gave this client (its hello): --name, the token's, or "anonymous". */
  name: string
  /** False for the first connection, true for each one after a drop. */
  resumed: boolean
}

export interface TailResult {
  received: number
  reason: 'count' | 'timeout' | 'closed'
}

export interface Tail {
  /** Settles when the tail ends: resolves on count / timeout without count / close(), rejects on failure. */
  done: Promise<TailResult>
  /** Stops following (SIGINT); resolves like `done`. */
  close(): Promise<TailResult>
  /** The open connection, while there is one (between a drop and the reconnect there is none). */
  readonly client: ChatClient | undefined
  /** The rooms followed now. */
  readonly rooms: readonly string[]
  /** Follows `room` too, from now on and across reconnects; rejects when the server refuses it or no connection is open. */
  join(room: string): Promise<JoinedFrame>
  /** Stops following `room`. */
  leave(room: string): Promise<void>
}

interface Endpoint {
  host: string
  port: number
}

/**
 * Follows `rooms`, calling `onMessage` once per message (replays included, duplicates never) and
 * `onNotice` with one-line status sentences (connection lost, reconnected, possible gap). Prints nothing.
 * Reconnects rotate through `ports`, then through the other instances each server's hello names.
 */
export function tail(options: TailOptions, onMessage: (message: MessageFrame) => void, onNotice: (notice: string) => void): Tail {
  const host = options.host ?? DEFAULT_HOST
  const rooms = new Set(options.rooms?.length ? options.rooms : ['general'])
  const roomList = () => [...rooms].map((r) => `#${r}`).join(', ')
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS
  const {ports, count} = options
  const seen = new MessageCursor()
  const endpoints: Endpoint[] = ports.map((port) => ({host, port}))
  const urlOf = (index: number) => {
    const endpoint = endpoints[index % endpoints.length]
    return serverUrl(endpoint.host, endpoint.port)
  }
  /** The instance the last connection was to, to say when a reconnect switched instance. */
  let lastInstance: string | undefined

  let received = 0
  let stopped = false
  let client: ChatClient | undefined
  let portIndex = 0
  let wakeUp: (() => void) | undefined
  let resolveDone!: (result: TailResult) => void
  let rejectDone!: (error: Error) => void
  const done = new Promise<TailResult>((resolve, reject) => {
    resolveDone = resolve
    rejectDone = reject
  })
  // A caller that only uses close() must not see an "unhandled" rejection.
  done.catch(() => {})

  const finish = async (outcome: TailResult | Error) => {
    if (stopped) return
    stopped = true
    clearTimeout(deadline)
    wakeUp?.()
    await client?.close()
    if (outcome instanceof Error) rejectDone(outcome)
    else resolveDone(outcome)
  }

  const deadline =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          if (count === undefined) {
            void finish({received, reason: 'timeout'})
            return
          }

          void finish(
            new ChatddsError(
              'ETIMEDOUT',
              `Only ${received} of ${count} messages arrived within ${seconds(options.timeoutMs!)}; raise --timeout or check that messages are being sent to ${roomList()}.`,
            ),
          )
        }, options.timeoutMs)

  const deliver = (message: MessageFrame) => {
    if (stopped) return
    received++
    try {
      onMessage(message)
    } catch (error) {
      void finish(error as Error)
      return
    }

    if (count !== undefined && received >= count) void finish({received, reason: 'count'})
  }

  /** Attaches to a fresh connection and joins (or resumes) every room; false when it dropped meanwhile. */
  const subscribe = async (connection: ChatClient, resume: boolean): Promise<boolean> => {
    if (stopped) {
      await connection.close()
      return false
    }

    client = connection
    learnInstances(connection)
    connection.on('message', deliver)
    connection.on('serverError', (error) => onNotice(error.message))
    connection.on('gap', (gap) =>
      onNotice(
        `${connection.url} lost ${gap.missing} message${gap.missing === 1 ? '' : 's'} of #${gap.room} that no instance holds any more (a stall or partition longer than the cluster keeps); they will not be shown.`,
      ),
    )
    connection.once('close', (code) => onDrop(connection, code))
    try {
      const joins = await Promise.all([...rooms].map((room) => (resume ? connection.resume(room) : connection.join(room, {history: options.history}))))
      for (const joined of joins) {
        if (joined.recovered === false) onNotice(`${connection.url} no longer holds every message of #${joined.room} since the last one shown; some may be missing.`)
      }

      if (connection !== client) return false
      const previous = lastInstance
      lastInstance = connection.hello.instance
      if (resume) {
        const switched = previous !== undefined && previous !== lastInstance ? ` (now on ${lastInstance}, was ${previous})` : ''
        onNotice(`reconnected to ${connection.url}; resumed ${roomList()}${switched}`)
      }

      options.onConnect?.({url: connection.url, instance: connection.hello.instance, name: connection.hello.name, resumed: resume})
      return true
    } catch (error) {
      // A dropped connection is handled by onDrop; anything else (the server refused the join) ends the tail.
      if (!(error instanceof ChatddsError && error.code === 'ECONNRESET')) void finish(error as Error)
      return false
    }
  }

  const onDrop = (connection: ChatClient, code: number) => {
    if (stopped || connection !== client) return
    client = undefined
    if (code === CloseCode.TOKEN_EXPIRED) {
      // Reconnecting with the same token would only be refused.
      void finish(new ChatddsError('EAUTH', `${connection.url} closed the connection: the connect token expired; get a new one and run tail again with --token.`))
      return
    }
    portIndex = (portIndex + 1) % endpoints.length
    onNotice(`connection to ${connection.url} lost (${describeClose(code)}); reconnecting to ${urlOf(portIndex)}`)
    void reconnect()
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      wakeUp = () => {
        clearTimeout(timer)
        resolve()
      }
    })

  /** Adds the cluster's other instances (the server's hello) to the rotation, so that one --port is enough to fail over. */
  const learnInstances = (connection: ChatClient) => {
    const instances = Array.isArray(connection.hello.instances) ? connection.hello.instances : []
    for (const instance of instances) {
      // This instance is already in the list under the address we dialled, which may be spelled differently.
      if (instance?.name === connection.hello.instance || endpoints.length >= MAX_ENDPOINTS) continue
      const endpoint = endpointOf(instance?.url)
      if (endpoint && !endpoints.some((known) => known.host === endpoint.host && known.port === endpoint.port)) endpoints.push(endpoint)
    }
  }

  const connect = (index: number) => {
    const endpoint = endpoints[index % endpoints.length]
    return ChatClient.connect({host: endpoint.host, port: endpoint.port, name: options.name, token: options.token, timeoutMs: connectTimeoutMs, seen})
  }

  const reconnect = async () => {
    for (let delay = FIRST_RETRY_MS; !stopped; delay = Math.min(MAX_RETRY_MS, delay * 2)) {
      await sleep(delay)
      if (stopped) return
      const url = urlOf(portIndex)
      let connection: ChatClient
      try {
        connection = await connect(portIndex)
      } catch (error) {
        // A refused token or origin will not be accepted on retry either.
        if (isRefusal(error)) {
          void finish(error as ChatddsError)
          return
        }
        portIndex = (portIndex + 1) % endpoints.length
        const next = Math.min(MAX_RETRY_MS, delay * 2)
        onNotice(`${url} unavailable (${(error as ChatddsError).code ?? 'error'}); retrying ${urlOf(portIndex)} in ${next} ms`)
        continue
      }

      await subscribe(connection, true)
      return
    }
  }

  const start = async () => {
    const failures: ChatddsError[] = []
    for (portIndex = 0; portIndex < ports.length; portIndex++) {
      try {
        const connection = await connect(portIndex)
        await subscribe(connection, false)
        return
      } catch (error) {
        if (!(error instanceof ChatddsError)) throw error
        if (isRefusal(error)) throw error
        failures.push(error)
      }
    }

    portIndex = 0
    const refused = failures.every((f) => f.code === 'ECONNREFUSED')
    if (refused && ports.length > 1)
      throw new ChatddsError(
        'ECONNREFUSED',
        `No chatdds server at ${ports.map((_, i) => urlOf(i)).join(', ')}; start one with \`chatdds serve --port ${ports[0]}\`.`,
      )
    throw failures.find((f) => f.code !== 'ECONNREFUSED') ?? failures[0]
  }

  // A non-Error thrown must reject `done` too, not resolve it as if it were a result.
  start().catch((error: unknown) => finish(error instanceof Error ? error : new Error(String(error))))

  return {
    done,
    async close() {
      await finish({received, reason: 'closed'})
      return done
    },
    get client() {
      return client
    },
    get rooms() {
      return [...rooms]
    },
    async join(room) {
      const connection = client
      if (!connection) throw notConnected(urlOf(portIndex))
      const added = !rooms.has(room)
      rooms.add(room)
      try {
        return await connection.join(room, {history: options.history})
      } catch (error) {
        // A dropped connection resumes the room on the next one; a refusal means it is not followed.
        if (added && !(error instanceof ChatddsError && error.code === 'ECONNRESET')) rooms.delete(room)
        throw error
      }
    },
    async leave(room) {
      rooms.delete(room)
      await client?.leave(room)
    },
  }
}

function notConnected(next: string): ChatddsError {
  return new ChatddsError('ECONNRESET', `Not connected right now (reconnecting to ${next}); try again in a moment.`)
}

/** `ws://host:port/` of a hello's instance list as an endpoint; undefined for anything else. */
function endpointOf(url: unknown): Endpoint | undefined {
  if (typeof url !== 'string') return undefined
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return undefined
  }
  const port = Number(parsed.port)
  if (parsed.protocol !== 'ws:' || !Number.isInteger(port) || port < 1 || port > 65_535) return undefined
  return {host: parsed.hostname.replace(/^\[|\]$/g, ''), port}
}

/** The server refused us (token or origin): retrying cannot help. */
function isRefusal(error: unknown): boolean {
  return error instanceof ChatddsError && (error.code === 'EAUTH' || error.code === 'EFORBIDDEN')
}
