// Node side of bench/dds-throughput: the same measurement as bench/cpp/throughput, through chatdds's binding.
//   node bench/node-throughput.js sub --domain D --count N [--timeout S]
//   node bench/node-throughput.js pub --domain D --count N [--size B]
// Prints one JSON line on stdout (same fields as the C++ program); milestones go to stderr.
import {Participant, DdsError} from '../dist/lib/dds/index.js'

const [mode, ...rest] = process.argv.slice(2)
const options = {domain: 10, count: 0, size: 100, timeout: 120}
for (let i = 0; i < rest.length; i += 2) {
  const key = rest[i].replace(/^--/, '')
  const value = Number(rest[i + 1])
  if (!(key in options) || !Number.isInteger(value) || value < 0) usage(`bad option ${rest[i]} ${rest[i + 1] ?? ''}`)
  options[key] = value
}
if (mode !== 'pub' && mode !== 'sub') usage('the first argument must be pub or sub')
if (options.count < 1) usage('--count is required')

function usage(problem) {
  process.stderr.write(`node-throughput: ${problem}\nusage: node bench/node-throughput.js pub|sub --domain D --count N [--size B] [--timeout S]\n`)
  process.exit(2)
}

const log = (text) => process.stderr.write(`node-throughput: ${text}\n`)
const now = () => Number(process.hrtime.bigint()) / 1e9
const participant = new Participant({domain: options.domain, name: `node-throughput-${mode}`})
let finished = false
const finish = (code, result) => {
  if (finished) return
  finished = true
  if (result) process.stdout.write(JSON.stringify(result) + '\n')
  participant.close()
  process.exit(code)
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => finish(128 + (signal === 'SIGINT' ? 2 : 15)))
setTimeout(() => {
  log(`not done within ${options.timeout} s`)
  finish(1)
}, options.timeout * 1000).unref()

if (mode === 'sub') {
  const reader = participant.createReader({maxSamples: 100_000})
  let received = 0
  let outOfOrder = 0
  let expected = 0
  let first = 0
  let last = 0
  reader.on('samples', (batch) => {
    last = now()
    if (received === 0) first = last
    for (const sample of batch) {
      const seq = Number.parseInt(sample.message, 10)
      if (seq !== expected) outOfOrder++
      expected = seq + 1
    }
    received += batch.length
    if (received >= options.count) {
      const seconds = last - first
      finish(0, {
        role: 'sub',
        profile: 'binding',
        transport: 'udp',
        samples: received,
        seconds,
        samplesPerSec: Math.round(seconds > 0 ? (received - 1) / seconds : 0),
        outOfOrder,
        complete: true,
      })
    }
  })
  // Keeps the process alive: the binding's thread-safe function is unref'd while idle.
  setInterval(() => {}, 1000)
  log(`reader ready on domain ${options.domain}`)
} else {
  const writer = participant.createWriter({maxSamples: 100_000})
  const filler = 'x'.repeat(Math.max(0, options.size - 11))
  const waitMatched = async () => {
    const deadline = now() + 20
    while (writer.matchedReaders < 1) {
      if (now() > deadline) {
        log('no reader matched in 20 s; start the subscriber on the same domain first')
        finish(1)
      }
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }
  await waitMatched()
  log('reader matched; publishing')
  let written = 0
  let fullRetries = 0
  const start = now()
  while (written < options.count) {
    try {
      // Sequence number first, like the C++ program, so the subscriber can check order and loss.
      writer.write(`${String(written).padStart(10, '0')} ${filler}`)
      written++
    } catch (error) {
      if (!(error instanceof DdsError && error.code === 'EBUSY')) throw error
      fullRetries++
      // History full: let acknowledgements arrive (they are handled on Fast DDS threads).
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  const wrote = now()
  if (!(await writer.waitForAcknowledgments(60))) {
    log('samples not acknowledged within 60 s')
    finish(1)
  }
  const acked = now()
  finish(0, {
    role: 'pub',
    profile: 'binding',
    transport: 'udp',
    size: options.size,
    samples: written,
    writeSeconds: wrote - start,
    ackSeconds: acked - start,
    samplesPerSec: Math.round(written / (acked - start)),
    fullRetries,
  })
}
