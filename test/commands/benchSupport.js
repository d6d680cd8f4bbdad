// A chatdds.v1 server for `bench` tests that acks every send but delivers only some: every `dropEvery`-th send is
// never delivered, and the first `rateLimited` sends are refused as rate_limited (as a real server over its rate).
import http from 'node:http'
import {WebSocketServer} from 'ws'
import {listen} from '../helpers.js'

/** @param {{dropEvery?: number, rateLimited?: number}} options */
export async function startDroppingServer({dropEvery = 0, rateLimited = 0} = {}) {
  const httpServer = http.createServer((req, res) => res.writeHead(404).end())
  const wss = new WebSocketServer({server: httpServer, handleProtocols: (protocols) => (protocols.has('chatdds.v1') ? 'chatdds.v1' : false)})
  /** @type {Map<import('ws').WebSocket, Set<string>>} */
  const rooms = new Map()
  const counts = {sends: 0, dropped: 0, refused: 0}
  let seq = 0
  /** @param {import('ws').WebSocket} socket @param {object} frame */
  const send = (socket, frame) => socket.readyState === 1 && socket.send(JSON.stringify(frame))
  wss.on('connection', (socket) => {
    rooms.set(socket, new Set())
    socket.on('error', () => {})
    socket.on('close', () => rooms.delete(socket))
    send(socket, {type: 'hello', protocol: 'chatdds.v1', instance: 'dropper-1', name: 'bench', maxPayload: 65536, instances: []})
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString())
      if (frame.type === 'join') {
        rooms.get(socket)?.add(frame.room)
        send(socket, {type: 'joined', room: frame.room, ref: frame.ref, recovered: true, replayed: 0, members: []})
      } else if (frame.type === 'send') {
        if (counts.refused < rateLimited) {
          counts.refused++
          send(socket, {type: 'error', code: 'rate_limited', message: 'Over 1000 frames per second; slow down and send it again.', ref: frame.ref})
          return
        }
        const ts = Date.now()
        const message = {type: 'message', id: `dropper:${++seq}`, room: frame.room, from: 'bench', text: frame.text, ts, origin: 'dropper-1'}
        send(socket, {type: 'ack', ref: frame.ref, id: message.id, ts})
        if (dropEvery > 0 && ++counts.sends % dropEvery === 0) {
          counts.dropped++
          return
        }
        for (const [member, joined] of rooms) if (joined.has(frame.room)) send(member, message)
      }
    })
  })
  const port = await listen(httpServer, 0)
  return {
    port,
    counts,
    close: async () => {
      for (const socket of rooms.keys()) socket.terminate()
      await new Promise((resolve) => wss.close(() => resolve(undefined)))
      await new Promise((resolve) => httpServer.close(() => resolve(undefined)))
    },
  }
}
