import assert from 'node:assert/strict'
import {History} from '../../../dist/lib/chat/history.js'
import {parseCursor} from '../../../dist/lib/wire/index.js'

const message = (writer, seq, room = 'general') => ({id: `${writer}:${seq}`, writer, seq, room, from: null, text: `${writer}-${seq}`, ts: seq, origin: null})
const ids = (result) => result.messages.map((m) => m.id)

describe('chat history', () => {
  it('keeps the last N messages per room, oldest first', () => {
    const history = new History(3)
    for (let seq = 1; seq <= 5; seq++) history.add(message('a', seq))
    history.add(message('a', 6, 'other'))
    assert.deepEqual(ids(history.lookup('general', {limit: 10})), ['a:3', 'a:4', 'a:5'])
    assert.deepEqual(ids(history.lookup('general', {limit: 2})), ['a:4', 'a:5'])
    assert.deepEqual(ids(history.lookup('other', {limit: 10})), ['a:6'])
    assert.equal(history.size('general'), 3)
  })

  it('replays nothing without a limit or a cursor', () => {
    const history = new History(3)
    history.add(message('a', 1))
    assert.deepEqual(history.lookup('general'), {messages: [], recovered: true})
    assert.deepEqual(history.lookup('nobody-here', {limit: 5}), {messages: [], recovered: true})
  })

  it('resumes after a message id, for its writer, and replays writers the cursor does not name', () => {
    const history = new History(10)
    history.add(message('a', 1))
    history.add(message('b', 1))
    history.add(message('a', 2))
    history.add(message('b', 2))
    const result = history.lookup('general', {since: parseCursor('a:1')})
    assert.deepEqual(ids(result), ['b:1', 'a:2', 'b:2'])
    assert.equal(result.recovered, true)
  })

  it('resumes from a per-writer cursor', () => {
    const history = new History(10)
    // Timestamps in arrival order (the fixture's default timestamp is the sequence number).
    let ts = 0
    for (const [w, s] of [
      ['a', 1],
      ['b', 7],
      ['a', 2],
      ['b', 8],
      ['c', 1],
    ])
      history.add({...message(w, s), ts: ++ts})
    const result = history.lookup('general', {since: parseCursor({a: 2, b: 7})})
    assert.deepEqual(ids(result), ['b:8', 'c:1'])
    assert.equal(result.recovered, true)
  })

  it('says recovered:false when the cursor is older than what is held', () => {
    const history = new History(2)
    for (let seq = 1; seq <= 5; seq++) history.add(message('a', seq))
    const gap = history.lookup('general', {since: parseCursor({a: 2})})
    assert.deepEqual(ids(gap), ['a:4', 'a:5'])
    assert.equal(gap.recovered, false)
    const noGap = history.lookup('general', {since: parseCursor({a: 3})})
    assert.deepEqual(ids(noGap), ['a:4', 'a:5'])
    assert.equal(noGap.recovered, true)
  })

  it('caps a resume at the limit and then says recovered:false', () => {
    const history = new History(10)
    for (let seq = 1; seq <= 5; seq++) history.add(message('a', seq))
    const result = history.lookup('general', {since: parseCursor({a: 1}), limit: 2})
    assert.deepEqual(ids(result), ['a:4', 'a:5'])
    assert.equal(result.recovered, false)
  })

  it('parses both cursor forms and refuses others', () => {
    assert.deepEqual([...parseCursor('0f0e:12')], [['0f0e', 12]])
    assert.deepEqual(
      [...parseCursor({x: 1, y: 0})],
      [
        ['x', 1],
        ['y', 0],
      ],
    )
    for (const bad of ['nocolon', ':5', 'a:-1', 'a:1.5', 5, null, [], {a: 'x'}, {a: -2}]) assert.equal(parseCursor(bad), undefined, JSON.stringify(bad))
  })

  it('forgets the oldest room past maxRooms', () => {
    const history = new History(5, 2)
    history.add(message('a', 1, 'r1'))
    history.add(message('a', 2, 'r2'))
    history.add(message('a', 3, 'r3'))
    assert.equal(history.size('r1'), 0)
    assert.equal(history.size('r3'), 1)
  })

  it('with depth 0 holds nothing but still knows what it let go', () => {
    const history = new History(0)
    history.add(message('a', 1))
    assert.deepEqual(ids(history.lookup('general', {limit: 5})), [])
    assert.equal(history.lookup('general', {since: parseCursor({a: 0})}).recovered, false)
  })
})

describe('chat history: hand-over and coverage', () => {
  const at = (writer, seq, ts, room = 'r') => ({...message(writer, seq, room), ts})

  it("merges a peer's messages by id, each writer in sequence order, writers by timestamp, keeping the newest N", () => {
    const history = new History(5)
    history.add(at('b', 2, 20))
    const added = history.merge('r', [at('a', 1, 10), at('b', 1, 15), at('b', 2, 20), at('a', 2, 30), at('c', 1, 30)], new Map())
    assert.equal(added, 4)
    assert.deepEqual(ids(history.lookup('r', {limit: 10})), ['a:1', 'b:1', 'b:2', 'a:2', 'c:1'])
    // Merging the same answer again changes nothing; a newer one pushes the oldest out.
    assert.equal(history.merge('r', [at('a', 1, 10), at('c', 1, 30)]), 0)
    history.merge('r', [at('a', 3, 40)])
    assert.deepEqual(ids(history.lookup('r', {limit: 10})), ['b:1', 'b:2', 'a:2', 'c:1', 'a:3'])
    assert.equal(history.has('a:1'), false)
    assert.equal(history.has('a:3'), true)
  })

  it("keeps a writer's sequence order even when its timestamps go backwards", () => {
    const history = new History(10)
    history.merge('r', [at('a', 2, 5), at('a', 1, 50), at('b', 1, 10)])
    assert.deepEqual(ids(history.lookup('r', {limit: 10})), ['b:1', 'a:1', 'a:2'])
  })

  it('does not hold again, or deliver again, a live message a peer already handed over', () => {
    const history = new History(10)
    history.merge('r', [at('a', 1, 10)], new Map([['a', {lo: 0, hi: 1}]]))
    assert.equal(history.add(at('a', 1, 10)), false)
    assert.equal(history.add(at('a', 2, 11)), true)
    assert.deepEqual(ids(history.lookup('r', {limit: 10})), ['a:1', 'a:2'])
  })

  it('says recovered:false for a writer it never heard of, and true once a peer vouched for it', () => {
    const history = new History(10)
    history.add(at('a', 1, 1))
    assert.equal(history.lookup('r', {since: parseCursor({a: 0, z: 3})}).recovered, false)
    history.merge('r', [at('z', 4, 2)], new Map([['z', {lo: 2, hi: 4}]]))
    const resumed = history.lookup('r', {since: parseCursor({a: 0, z: 3})})
    assert.deepEqual([ids(resumed), resumed.recovered], [['a:1', 'z:4'], true])
    assert.equal(history.lookup('r', {since: parseCursor({z: 1})}).recovered, false)
  })

  it("joins a peer's span and its own live one only when they touch", () => {
    const history = new History(10)
    history.merge('r', [at('a', 3, 1)], new Map([['a', {lo: 0, hi: 3}]]))
    history.add(at('a', 4, 2))
    assert.deepEqual(history.coverage('r', 'a'), {lo: 0, hi: 4})
    const apart = new History(10)
    apart.merge('r', [at('a', 3, 1)], new Map([['a', {lo: 0, hi: 3}]]))
    apart.add(at('a', 9, 2))
    assert.deepEqual(apart.coverage('r', 'a'), {lo: 8, hi: 9})
    assert.equal(apart.lookup('r', {since: parseCursor({a: 3})}).recovered, false)
  })

  it("notices a gap in a writer's live samples", () => {
    const history = new History(10)
    history.add(at('a', 1, 1))
    history.add(at('a', 2, 2))
    history.add(at('a', 5, 3))
    assert.equal(history.lookup('r', {since: parseCursor({a: 2})}).recovered, false)
    assert.equal(history.lookup('r', {since: parseCursor({a: 4})}).recovered, true)
  })

  it('hands over what a room holds and the spans it vouches for, every writer it knows included', () => {
    const history = new History(2)
    for (let seq = 1; seq <= 3; seq++) history.add(at('a', seq, seq))
    history.add(at('b', 1, 9, 'elsewhere'))
    const {messages, coverage} = history.snapshot('r')
    assert.deepEqual(
      messages.map((m) => m.id),
      ['a:2', 'a:3'],
    )
    assert.deepEqual(Object.fromEntries(coverage), {a: {lo: 1, hi: 3}, b: {lo: 0, hi: 1}})
    assert.deepEqual(history.roomNames().sort(), ['elsewhere', 'r'])
  })

  it('keeps a room in one order whatever the arrival order: a late (repaired) message goes where its timestamp says', () => {
    const live = new History(3)
    const late = new History(3)
    const msgs = [message('a', 1), message('b', 2), message('a', 3), message('b', 4)]
    for (const m of msgs) live.add(m)
    // The second instance gets b's messages late, after a partition: b:2 and b:4 arrive after a:3.
    for (const m of [msgs[0], msgs[2], msgs[1], msgs[3]]) late.add(m)
    assert.deepEqual(ids(live.lookup('general', {limit: 3})), ['b:2', 'a:3', 'b:4'])
    assert.deepEqual(ids(late.lookup('general', {limit: 3})), ['b:2', 'a:3', 'b:4'])
  })

  it("keeps one writer's messages in sequence order even if its timestamps go back", () => {
    const history = new History(10)
    history.add({...message('a', 1), ts: 50})
    history.add({...message('b', 1), ts: 20})
    history.add({...message('a', 2), ts: 10})
    assert.deepEqual(ids(history.lookup('general', {limit: 10})), ['b:1', 'a:1', 'a:2'])
  })
})
