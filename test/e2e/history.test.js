// History hand-over between real `chatdds serve` processes: an instance started after the messages were sent serves them.
import assert from 'node:assert/strict'
import {eventually, killAll} from '../helpers.js'
import {getJson, openV1, startInstance, startInstances, waitReady} from '../commands/serveSupport.js'

describe('history hand-over (real instances over DDS)', function () {
  this.timeout(120_000)
  afterEach(() => killAll())

  it('3 instances, 20 messages in room r, a 4th instance started afterwards: a client joining r there with history 20 gets all 20, in order', async () => {
    const instances = await startInstances(3, {prefix: 'hist'})
    const senders = await Promise.all(instances.map((instance, i) => openV1(instance.port, `sender-${i + 1}`)))
    const listener = await openV1(instances[0].port, 'listener')
    await listener.request({type: 'join', room: 'r'})

    const expected = []
    for (let n = 1; n <= 20; n++) {
      // Round robin over the 3 instances: the merge has 3 writers to interleave.
      const text = `message ${n} from ${instances[n % 3].name}`
      const ack = await senders[n % 3].request({type: 'send', room: 'r', text})
      assert.equal(ack.type, 'ack', JSON.stringify(ack))
      expected.push({id: ack.id, text})
      // The next one is sent once this one went round the cluster: the send order is the timestamp order.
      await eventually(() => listener.ofType('message').some((m) => m.id === ack.id))
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    for (const ws of [...senders, listener]) ws.terminate()

    const late = await startInstance('hist-4', instances[0].domain)
    await waitReady(late, 3)
    const status = await getJson(late.port, '/readyz')
    assert.equal(status.historyHandOver, 'complete', late.child.output())
    assert.match(late.child.output(), /History hand-over complete in [\d.]+ s: 3 peers answered \(hist-1, hist-2, hist-3\); 20 messages merged into 1 room/)

    const client = await openV1(late.port, 'late-reader')
    const joined = await client.request({type: 'join', room: 'r', history: 20})
    assert.deepEqual([joined.type, joined.replayed, joined.recovered], ['joined', 20, true])
    await eventually(() => client.ofType('message').length >= 20)
    await client.request({type: 'ping'})
    const replayed = client.ofType('message')
    assert.deepEqual(
      replayed.map(({id, text, room, replay}) => ({id, text, room, replay})),
      expected.map(({id, text}) => ({id, text, room: 'r', replay: true})),
    )
    client.terminate()
  })
})
