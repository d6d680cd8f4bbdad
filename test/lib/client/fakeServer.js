// A tiny chatdds.v1 server for client tests (docs/protocol.md): hello/join/joined/leave/left/send/ack/message/error,
// history and `since` replays. Several fake servers can share a FakeCluster, which plays the part of DDS.
import {randomBytes} from 'node:crypto'
import http from 'node:http'
import {WebSocketServer} from 'ws'
import {listen} from '../../helpers.js'

const newGuid = () => randomBytes(16).toString('hex')

/** The "DDS domain" between fake servers: every published message reaches every server. */
export class FakeCluster {
  servers = new Set()
  /** A writer that is no server (a foreign DDS program), for `publish`. */
  foreignWriter = newGuid()
  foreignSeq = 0

  deliver(message) {
    for (const server of this.servers) server.receive(message)
  }
}

/** Parses a cursor (message id or {writer: seq}) into a Map writer → seq. */
function parseCursor(since) {
  const marks = new Map()
  if (typeof since === 'string') {
    const colon = since.lastIndexOf(':')
    marks.set(since.slice(0, colon), Number(since.slice(colon + 1)))
  } else if (since && typeof since === 'object') {
    for (const [writer, seq] of Object.entries(since)) marks.set(writer, seq)
  }

  return marks
}

/**
 * Starts a fake server on 127.0.0.1 (port 0 unless given). Options:
 *  cluster      share messages with other fake servers (default: its own)
 *  instance     instance name in hello/origin (default fake-1)
 *  echo         false: ack sends but never deliver them (a server whose DDS writer matches nothing)
 *  echoBeforeAck deliver a sent message before acking it
 *  busySends    answer the first N sends with error `busy`
 *  sendError    answer every send with this error code
 *  sloppyResume also replay the last already-seen message of each writer on a `since` join (the client must drop it)
 *  gapRooms     rooms whose `since` joins answer `recovered: false` (the server no longer holds all the client missed)
 *  noHello      never say hello
 *  ignoreSends  never answer a send
 */
export async function startFakeServer(options = {}) {
  const cluster = options.cluster ?? new FakeCluster()
  const instance = options.instance ?? 'fake-1'
  const writer = newGuid()
  let seq = 0
  let busySends = options.busySends ?? 0
  /** room → messages held (oldest first). */
  const history = new Map()
  /** socket → {name, rooms:Set} */
  const clients = new Map()
  const frames = []
  const joinWaiters = []
  let joins = 0

  const httpServer = http.createServer((req, res) => {
    res.writeHead(404).end()
  })
  const wss = new WebSocketServer({
    server: httpServer,
    handleProtocols: (protocols) => (protocols.has('chatdds.v1') ? 'chatdds.v1' : false),
  })

  const sendFrame = (socket, frame) => socket.readyState === 1 && socket.send(JSON.stringify(frame))

  const server = {
    instance,
    writer,
    cluster,
    /** Every frame received from clients, parsed. */
    frames,
    /** Names clients connected with (`?name=`). */
    names: [],
    get joins() {
      return joins
    },
    get clientCount() {
      return clients.size
    },
    port: 0,

    /** Called by the cluster: hold and forward a message to the room's members. */
    receive(message) {
      const held = history.get(message.room) ?? []
      held.push(message)
      history.set(message.room, held)
      for (const [socket, state] of clients) {
        if (state.rooms.has(message.room)) sendFrame(socket, {type: 'message', ...message})
      }
    },

    /** A message from a foreign writer (no chatdds envelope unless `from` is given), through the cluster. */
    publish(room, text, {from = null, origin = null} = {}) {
      const message = {id: `${cluster.foreignWriter}:${++cluster.foreignSeq}`, room, from, text, ts: Date.now(), origin}
      cluster.deliver(message)
      return message
    },

    /** Sends a raw frame to every connected client. */
    broadcast(frame) {
      for (const socket of clients.keys()) sendFrame(socket, frame)
    },

    /** Resolves once `n` joins have happened in total. */
    waitForJoins(n) {
      if (joins >= n) return Promise.resolve()
      return new Promise((resolve) => joinWaiters.push({n, resolve}))
    },

    /** Drops every connection abruptly (the client sees 1006), keeping the server up. */
    dropClients() {
      for (const socket of clients.keys()) socket.terminate()
      clients.clear()
    },

    /** Stops listening and drops every connection. */
    async close() {
      cluster.servers.delete(server)
      server.dropClients()
      await new Promise((resolve) => wss.close(() => resolve()))
      await new Promise((resolve) => httpServer.close(() => resolve()))
    },
  }

  const onJoin = (socket, state, frame) => {
    const {room, ref} = frame
    if (typeof room !== 'string' || room === '') {
      sendFrame(socket, {type: 'error', code: 'bad_request', message: 'join needs a room.', ref})
      return
    }

    state.rooms.add(room)
    const held = history.get(room) ?? []
    let replay = []
    if (frame.since !== undefined) {
      const marks = parseCursor(frame.since)
      replay = held.filter((m) => {
        const [w, s] = [m.id.slice(0, m.id.lastIndexOf(':')), Number(m.id.slice(m.id.lastIndexOf(':') + 1))]
        return !marks.has(w) || s > marks.get(w)
      })
      if (options.sloppyResume) {
        const extra = held.filter((m) => !replay.includes(m)).slice(-1)
        replay = [...extra, ...replay]
      }
    } else if (frame.history > 0) {
      replay = held.slice(-frame.history)
    }

    const recovered = frame.since === undefined || !(options.gapRooms ?? []).includes(room)
    sendFrame(socket, {type: 'joined', room, ref, recovered, replayed: replay.length})
    for (const message of replay) sendFrame(socket, {type: 'message', ...message, replay: true})
    joins++
    for (const waiter of [...joinWaiters]) {
      if (joins >= waiter.n) {
        joinWaiters.splice(joinWaiters.indexOf(waiter), 1)
        waiter.resolve()
      }
    }
  }

  const onSend = (socket, state, frame) => {
    const {room, text, ref} = frame
    if (options.ignoreSends) return
    if (options.sendError) {
      sendFrame(socket, {type: 'error', code: options.sendError, message: `Refused by the fake server (${options.sendError}).`, ref})
      return
    }

    if (busySends > 0) {
      busySends--
      sendFrame(socket, {type: 'error', code: 'busy', message: 'The DDS writer is busy; retry later.', ref})
      return
    }

    if (typeof room !== 'string' || typeof text !== 'string') {
      sendFrame(socket, {type: 'error', code: 'bad_request', message: 'send needs a room and a text.', ref})
      return
    }

    const message = {id: `${writer}:${++seq}`, room, from: state.name, text, ts: Date.now(), origin: instance}
    const ack = () => sendFrame(socket, {type: 'ack', ref, id: message.id, ts: message.ts})
    if (options.echoBeforeAck) {
      cluster.deliver(message)
      ack()
      return
    }

    ack()
    // Like DDS, the message comes back a little later, to everyone in the room.
    if (options.echo !== false) setImmediate(() => cluster.deliver(message))
  }

  wss.on('connection', (socket, req) => {
    const name = new URL(req.url, 'http://x').searchParams.get('name') ?? 'anonymous'
    server.names.push(name)
    const state = {name, rooms: new Set()}
    clients.set(socket, state)
    socket.on('error', () => {})
    socket.on('close', () => clients.delete(socket))
    if (!options.noHello) sendFrame(socket, {type: 'hello', protocol: 'chatdds.v1', instance, name, maxPayload: 65536})
    socket.on('message', (data) => {
      let frame
      try {
        frame = JSON.parse(data.toString())
      } catch {
        sendFrame(socket, {type: 'error', code: 'bad_json', message: 'That frame is not JSON.'})
        return
      }

      frames.push(frame)
      switch (frame.type) {
        case 'join':
          onJoin(socket, state, frame)
          break
        case 'leave':
          state.rooms.delete(frame.room)
          sendFrame(socket, {type: 'left', room: frame.room, ref: frame.ref})
          break
        case 'send':
          onSend(socket, state, frame)
          break
        case 'hello':
          if (typeof frame.name === 'string') state.name = frame.name
          sendFrame(socket, {type: 'hello', protocol: 'chatdds.v1', instance, name: state.name, maxPayload: 65536, ref: frame.ref})
          break
        case 'ping':
          sendFrame(socket, {type: 'pong', ref: frame.ref})
          break
        default:
          sendFrame(socket, {type: 'error', code: 'unknown_type', message: `Unknown frame type ${frame.type}.`, ref: frame.ref})
      }
    })
  })

  server.port = await listen(httpServer, options.port ?? 0)
  server.url = `ws://127.0.0.1:${server.port}/`
  cluster.servers.add(server)
  return server
}
