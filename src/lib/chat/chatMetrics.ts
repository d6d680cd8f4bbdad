/** The metrics one chat instance exposes on GET /metrics. */
import {Counter, Histogram, Registry, Sampled} from './metrics.js'
import {SUBPROTOCOL} from '../wire/index.js'

export type ProtocolName = 'plain' | typeof SUBPROTOCOL

/** What the gauges read at scrape time. */
export interface MetricSources {
  clients(protocol: ProtocolName): number
  pausedClients(): number
  matchedReaders(): number
  matchedWriters(): number
  samplesWritten(): number
  writerBusy(): number
  publishQueue(): number
  historyMessages(): number
  clusterInstances(): number
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export function createChatMetrics(read: MetricSources) {
  const registry = new Registry()
  const byProtocol = [{protocol: 'plain'}, {protocol: SUBPROTOCOL}]
  const gauge = (name: string, help: string, value: () => number) => registry.add(new Sampled(name, help, 'gauge', () => [[{}, value()]]))
  const sampledCounter = (name: string, help: string, value: () => number) => registry.add(new Sampled(name, help, 'counter', () => [[{}, value()]]))

  registry.add(
    new Sampled('chatdds_clients', 'Connected websocket clients by protocol.', 'gauge', () => [
      [{protocol: 'plain'}, read.clients('plain')],
      [{protocol: SUBPROTOCOL}, read.clients(SUBPROTOCOL)],
    ]),
  )
  gauge('chatdds_paused_clients', 'Websocket clients not being read (DDS writer full, or over the rate limit).', read.pausedClients)
  const metrics = {
    registry,
    messagesIn: registry.add(new Counter('chatdds_messages_in_total', 'Chat messages received from websocket clients.', byProtocol)),
    messagesOut: registry.add(new Counter('chatdds_messages_out_total', 'Chat messages sent to websocket clients (replays included).', byProtocol)),
    samplesRead: registry.add(new Counter('chatdds_dds_samples_read_total', 'Samples read from the DDS topic.')),
    latency: registry.add(
      new Histogram(
        'chatdds_delivery_latency_seconds',
        "Time from the sender's timestamp (envelope ts, else the DDS source timestamp) to reception by this instance.",
        LATENCY_BUCKETS,
      ),
    ),
    dropped: registry.add(
      new Counter('chatdds_messages_dropped_total', 'Messages not delivered to a client: it was being closed, or the sample was a repeat.', [
        {reason: 'client_closing'},
        {reason: 'duplicate'},
      ]),
    ),
    rateLimited: registry.add(new Counter('chatdds_rate_limited_total', 'Rate limit hits: plain clients paused, chatdds.v1 frames refused.', byProtocol)),
    badRequests: registry.add(new Counter('chatdds_bad_requests_total', 'chatdds.v1 frames answered with an error frame, by code.', [])),
    closes: registry.add(new Counter('chatdds_client_closes_total', 'Websocket connections ended by the server, by reason.', [])),
  }
  sampledCounter('chatdds_dds_samples_written_total', 'Samples written to the DDS topic.', read.samplesWritten)
  gauge('chatdds_dds_matched_readers', "DDS readers matched by this instance's writer (its own included).", read.matchedReaders)
  gauge('chatdds_dds_matched_writers', "DDS writers matched by this instance's reader (its own included).", read.matchedWriters)
  sampledCounter('chatdds_dds_writer_busy_total', 'Writes refused because the DDS writer history was full (retried later, never dropped).', read.writerBusy)
  gauge('chatdds_publish_queue', 'Messages waiting for room in the DDS writer history.', read.publishQueue)
  gauge('chatdds_history_messages', 'Messages held for history and resume, every room.', read.historyMessages)
  gauge('chatdds_cluster_instances', 'Instances known through presence, this one included.', read.clusterInstances)
  return metrics
}

export type ChatMetrics = ReturnType<typeof createChatMetrics>
