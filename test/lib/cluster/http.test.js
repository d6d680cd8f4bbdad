import assert from 'node:assert/strict'

import {parsePrometheus} from '../../../dist/lib/cluster/http.js'

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
})
