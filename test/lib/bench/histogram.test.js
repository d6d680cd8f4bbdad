// bench's bounded-memory latency histogram and its load plans.
import assert from 'node:assert/strict'

import {LatencyHistogram, renderHistogram} from '../../../dist/lib/bench/histogram.js'
import {planBench} from '../../../dist/lib/bench/plan.js'

describe('bench histogram and plans', () => {
  it('percentiles are within 2 % of the exact ones, the max exact', () => {
    const histogram = new LatencyHistogram()
    for (let i = 1; i <= 1000; i++) histogram.record(i / 10)
    assert.equal(histogram.count, 1000)
    assert.equal(histogram.maxMs, 100)
    assert.ok(Math.abs(histogram.percentile(50) - 50) / 50 <= 0.02, String(histogram.percentile(50)))
    assert.ok(Math.abs(histogram.percentile(99) - 99) / 99 <= 0.02, String(histogram.percentile(99)))
    assert.equal(histogram.percentile(100), 100)
    assert.ok(Number.isNaN(new LatencyHistogram().percentile(50)))
  })

  it('draws power-of-two buckets from the first to the last used one, empty ones included', () => {
    const histogram = new LatencyHistogram()
    for (const ms of [1.5, 1.5, 6]) histogram.record(ms)
    const buckets = histogram.buckets()
    assert.deepEqual(
      buckets.map((b) => [b.fromMs, b.toMs, b.count]),
      [
        [1, 2, 2],
        [2, 4, 0],
        [4, 8, 1],
      ],
    )
    assert.deepEqual(renderHistogram(buckets, 8), ['1–2 ms │████████ 2  66.7 %', '2–4 ms │         0  0.0 %', '4–8 ms │████     1  33.3 %'])
  })

  it('fanout: one sender per port, receivers dealt over the ports; rate: rooms of 3 on the ports after their sender', () => {
    const fanout = planBench('fanout', 5, [7000, 7001], 'r')
    assert.deepEqual(
      fanout.senders.map((s) => s.port),
      [7000, 7001],
    )
    assert.deepEqual(
      fanout.receivers.map((r) => r.port),
      [7000, 7001, 7000, 7001, 7000],
    )
    assert.deepEqual(fanout.audience, [5, 5])
    const rate = planBench('rate', 7, [7000, 7001, 7002], 'r')
    assert.deepEqual(rate.rooms, ['r-1', 'r-2', 'r-3'])
    assert.deepEqual(rate.audience, [3, 3, 1])
    assert.deepEqual(
      rate.senders.map((s) => s.port),
      [7000, 7001, 7002],
    )
    assert.deepEqual(
      rate.receivers.slice(0, 3).map((r) => r.port),
      [7001, 7002, 7000],
    )
  })
})
