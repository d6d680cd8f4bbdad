// The quantiles `cluster top` and the dashboard compute from the /metrics latency histogram, and the sample they read.
import assert from 'node:assert/strict'

import {bucketDelta, bucketSum, histogramQuantile} from '../../../dist/lib/chat/histogram.js'
import {metricsSample} from '../../../dist/lib/chat/metricsSample.js'
import {cleanup, connect, connectV1, eventually, httpGet, request, startMemoryServer} from './support.js'

const le = [0.001, 0.01, 0.1, Infinity]
const near = (actual, expected) => assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} is not ${expected}`)

describe('histogramQuantile (PromQL histogram_quantile)', () => {
  it('interpolates linearly inside the bucket that holds the rank, from 0 for the first bucket', () => {
    // 10 observations: 4 up to 1 ms, 4 more up to 10 ms, 2 more up to 100 ms.
    const buckets = {le, counts: [4, 8, 10, 10]}
    near(histogramQuantile(0.2, buckets), 0.0005) // rank 2 of 4 in (0, 1 ms]
    near(histogramQuantile(0.5, buckets), 0.001 + 0.009 * (1 / 4)) // rank 5: the 1st of 4 in (1, 10 ms]
    near(histogramQuantile(0.99, buckets), 0.01 + 0.09 * (1.9 / 2))
  })

  it('gives the largest finite bound for a rank in +Inf (also when JSON made it null), and undefined with no observation', () => {
    assert.equal(histogramQuantile(0.99, {le, counts: [0, 0, 1, 10]}), 0.1)
    assert.equal(histogramQuantile(0.99, {le: [0.001, 0.01, 0.1, null], counts: [0, 0, 1, 10]}), 0.1)
    assert.equal(histogramQuantile(0.5, {le, counts: [0, 0, 0, 0]}), undefined)
  })

  it('bucketDelta gives what was observed between two scrapes, and the new counts after a restart; bucketSum adds instances', () => {
    assert.deepEqual(bucketDelta({le, counts: [5, 9, 12, 12]}, {le, counts: [4, 8, 10, 10]}), {le, counts: [1, 1, 2, 2]})
    assert.deepEqual(bucketDelta({le, counts: [1, 1, 1, 1]}, {le, counts: [4, 8, 10, 10]}), {le, counts: [1, 1, 1, 1]})
    assert.deepEqual(
      bucketSum([
        {le, counts: [1, 2, 3, 3]},
        {le, counts: [0, 1, 1, 2]},
      ]),
      {le, counts: [1, 3, 4, 5]},
    )
  })
})

describe('metricsSample', () => {
  afterEach(cleanup)

  it('reads clients, rooms, message counts, the latency buckets, RSS and uptime from a real /metrics', async () => {
    const server = await startMemoryServer({name: 'chat-1'})
    const plain = await connect(server)
    const v1 = await connectV1(server, 'alice')
    await request(v1, {type: 'join', room: 'ops', ref: 1})
    await request(v1, {type: 'join', room: 'general', ref: 2})
    for (const text of ['one', 'two', 'three']) plain.send(text)
    await eventually(() => plain.texts.length === 3)
    const now = Date.now()
    const sample = metricsSample((await httpGet(server, '/metrics')).body, now)
    assert.deepEqual(
      {
        clients: sample.clients,
        rooms: sample.rooms,
        messagesIn: sample.messagesIn,
        messagesOut: sample.messagesOut,
        le: sample.latency.le.length,
        observed: sample.latency.counts.at(-1),
      },
      // general (both clients) and ops; 3 in from the plain client, out to both; each message read once from the bus.
      {clients: 2, rooms: 2, messagesIn: 3, messagesOut: 6, le: 15, observed: 3},
    )
    assert.equal(sample.latency.le.at(-1), Infinity)
    assert.ok(sample.rssBytes > 0)
    assert.ok(Number.isInteger(sample.uptimeSeconds) && sample.uptimeSeconds >= 0)
  })
})
