// Worker thread of bench/fanout.js: the passive plain clients of the latency phase. They only count what
// they receive, on their own event loop, so that the latency observers in the main thread never queue
// behind the parsing of thousands of other clients' frames (real clients are separate processes).
import {parentPort, workerData} from 'node:worker_threads'
import WebSocket from 'ws'

const {ports, perInstance} = workerData
const clients = []
let received = 0
for (const port of ports) {
  for (let c = 0; c < perInstance; c++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, {perMessageDeflate: false})
    ws.on('message', (data) => {
      if (data[0] === 0x6c) received++ // 'l': a latency-phase message
    })
    ws.on('error', () => {})
    clients.push(new Promise((resolve, reject) => ws.once('open', () => resolve(ws)).once('error', reject)))
  }
}
const sockets = await Promise.all(clients)
parentPort.postMessage({ready: true})
parentPort.on('message', () => {
  for (const ws of sockets) ws.terminate()
  parentPort.postMessage({received})
})
