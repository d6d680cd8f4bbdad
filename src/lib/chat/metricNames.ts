/**
 * The names of the metrics `chatdds serve` exposes on GET /metrics, defined once: chatMetrics.ts
 * registers them and `cluster status` reads them. No imports, so that the CLI can load it cheaply.
 */
export const METRIC_NAMES = {
  clients: 'chatdds_clients',
  pausedClients: 'chatdds_paused_clients',
  rooms: 'chatdds_rooms',
  messagesIn: 'chatdds_messages_in_total',
  messagesOut: 'chatdds_messages_out_total',
  samplesRead: 'chatdds_dds_samples_read_total',
  latency: 'chatdds_delivery_latency_seconds',
  dropped: 'chatdds_messages_dropped_total',
  rateLimited: 'chatdds_rate_limited_total',
  badRequests: 'chatdds_bad_requests_total',
  closes: 'chatdds_client_closes_total',
  samplesWritten: 'chatdds_dds_samples_written_total',
  matchedReaders: 'chatdds_dds_matched_readers',
  matchedWriters: 'chatdds_dds_matched_writers',
  writerBusy: 'chatdds_dds_writer_busy_total',
  publishQueue: 'chatdds_publish_queue',
  historyMessages: 'chatdds_history_messages',
  clusterInstances: 'chatdds_cluster_instances',
  repaired: 'chatdds_messages_repaired_total',
  unrecovered: 'chatdds_messages_unrecovered_total',
  ignoredSamples: 'chatdds_dds_samples_ignored_total',
  repairStore: 'chatdds_repair_store_messages',
  repairsPending: 'chatdds_repairs_pending',
} as const
