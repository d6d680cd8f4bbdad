/** The metrics one chat instance exposes on GET /metrics: its own, and prom-client's process metrics. */
import {collectDefaultMetrics, Counter, Gauge, Histogram, Registry} from 'prom-client'
import {METRIC_NAMES} from './metricNames.js'
import {SUBPROTOCOL} from '../wire/index.js'

export type ProtocolName = 'plain' | typeof SUBPROTOCOL

/** What the gauges (and the counters kept elsewhere) read at scrape time. */
export interface MetricSources {
  clients: (protocol: ProtocolName) => number
  pausedClients: () => number
  rooms: () => number
  matchedReaders: () => number
  matchedWriters: () => number
  samplesWritten: () => number
  writerBusy: () => number
  publishQueue: () => number
  historyMessages: () => number
  clusterInstances: () => number
  repairStoreMessages: () => number
  repairsPending: () => number
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
const PROTOCOLS: ProtocolName[] = ['plain', SUBPROTOCOL]

let processRegistry: Registry | undefined

/**
 * prom-client's default metrics (event-loop lag, heap, GC, RSS, handles), created once per process:
 * they describe the process, not one server, and collectDefaultMetrics starts an event-loop delay
 * monitor and a GC observer that it offers no way to stop. Created once, they cannot pile up with
 * the servers of a test process, and neither keeps the event loop alive. Every scrape, by any
 * server of the process, starts a new event-loop delay window (min, max, percentiles).
 */
function defaultProcessMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry()
    collectDefaultMetrics({register: processRegistry})
  }
  return processRegistry
}

export function createChatMetrics(read: MetricSources) {
  const own = new Registry()
  const registers = [own]
  const gauge = (name: string, help: string, value: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(value())
      },
    })
  // A total kept by another object (the publisher): exposed as a counter, set at scrape time.
  const counterReadAtScrape = (name: string, help: string, value: () => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset()
        this.inc(value())
      },
    })
  const counter = <L extends string>(name: string, help: string, labelNames: L[] = [], initial: Array<Record<L, string>> = []) => {
    const metric = new Counter({name, help, labelNames, registers})
    for (const labels of initial) metric.inc(labels, 0)
    return metric
  }
  const byProtocol = PROTOCOLS.map((protocol) => ({protocol}))

  new Gauge({
    name: METRIC_NAMES.clients,
    help: 'Connected websocket clients by protocol.',
    labelNames: ['protocol'],
    registers,
    collect() {
      for (const protocol of PROTOCOLS) this.set({protocol}, read.clients(protocol))
    },
  })
  gauge(METRIC_NAMES.rooms, 'Rooms with at least one websocket client on this instance (plain clients are in general).', read.rooms)
  gauge(METRIC_NAMES.pausedClients, 'Websocket clients not being read (DDS writer full, or over the rate limit).', read.pausedClients)
  // What the hub records into; the rest is read at scrape time.
  const recorded = {
    messagesIn: counter(METRIC_NAMES.messagesIn, 'Chat messages received from websocket clients.', ['protocol'], byProtocol),
    messagesOut: counter(METRIC_NAMES.messagesOut, 'Chat messages sent to websocket clients (replays included).', ['protocol'], byProtocol),
    samplesRead: counter(METRIC_NAMES.samplesRead, 'Chat messages read from DDS (one per User Messages sample; each message of a chatdds Messages batch once).'),
    latency: new Histogram({
      name: METRIC_NAMES.latency,
      help: "Time from the sender's timestamp (envelope ts, else the DDS source timestamp) to reception by this instance.",
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    dropped: counter(
      METRIC_NAMES.dropped,
      'Messages not delivered to a client: it was being closed, or the sample was a repeat.',
      ['reason'],
      [{reason: 'client_closing'}, {reason: 'duplicate'}],
    ),
    rateLimited: counter(METRIC_NAMES.rateLimited, 'Rate limit hits: plain clients paused, chatdds.v1 frames refused.', ['protocol'], byProtocol),
    badRequests: counter(METRIC_NAMES.badRequests, 'chatdds.v1 frames answered with an error frame, by code.', ['code']),
    closes: counter(METRIC_NAMES.closes, 'Websocket connections ended by the server, by reason.', ['reason']),
    repaired: counter(METRIC_NAMES.repaired, 'Missed messages obtained from peers after a stall or partition, and delivered in order.'),
    unrecovered: counter(METRIC_NAMES.unrecovered, 'Missed messages no peer held any more: lost, and reported to the clients of their rooms.'),
    ignoredSamples: counter(METRIC_NAMES.ignoredSamples, 'DDS samples not acted on, by topic and reason (too large, malformed, forged, rate limited).', [
      'topic',
      'reason',
    ]),
  }
  counterReadAtScrape(METRIC_NAMES.samplesWritten, 'Chat messages written to DDS (each once, however many samples carried it).', read.samplesWritten)
  gauge(METRIC_NAMES.matchedReaders, "DDS readers matched by this instance's writer (its own included).", read.matchedReaders)
  gauge(METRIC_NAMES.matchedWriters, "DDS writers matched by this instance's reader (its own included).", read.matchedWriters)
  counterReadAtScrape(METRIC_NAMES.writerBusy, 'Writes refused because the DDS writer history was full (retried later, never dropped).', read.writerBusy)
  gauge(METRIC_NAMES.publishQueue, 'Messages waiting for room in the DDS writer history.', read.publishQueue)
  gauge(METRIC_NAMES.historyMessages, 'Messages held for history and resume, every room.', read.historyMessages)
  gauge(METRIC_NAMES.clusterInstances, 'Instances known through presence, this one included.', read.clusterInstances)
  gauge(METRIC_NAMES.repairStore, 'Messages kept per writer for peers that miss some (every writer).', read.repairStoreMessages)
  gauge(METRIC_NAMES.repairsPending, 'Writers whose missed messages are being asked of the peers.', read.repairsPending)
  // One registry per server (tests run several in one process), never prom-client's global one.
  return {registry: Registry.merge([own, defaultProcessMetrics()]), ...recorded}
}

export type ChatMetrics = ReturnType<typeof createChatMetrics>
