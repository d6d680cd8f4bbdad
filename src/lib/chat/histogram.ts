/**
 * Quantiles of a Prometheus histogram, interpolated like PromQL's histogram_quantile. No imports: the dashboard page
 * loads the compiled file as it is (GET /dashboard/histogram.js), so `cluster top` and the page compute the same.
 */

/** Cumulative bucket counts by upper bound (`le`, seconds), ascending; the last bound is Infinity (+Inf). */
export interface Buckets {
  le: number[]
  counts: number[]
}

/** `now - before`, bucket by bucket: what was observed in between (a restarted counter counts from zero). */
export function bucketDelta(now: Buckets, before: Buckets | undefined): Buckets {
  if (!before || before.le.length !== now.le.length) return now
  const counts = now.counts.map((count, i) => count - before.counts[i])
  return counts.some((count) => count < 0) ? now : {le: now.le, counts}
}

/** Sum of several instances' histograms with the same bounds (the cluster's). */
export function bucketSum(all: Buckets[]): Buckets | undefined {
  const [first] = all
  if (!first) return undefined
  const same = all.filter((buckets) => buckets.le.length === first.le.length)
  return {le: first.le, counts: first.le.map((_, i) => same.reduce((sum, buckets) => sum + buckets.counts[i], 0))}
}

/**
 * The q-quantile (0..1) in seconds, or undefined when nothing was observed. Linear inside the bucket that holds the
 * rank, from 0 for the first bucket; a rank in the +Inf bucket gives the largest finite bound (PromQL does the same).
 */
export function histogramQuantile(q: number, buckets: Buckets): number | undefined {
  const {le, counts} = buckets
  const total = counts.at(-1) ?? 0
  if (total <= 0) return undefined
  const rank = q * total
  const index = counts.findIndex((count) => count >= rank)
  if (index < 0) return undefined
  // JSON has no Infinity: the page gets +Inf as null.
  if (!Number.isFinite(le[index])) return le.length > 1 ? le[le.length - 2] : undefined
  const lower = index === 0 ? 0 : le[index - 1]
  const below = index === 0 ? 0 : counts[index - 1]
  const inBucket = counts[index] - below
  if (inBucket <= 0) return lower
  return lower + (le[index] - lower) * ((rank - below) / inBucket)
}
