import assert from 'node:assert/strict'

import {fetchMetrics, parsePrometheus} from '../../../dist/lib/cluster/http.js'
import {metricsSummary} from '../../../dist/lib/cluster/inspect.js'
import {cleanup, connect, connectV1, eventually, startMemoryServer} from '../chat/support.js'

describe('cluster metrics parsing', () => {
  it('sums a metric over its labels and ignores comments', () => {
    const text = [
      '# HELP chatdds_clients Connected websocket clients by protocol.',
      '# TYPE chatdds_clients gauge',
      'chatdds_clients{protocol="plain"} 2',
      'chatdds_clients{protocol="chatdds.v1"} 3',
      'chatdds_messages_in_total{protocol="plain"} 7',
      'chatdds_delivery_latency_seconds_bucket{le="+Inf"} 4',
      'chatdds_up 1',
    ].join('\n')
    const metrics = parsePrometheus(text)
    assert.equal(metrics.get('chatdds_clients'), 5)
    assert.equal(metrics.get('chatdds_messages_in_total'), 7)
    assert.equal(metrics.get('chatdds_delivery_latency_seconds_bucket'), 4)
    assert.equal(metrics.get('chatdds_up'), 1)
  })

  describe('against a real chat server', () => {
    after(cleanup)

    it('reads the clients and messages that cluster status shows from its /metrics', async () => {
      const server = await startMemoryServer({name: 'chat-1'})
      const sender = await connect(server)
      const listener = await connect(server)
      await connectV1(server, 'alice')
      sender.send('hello')
      await eventually(() => listener.texts.length === 1)
      const metrics = await fetchMetrics(`http://127.0.0.1:${server.port}/`)
      assert.deepEqual(metricsSummary(metrics), {clients: 3, messagesIn: 1, messagesOut: 2})
      assert.deepEqual(metricsSummary(undefined), {clients: undefined, messagesIn: undefined, messagesOut: undefined})
    })
  })
})
