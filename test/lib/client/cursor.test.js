import assert from 'node:assert/strict'

import {MessageCursor} from '../../../dist/lib/client/cursor.js'
import {parseMessageId} from '../../../dist/lib/wire/index.js'

const A = 'a'.repeat(32)
const B = 'b'.repeat(32)
/** @returns {import('../../../dist/lib/wire/index.js').MessageFrame} */
const message = (writer, seq, room = 'general', extra = {}) => ({
  type: 'message',
  id: `${writer}:${seq}`,
  room,
  from: null,
  text: `${writer[0]}${seq}`,
  ts: Date.now(),
  origin: null,
  ...extra,
})

describe('MessageCursor', () => {
  it('parses message ids', () => {
    assert.deepEqual(parseMessageId(`${A}:42`), {writer: A, seq: 42})
    assert.equal(parseMessageId('no-colon'), undefined)
    assert.equal(parseMessageId(`${A}:x`), undefined)
  })

  it('accepts each message once and nothing older per writer and room', () => {
    const cursor = new MessageCursor()
    cursor.joined('general')
    const accepted = [message(A, 1), message(B, 1), message(A, 1), message(A, 3), message(A, 2), message(B, 2)].filter((m) => cursor.accept(m))
    assert.deepEqual(
      accepted.map((m) => m.id),
      [`${A}:1`, `${B}:1`, `${A}:3`, `${B}:2`],
    )
    assert.deepEqual(cursor.all, {[A]: 3, [B]: 2})
  })

  it("resumes a room from its own marks, and other rooms' marks for writers it never showed", () => {
    const cursor = new MessageCursor()
    cursor.joined('general')
    cursor.joined('random')
    cursor.accept(message(A, 5, 'general'))
    cursor.accept(message(A, 7, 'random'))
    cursor.accept(message(B, 2, 'random'))
    assert.deepEqual(cursor.since('general'), {[A]: 5, [B]: 2})
    assert.deepEqual(cursor.since('random'), {[A]: 7, [B]: 2})
  })

  it('on a resume, drops replays of never-seen writers written well before the first join, keeps recent ones', () => {
    const cursor = new MessageCursor()
    cursor.joined('general')
    cursor.joined('general', true)
    const old = message(B, 1, 'general', {replay: true, ts: Date.now() - 60_000})
    const recent = message(B, 2, 'general', {replay: true, ts: Date.now()})
    assert.equal(cursor.accept(old), false)
    assert.equal(cursor.accept(recent), true)
  })

  it('keeps history replays of the first join, however old', () => {
    const cursor = new MessageCursor()
    cursor.joined('general')
    assert.equal(cursor.accept(message(B, 1, 'general', {replay: true, ts: 1})), true)
  })
})
