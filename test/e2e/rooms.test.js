// Rooms never leak, and each origin's messages arrive in the order they were sent, on every instance.
import assert from 'node:assert/strict'
import {eventually, killAll} from '../helpers.js'
import {openSocket, openV1, startInstances} from '../commands/serveSupport.js'

describe('room isolation and per-origin order (real instances over DDS)', function () {
  this.timeout(120_000)
  afterEach(() => killAll())

  it("a client in room a only never receives a message of room b, while members of b get every one, in each origin's order", async () => {
    const PER_ROOM = 60
    const [one, two] = await startInstances(2, {prefix: 'rooms'})
    const onlyA = await openV1(one.port, 'only-a')
    const onlyB = await openV1(two.port, 'only-b')
    const bothOnOne = await openV1(one.port, 'both')
    const plain = await openSocket(two.port)
    await onlyA.request({type: 'join', room: 'a'})
    await onlyB.request({type: 'join', room: 'b'})
    await bothOnOne.request({type: 'join', room: 'a'})
    await bothOnOne.request({type: 'join', room: 'b'})

    const senders = [await openV1(one.port, 'sender-1'), await openV1(two.port, 'sender-2')]
    const sent = {a: [], b: []}
    // Both origins at once, alternating rooms, without waiting for acks: order comes from DDS, not from pacing.
    for (const [s, sender] of senders.entries()) {
      for (let n = 0; n < PER_ROOM; n++) {
        for (const room of ['a', 'b']) {
          const text = `${room}:${s + 1}:${n}`
          sender.send(JSON.stringify({type: 'send', room, text}))
          sent[room].push(text)
        }
      }
    }
    const count = (ws, room) => ws.ofType('message').filter((m) => m.room === room).length
    await eventually(
      () => count(onlyA, 'a') === 2 * PER_ROOM && count(onlyB, 'b') === 2 * PER_ROOM && count(bothOnOne, 'a') + count(bothOnOne, 'b') === 4 * PER_ROOM,
      60_000,
    )
    // A last message in general: once it is in, anything that leaked would be in too.
    senders[1].send(JSON.stringify({type: 'send', room: 'general', text: 'end'}))
    await eventually(() => plain.texts.includes('end'))
    for (const ws of [onlyA, onlyB, bothOnOne]) await ws.request({type: 'ping'})

    const byOrigin = (texts, origin) => texts.filter((t) => t.split(':')[1] === String(origin))
    const check = (ws, room) => {
      const texts = ws
        .ofType('message')
        .filter((m) => m.room === room)
        .map((m) => m.text)
      assert.deepEqual([...texts].sort(), [...sent[room]].sort(), `${ws.frames[0].name} got every message of #${room} once`)
      for (const origin of [1, 2]) assert.deepEqual(byOrigin(texts, origin), byOrigin(sent[room], origin), `origin ${origin} in order in #${room}`)
      assert.ok(
        ws
          .ofType('message')
          .filter((m) => m.room === room)
          .every((m) => m.text.startsWith(`${room}:`)),
      )
    }
    assert.deepEqual(
      onlyA.ofType('message').filter((m) => m.room !== 'a'),
      [],
      'only-a received nothing of another room',
    )
    assert.deepEqual(
      onlyB.ofType('message').filter((m) => m.room !== 'b'),
      [],
      'only-b received nothing of another room',
    )
    assert.deepEqual(
      onlyA.ofType('presence-change').filter((f) => f.room !== 'a'),
      [],
      'nor presence of another room',
    )
    assert.deepEqual(
      onlyB.ofType('presence-change').filter((f) => f.room !== 'b'),
      [],
      'nor presence of another room',
    )
    check(onlyA, 'a')
    check(onlyB, 'b')
    check(bothOnOne, 'a')
    check(bothOnOne, 'b')
    assert.equal(new Set(bothOnOne.ofType('message').map((m) => m.id)).size, 4 * PER_ROOM)
    // The plain client is in general only.
    assert.deepEqual(plain.texts, ['end'])
  })
})
