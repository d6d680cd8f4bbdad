/** Who connects where and joins what, for each load shape of `chatdds bench`. */

export const SHAPES = ['fanout', 'rate'] as const
export type Shape = (typeof SHAPES)[number]

/** Receivers per room in the `rate` shape. */
export const RATE_ROOM_SIZE = 3
export const MAX_CLIENTS = 1000
export const MAX_MESSAGES = 1_000_000

export interface PlannedSender {
  index: number
  port: number
  room: string
}

export interface PlannedReceiver {
  port: number
  room: string
}

export interface Plan {
  shape: Shape
  rooms: string[]
  senders: PlannedSender[]
  receivers: PlannedReceiver[]
  /** Per sender index: how many receivers are in its room. */
  audience: number[]
}

/**
 * fanout: one sender per port, every receiver in one room, receivers dealt over the ports in turn, so
 * each message reaches `clients` receivers, most of them through the backplane.
 * rate: rooms of 3 receivers with one sender each; room r's sender is on port r, its receivers on the
 * ports after it, so most deliveries cross the backplane and there is one backplane message
 * per 3 deliveries.
 */
export function planBench(shape: Shape, clients: number, ports: number[], room: string): Plan {
  const at = (i: number) => ports[i % ports.length]
  if (shape === 'fanout') {
    const senders = ports.map((port, index) => ({index, port, room}))
    const receivers = Array.from({length: clients}, (_, i) => ({port: at(i), room}))
    return {shape, rooms: [room], senders, receivers, audience: senders.map(() => clients)}
  }

  const roomCount = Math.ceil(clients / RATE_ROOM_SIZE)
  const rooms = Array.from({length: roomCount}, (_, r) => `${room}-${r + 1}`)
  const senders = rooms.map((name, index) => ({index, port: at(index), room: name}))
  const receivers: PlannedReceiver[] = []
  const audience: number[] = rooms.map(() => 0)
  for (let i = 0; i < clients; i++) {
    const r = Math.floor(i / RATE_ROOM_SIZE)
    receivers.push({port: at(r + 1 + (i % RATE_ROOM_SIZE)), room: rooms[r]})
    audience[r]++
  }
  return {shape, rooms, senders, receivers, audience}
}
