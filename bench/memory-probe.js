// Preloaded into the measured server (`node --expose-gc --import bench/memory-probe.js …`) by bench/memory.js:
// GET http://127.0.0.1:$MEMORY_PROBE_PORT/ runs a full GC and answers process.memoryUsage() as JSON. The product has
// no such hook; the probe's own server is a constant, the same in every reading.
import http from 'node:http'
import v8 from 'node:v8'

const port = Number(process.env.MEMORY_PROBE_PORT)
if (port > 0 && typeof globalThis.gc === 'function') {
  const gc = globalThis.gc
  const server = http.createServer((req, res) => {
    // Two passes: the first may only queue finalizers (ws sockets, Buffers) whose memory the second frees.
    gc()
    gc()
    // /snapshot?file=…: a heap snapshot too, for finding what a connection holds (MEMORY-NOTES.md).
    const file = new URL(req.url ?? '/', 'http://localhost').searchParams.get('file')
    if (file) v8.writeHeapSnapshot(file)
    res.writeHead(200, {'content-type': 'application/json'})
    res.end(JSON.stringify(process.memoryUsage()))
  })
  server.listen(port, '127.0.0.1')
  server.unref()
}
