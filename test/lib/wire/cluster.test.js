import assert from 'node:assert/strict'
import {
  encodeHistoryEntry,
  historyAnswerHead,
  messageId,
  parseHistoryFrame,
  parseMessageId,
  parsePresenceSnapshot,
  parseServerFrame,
} from '../../../dist/lib/wire/index.js'

describe('wire: ids, server frames, cluster frames', () => {
  it('message ids round-trip, and nothing else parses as one', () => {
    assert.equal(messageId('0f0e', 12), '0f0e:12')
    assert.deepEqual(parseMessageId('a:b:7'), {writer: 'a:b', seq: 7})
    for (const bad of ['nocolon', ':5', 'a:-1', 'a:1.5', 'a:x']) assert.equal(parseMessageId(bad), undefined, bad)
  })

  it('reads server frames a client acts on; a newer type is null, junk undefined', () => {
    assert.deepEqual(parseServerFrame('{"type":"ack","ref":"c1","id":"w:1","ts":5}'), {type: 'ack', ref: 'c1', id: 'w:1', ts: 5})
    assert.equal(parseServerFrame('{"type":"something-new","x":1}'), null)
    for (const bad of ['nope', '[]', '{"type":5}', '{"x":1}', '{"type":"message","id":1,"room":"r","text":"t"}']) assert.equal(parseServerFrame(bad), undefined, bad)
  })

  it('parses a history answer, keeping only valid entries and spans', () => {
    const head = historyAnswerHead({to: 'chat-a', from: 'chat-b', nonce: 'n', room: 'r', coverage: new Map([['w', {lo: 0, hi: 2}]])})
    const good = {id: 'w:1', writer: 'w', seq: 1, message: 'hi', sourceTimestamp: 7}
    const text = `${head}${encodeHistoryEntry(good)},{"id":"w:2","writer":"w","seq":3,"message":"x","sourceTimestamp":1},null]}`
    const frame = parseHistoryFrame(text)
    assert.equal(frame.type, 'history')
    assert.deepEqual(frame.messages, [good])
    assert.deepEqual([...frame.coverage], [['w', {lo: 0, hi: 2}]])
    const badSpans = parseHistoryFrame('{"type":"history","to":"a","nonce":"n","room":"r","messages":[],"coverage":{"w":[3,1],"v":[1,2,3]}}')
    assert.equal(badSpans.type, 'history')
    assert.deepEqual([...badSpans.coverage], [])
  })

  it('tells a malformed history sample (undefined) from one it does not act on (null)', () => {
    assert.equal(parseHistoryFrame('not json'), undefined)
    assert.equal(parseHistoryFrame('[1,2]'), undefined)
    assert.equal(parseHistoryFrame('{"type":"history-request"}'), null)
    assert.equal(parseHistoryFrame('{"type":"history","to":"t","room":5,"messages":"nope"}'), null)
    assert.equal(parseHistoryFrame('{"type":"other"}'), null)
    assert.deepEqual(parseHistoryFrame('{"type":"history-request","from":"a","nonce":"n"}'), {
      type: 'history-request',
      from: 'a',
      nonce: 'n',
      attempt: 1,
      answered: [],
    })
  })

  it('parses presence snapshots, dropping invalid names and refusing invalid rooms', () => {
    const snapshot = parsePresenceSnapshot('{"instance":"chat-1","url":"ws://x/","rooms":{"r":["alice",5,""],"empty":[7]}}')
    assert.deepEqual(
      [...snapshot.rooms].map(([room, names]) => [room, [...names]]),
      [['r', ['alice']]],
    )
    assert.equal(parsePresenceSnapshot('{"instance":"chat-1","url":"ws://x/","rooms":{"":["a"]}}'), undefined)
    assert.equal(parsePresenceSnapshot('{"instance":"","url":"ws://x/","rooms":{}}'), undefined)
    assert.equal(parsePresenceSnapshot('{"instance":"a","url":"ws://x/","rooms":[]}'), undefined)
  })
})
