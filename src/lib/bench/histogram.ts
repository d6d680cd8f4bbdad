/**
 * Delivery latencies in bounded memory: fine log-scale buckets (2 % wide) for the percentiles, and
 * power-of-two buckets for the terminal chart. A run may see billions of deliveries, so no list of samples.
 */

/** Bucket edges grow by 2 %: a percentile is exact to within 2 %. */
const FINE_RATIO = 1.02
const FINE_MIN_MS = 0.01
const FINE_BUCKETS = Math.ceil(Math.log(1e7 / FINE_MIN_MS) / Math.log(FINE_RATIO)) + 1
const LOG_FINE_RATIO = Math.log(FINE_RATIO)

/** Chart buckets: ≤ 0.125 ms, then (0.125, 0.25], … doubling, up to > 65.5 s. */
const CHART_FIRST_MS = 0.125
const CHART_BUCKETS = 21

export interface HistogramBucket {
  /** Exclusive lower bound in ms (0 for the first bucket). */
  fromMs: number
  /** Inclusive upper bound in ms (null for the last, open bucket). */
  toMs: number | null
  count: number
}

export class LatencyHistogram {
  count = 0
  maxMs = 0
  private readonly fine = new Float64Array(FINE_BUCKETS)
  private readonly chart = new Float64Array(CHART_BUCKETS)

  record(ms: number): void {
    const value = ms > 0 ? ms : 0
    this.count++
    if (value > this.maxMs) this.maxMs = value
    const fine = value <= FINE_MIN_MS ? 0 : Math.min(FINE_BUCKETS - 1, Math.ceil(Math.log(value / FINE_MIN_MS) / LOG_FINE_RATIO))
    this.fine[fine]++
    const chart = value <= CHART_FIRST_MS ? 0 : Math.min(CHART_BUCKETS - 1, Math.ceil(Math.log2(value / CHART_FIRST_MS)))
    this.chart[chart]++
  }

  /** The latency in ms that `p` % of the deliveries did not exceed (upper edge of its bucket, at most the max); NaN when empty. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN
    const rank = Math.max(1, Math.ceil((p / 100) * this.count))
    let seen = 0
    for (let i = 0; i < FINE_BUCKETS; i++) {
      seen += this.fine[i]
      if (seen >= rank) return Math.min(this.maxMs, FINE_MIN_MS * FINE_RATIO ** i)
    }
    return this.maxMs
  }

  /** The chart buckets from the first to the last non-empty one. */
  buckets(): HistogramBucket[] {
    const used = [...this.chart.keys()].filter((i) => this.chart[i] > 0)
    if (used.length === 0) return []
    const buckets: HistogramBucket[] = []
    for (let i = used[0]; i <= used.at(-1)!; i++) {
      buckets.push({
        fromMs: i === 0 ? 0 : CHART_FIRST_MS * 2 ** (i - 1),
        toMs: i === CHART_BUCKETS - 1 ? null : CHART_FIRST_MS * 2 ** i,
        count: this.chart[i],
      })
    }
    return buckets
  }
}

// Eighths of a block, so a bar's length shows small differences; a dozen lines of our own instead of a charting library.
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉']

/** A horizontal bar of `value / max × width` cells of block characters (at least a sliver when value > 0). */
export function bar(value: number, max: number, width: number): string {
  if (value <= 0 || max <= 0) return ''
  const eighths = Math.max(1, Math.round((value / max) * width * 8))
  return '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8]
}

/** "0.25", "1", "16384": a bucket edge as written in the chart. */
const edge = (ms: number) => String(Number(ms.toPrecision(4)))

/** One line per bucket: its range, a bar, the count and its share. */
export function renderHistogram(buckets: HistogramBucket[], width = 40): string[] {
  const total = buckets.reduce((sum, bucket) => sum + bucket.count, 0)
  const max = Math.max(0, ...buckets.map((bucket) => bucket.count))
  const labels = buckets.map((bucket) =>
    bucket.toMs === null ? `> ${edge(bucket.fromMs)} ms` : bucket.fromMs === 0 ? `≤ ${edge(bucket.toMs)} ms` : `${edge(bucket.fromMs)}–${edge(bucket.toMs)} ms`,
  )
  const labelWidth = Math.max(0, ...labels.map((label) => label.length))
  const countWidth = Math.max(0, ...buckets.map((bucket) => bucket.count.toLocaleString('en-US').length))
  return buckets.map((bucket, i) => {
    const share = total > 0 ? `${((bucket.count / total) * 100).toFixed(1)} %` : ''
    return `${labels[i].padStart(labelWidth)} │${bar(bucket.count, max, width).padEnd(width)} ${bucket.count.toLocaleString('en-US').padStart(countWidth)}  ${share}`
  })
}
