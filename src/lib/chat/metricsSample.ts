/** One scrape of an instance's /metrics, reduced to what `cluster top` and the dashboard show. */
import type {Buckets} from './histogram.js'
import {METRIC_NAMES} from './metricNames.js'

export interface MetricsSample {
  clients: number
  /** Rooms with at least one client on this instance. */
  rooms: number
  messagesIn: number
  messagesOut: number
  /** chatdds_delivery_latency_seconds, every label summed. */
  latency: Buckets
  rssBytes?: number
  uptimeSeconds?: number
}

const SAMPLE = /^([A-Za-z_:][\w:]*)(?:\{([^}]*)\})?\s+(\S+)/

/** Reads the Prometheus text of GET /metrics; `nowMs` gives the uptime (from process_start_time_seconds). */
export function metricsSample(text: string, nowMs = Date.now()): MetricsSample {
  const sums = new Map<string, number>()
  const byBound = new Map<number, number>()
  const bucketName = `${METRIC_NAMES.latency}_bucket`
  for (const line of text.split('\n')) {
    const match = SAMPLE.exec(line.trim())
    if (!match) continue
    const value = Number(match[3])
    if (!Number.isFinite(value)) continue
    if (match[1] === bucketName) {
      const le = /le="([^"]*)"/.exec(match[2] ?? '')?.[1]
      const bound = le === '+Inf' ? Infinity : Number(le)
      if (le !== undefined && !Number.isNaN(bound)) byBound.set(bound, (byBound.get(bound) ?? 0) + value)
    } else sums.set(match[1], (sums.get(match[1]) ?? 0) + value)
  }
  const le = [...byBound.keys()].sort((a, b) => a - b)
  const started = sums.get('process_start_time_seconds')
  return {
    clients: sums.get(METRIC_NAMES.clients) ?? 0,
    rooms: sums.get(METRIC_NAMES.rooms) ?? 0,
    messagesIn: sums.get(METRIC_NAMES.messagesIn) ?? 0,
    messagesOut: sums.get(METRIC_NAMES.messagesOut) ?? 0,
    latency: {le, counts: le.map((bound) => byBound.get(bound) ?? 0)},
    rssBytes: sums.get('process_resident_memory_bytes'),
    uptimeSeconds: started === undefined ? undefined : Math.max(0, Math.round(nowMs / 1000 - started)),
  }
}
