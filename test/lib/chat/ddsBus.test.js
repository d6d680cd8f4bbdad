// DdsBus over a participant that joined before it (the name check): no discovery event is lost.
import assert from 'node:assert/strict'
import {DdsBus} from '../../../dist/lib/chat/ddsBus.js'
import {Participant} from '../../../dist/lib/dds/index.js'
import {INSTANCE_USER_DATA} from '../../../dist/lib/wire/index.js'
import {eventually, randomDomain} from '../../helpers.js'

describe('DdsBus over an existing participant', function () {
  this.timeout(20_000)
  const closing = []
  afterEach(() => {
    for (const thing of closing.splice(0)) thing.close()
  })

  it('reports the participants discovered before it to the handlers registered at once, as joined, once each', async () => {
    const domain = randomDomain()
    const peer = new DdsBus({domain, name: 'peer'})
    closing.push(peer)
    const participant = new Participant({domain, name: 'late', userData: INSTANCE_USER_DATA})
    assert.equal(await participant.findNamesake(), undefined)
    assert.deepEqual([...participant.participants.values()], ['peer'])
    const bus = new DdsBus({participant})
    closing.push(bus)
    assert.equal(bus.name, 'late')
    const early = []
    bus.onEvent((event) => early.push(event))
    // The snapshot goes to the handlers of this turn of the event loop only; later ones see events from then on.
    const later = []
    await new Promise((resolve) => setImmediate(resolve))
    bus.onEvent((event) => later.push(event))
    await eventually(() => bus.status().matchedReaders === 2)
    const joins = (events) => events.filter((event) => event.kind === 'joined')
    assert.deepEqual(joins(early), [{kind: 'joined', name: 'peer', guidPrefix: peer.guidPrefix}])
    assert.deepEqual(joins(later), [])
    assert.deepEqual(bus.status().peers, ['peer'])
    peer.close()
    await eventually(() => later.some((event) => event.kind === 'left'))
    assert.deepEqual(
      early.filter((event) => event.kind !== 'matched'),
      [
        {kind: 'joined', name: 'peer', guidPrefix: peer.guidPrefix},
        {kind: 'left', name: 'peer', guidPrefix: peer.guidPrefix},
      ],
    )
  })
})
