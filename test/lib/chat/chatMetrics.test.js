// GET /metrics on a chat server: every chatdds_ metric with its type and initial value, prom-client's process metrics.
import assert from 'node:assert/strict'

import {METRIC_NAMES} from '../../../dist/lib/chat/metricNames.js'
import {MemoryHub, cleanup, connect, eventually, httpGet, startMemoryServer} from './support.js'

const EXPECTED_TYPES = {
  chatdds_clients: 'gauge',
  chatdds_rooms: 'gauge',
  chatdds_paused_clients: 'gauge',
  chatdds_messages_in_total: 'counter',
  chatdds_messages_out_total: 'counter',
  chatdds_dds_samples_read_total: 'counter',
  chatdds_delivery_latency_seconds: 'histogram',
  chatdds_messages_dropped_total: 'counter',
  chatdds_rate_limited_total: 'counter',
  chatdds_bad_requests_total: 'counter',
  chatdds_client_closes_total: 'counter',
  chatdds_dds_samples_written_total: 'counter',
  chatdds_dds_matched_readers: 'gauge',
  chatdds_dds_matched_writers: 'gauge',
  chatdds_dds_writer_busy_total: 'counter',
  chatdds_publish_queue: 'gauge',
  chatdds_history_messages: 'gauge',
  chatdds_cluster_instances: 'gauge',
  chatdds_messages_repaired_total: 'counter',
  chatdds_messages_unrecovered_total: 'counter',
  chatdds_dds_samples_ignored_total: 'counter',
  chatdds_repair_store_messages: 'gauge',
  chatdds_repairs_pending: 'gauge',
}

const LATENCY_BUCKETS = ['0.0005', '0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']

/** What a fresh instance alone on its bus shows. */
const INITIAL_SAMPLES = [
  'chatdds_clients{protocol="plain"} 0',
  'chatdds_clients{protocol="chatdds.v1"} 0',
  'chatdds_rooms 0',
  'chatdds_paused_clients 0',
  'chatdds_messages_in_total{protocol="plain"} 0',
  'chatdds_messages_in_total{protocol="chatdds.v1"} 0',
  'chatdds_messages_out_total{protocol="plain"} 0',
  'chatdds_messages_out_total{protocol="chatdds.v1"} 0',
  'chatdds_dds_samples_read_total 0',
  ...LATENCY_BUCKETS.map((le) => `chatdds_delivery_latency_seconds_bucket{le="${le}"} 0`),
  'chatdds_delivery_latency_seconds_sum 0',
  'chatdds_delivery_latency_seconds_count 0',
  'chatdds_messages_dropped_total{reason="client_closing"} 0',
  'chatdds_messages_dropped_total{reason="duplicate"} 0',
  'chatdds_rate_limited_total{protocol="plain"} 0',
  'chatdds_rate_limited_total{protocol="chatdds.v1"} 0',
  // chatdds_bad_requests_total and chatdds_client_closes_total: no sample until a first code or reason.
  'chatdds_messages_repaired_total 0',
  'chatdds_messages_unrecovered_total 0',
  // chatdds_dds_samples_ignored_total: no sample until a first topic and reason.
  'chatdds_dds_samples_written_total 0',
  'chatdds_dds_matched_readers 1',
  'chatdds_dds_matched_writers 1',
  'chatdds_dds_writer_busy_total 0',
  'chatdds_publish_queue 0',
  'chatdds_history_messages 0',
  'chatdds_cluster_instances 1',
  'chatdds_repair_store_messages 0',
  'chatdds_repairs_pending 0',
]

/** `# TYPE` lines → {name: type}, and the sample lines of the metrics whose name starts with `prefix`. */
function exposition(body, prefix) {
  const lines = body.split('\n')
  const types = {}
  for (const line of lines) {
    const match = /^# TYPE (\S+) (\S+)$/.exec(line)
    if (match && match[1].startsWith(prefix)) types[match[1]] = match[2]
  }
  return {types, samples: lines.filter((line) => line.startsWith(prefix))}
}

const scrape = async (server) => {
  const answer = await httpGet(server, '/metrics')
  assert.equal(answer.status, 200)
  return answer.body
}

describe('chat server metrics', () => {
  afterEach(cleanup)

  it('exposes every chatdds_ metric with its type and initial value, and prom-client process metrics', async () => {
    const server = await startMemoryServer({name: 'chat-1'})
    const answer = await httpGet(server, '/metrics')
    assert.equal(answer.status, 200)
    assert.equal(answer.type, 'text/plain; version=0.0.4; charset=utf-8')
    const {types, samples} = exposition(answer.body, 'chatdds_')
    assert.deepEqual(types, EXPECTED_TYPES)
    assert.deepEqual(Object.values(METRIC_NAMES).sort(), Object.keys(EXPECTED_TYPES).sort())
    assert.deepEqual(samples, INITIAL_SAMPLES)
    assert.ok(answer.body.includes('# HELP chatdds_clients Connected websocket clients by protocol.\n'))

    const processMetrics = exposition(answer.body, '')
    for (const [name, type] of [
      ['process_resident_memory_bytes', 'gauge'],
      ['process_cpu_seconds_total', 'counter'],
      ['process_open_fds', 'gauge'],
      ['nodejs_eventloop_lag_seconds', 'gauge'],
      ['nodejs_eventloop_lag_p99_seconds', 'gauge'],
      ['nodejs_heap_size_used_bytes', 'gauge'],
      ['nodejs_active_handles_total', 'gauge'],
      ['nodejs_gc_duration_seconds', 'histogram'],
    ]) {
      assert.equal(processMetrics.types[name], type, `# TYPE ${name} ${type} missing in\n${answer.body}`)
    }
    const rss = Number(/^process_resident_memory_bytes (\d+)$/m.exec(answer.body)?.[1])
    assert.ok(rss > 0, `process_resident_memory_bytes is ${rss}`)
  })

  it('counts each message once: in, out to every client, written and read', async () => {
    const server = await startMemoryServer({name: 'chat-1'})
    const sender = await connect(server)
    const listener = await connect(server)
    for (const text of ['one', 'two', 'three']) sender.send(text)
    await eventually(() => sender.texts.length === 3 && listener.texts.length === 3)
    const {samples} = exposition(await scrape(server), 'chatdds_')
    for (const line of [
      'chatdds_clients{protocol="plain"} 2',
      'chatdds_messages_in_total{protocol="plain"} 3',
      'chatdds_messages_in_total{protocol="chatdds.v1"} 0',
      'chatdds_messages_out_total{protocol="plain"} 6',
      'chatdds_dds_samples_written_total 3',
      'chatdds_dds_samples_read_total 3',
      'chatdds_delivery_latency_seconds_bucket{le="+Inf"} 3',
      'chatdds_delivery_latency_seconds_count 3',
      'chatdds_history_messages 3',
    ]) {
      assert.ok(samples.includes(line), `missing ${line} in\n${samples.join('\n')}`)
    }
  })

  it('keeps the counters of each server of a process apart, and every server shows the process metrics', async () => {
    const busy = await startMemoryServer({name: 'busy'}, {hub: new MemoryHub()})
    const idle = await startMemoryServer({name: 'idle'}, {hub: new MemoryHub()})
    const sender = await connect(busy)
    sender.send('hello')
    await eventually(() => sender.texts.length === 1)
    const [busyBody, idleBody] = await Promise.all([scrape(busy), scrape(idle)])
    assert.ok(busyBody.split('\n').includes('chatdds_messages_in_total{protocol="plain"} 1'))
    assert.ok(idleBody.split('\n').includes('chatdds_messages_in_total{protocol="plain"} 0'))
    for (const body of [busyBody, idleBody]) assert.match(body, /^# TYPE nodejs_heap_size_used_bytes gauge$/m)
    // A server started after another one has closed still renders (no metric registered twice).
    await busy.close()
    const later = await startMemoryServer({name: 'later'})
    assert.match(await scrape(later), /^# TYPE process_resident_memory_bytes gauge$/m)
  })
})
