// Presence across real `chatdds serve` processes: who is in a room, joins and leaves pushed, no ghosts after a SIGKILL.
import assert from 'node:assert/strict'
import {eventually, killAll} from '../helpers.js'
import {getJson, openV1, startInstances} from '../commands/serveSupport.js'

const member = (name, instance) => ({name, instance})
const changes = (ws) => ws.ofType('presence-change').map(({room, change, name, instance}) => `${room} ${change} ${name}@${instance}`)

/** Resolves once every instance's GET /presence shows exactly `rooms`; fails with the last views. */
async function converged(instances, rooms, timeoutMs = 15_000) {
  let views
  await eventually(async () => {
    views = await Promise.all(instances.map((i) => getJson(i.port, '/presence')))
    return views.every((view) => JSON.stringify(view.rooms) === JSON.stringify(rooms))
  }, timeoutMs).catch(() => assert.fail(`presence did not converge to ${JSON.stringify(rooms)}; views: ${JSON.stringify(views)}`))
}

describe('presence (real instances over DDS)', function () {
  this.timeout(120_000)
  afterEach(() => killAll())

  it("names across instances, join and leave pushes, and a SIGKILLed instance's users gone from everyone's presence", async () => {
    const instances = await startInstances(3, {prefix: 'pres'})
    const [one, two, three] = instances
    const urls = instances.map((i) => ({name: i.name, url: `ws://127.0.0.1:${i.port}/`}))
    const alice = await openV1(one.port, 'alice')
    assert.deepEqual(alice.frames[0].instances, urls, 'hello lists every instance with its URL')

    assert.deepEqual((await alice.request({type: 'join', room: 'r'})).members, [member('alice', 'pres-1')])
    await converged(instances, {r: [member('alice', 'pres-1')]})
    const bob = await openV1(two.port, 'bob')
    assert.deepEqual((await bob.request({type: 'join', room: 'r'})).members, [member('alice', 'pres-1'), member('bob', 'pres-2')])
    await converged(instances, {r: [member('alice', 'pres-1'), member('bob', 'pres-2')]})
    const carol = await openV1(three.port, 'carol')
    const dave = await openV1(three.port, 'dave')
    await dave.request({type: 'join', room: 'other'})
    const everyone = [member('alice', 'pres-1'), member('bob', 'pres-2'), member('carol', 'pres-3')]
    assert.deepEqual((await carol.request({type: 'join', room: 'r'})).members, everyone)
    await converged(instances, {other: [member('dave', 'pres-3')], r: everyone})
    for (const ws of [alice, bob, carol]) assert.deepEqual((await ws.request({type: 'presence', room: 'r'})).members, everyone)
    assert.deepEqual((await alice.request({type: 'presence', room: 'other'})).members, [member('dave', 'pres-3')])

    await eventually(() => changes(alice).length === 2 && changes(bob).length === 1)
    assert.deepEqual(changes(alice), ['r join bob@pres-2', 'r join carol@pres-3'])
    assert.deepEqual(changes(bob), ['r join carol@pres-3'])
    assert.deepEqual(changes(carol), [])
    assert.deepEqual(changes(dave), [], 'dave is not in r')

    await bob.request({type: 'leave', room: 'r'})
    await converged(instances, {other: [member('dave', 'pres-3')], r: [member('alice', 'pres-1'), member('carol', 'pres-3')]})
    await eventually(() => changes(alice).length === 3 && changes(carol).length === 1)
    assert.deepEqual(changes(alice).at(-1), 'r leave bob@pres-2')
    assert.deepEqual(changes(carol), ['r leave bob@pres-2'])

    // pres-3 dies without a word: its users leave everyone's presence once its lease (5 s) runs out.
    three.child.kill('SIGKILL')
    await converged([one, two], {r: [member('alice', 'pres-1')]}, 15_000)
    await eventually(() => changes(alice).includes('r leave carol@pres-3'))
    assert.deepEqual(changes(alice), ['r join bob@pres-2', 'r join carol@pres-3', 'r leave bob@pres-2', 'r leave carol@pres-3'])
    assert.deepEqual((await alice.request({type: 'presence', room: 'r'})).members, [member('alice', 'pres-1')])
    assert.deepEqual((await getJson(two.port, '/presence')).instances, urls.slice(0, 2))
    const late = await openV1(two.port, 'late')
    assert.deepEqual(late.frames[0].instances, urls.slice(0, 2), 'a dead instance is not offered for fail-over')
    for (const ws of [alice, bob, carol, dave, late]) ws.terminate()
  })
})
