import assert from 'node:assert/strict'
import {History, parseCursor} from '../../../dist/lib/chat/history.js'

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
    for (const [w, s] of [['a', 1], ['b', 7], ['a', 2], ['b', 8], ['c', 1]]) history.add(message(w, s))
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
    assert.deepEqual([...parseCursor({x: 1, y: 0})], [['x', 1], ['y', 0]])
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
