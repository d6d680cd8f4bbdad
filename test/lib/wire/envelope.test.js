import assert from 'node:assert/strict'
import {decodeMessage, encodeEnvelope} from '../../../dist/lib/wire/index.js'

describe('chat envelope', () => {
  it('encodes the fields in the order of the wire contract', () => {
    const text = encodeEnvelope({room: 'general', from: 'alice', text: 'hi', ts: 1764115200000, origin: 'chat-1'})
    assert.equal(text, '{"chatdds":1,"room":"general","from":"alice","text":"hi","ts":1764115200000,"origin":"chat-1"}')
  })

  it('decodes what it encodes', () => {
    const fields = {room: 'ops', from: 'bob', text: 'line 1\nline "2" ✓', ts: 42, origin: 'chat-3'}
    assert.deepEqual(decodeMessage(encodeEnvelope(fields)), {...fields, envelope: true})
  })

  it('accepts an envelope without from, ts and origin', () => {
    assert.deepEqual(decodeMessage('{"chatdds":1,"room":"r","text":"t"}'), {room: 'r', from: null, text: 't', ts: null, origin: null, envelope: true})
  })

  const plain = [
    'hello',
    '',
    '   ',
    '{"chatdds":2,"room":"general","text":"hi"}',
    '{"chatdds":"1","room":"general","text":"hi"}',
    '{"chatdds":1,"room":"","text":"hi"}',
    '{"chatdds":1,"room":"general"}',
    '{"chatdds":1,"room":"general","text":5}',
    '{"chatdds":1,"room":"general","text":"hi","from":7}',
    '{"chatdds":1,"room":"general","text":"hi","ts":"now"}',
    '{"chatdds":1,"room":"general","text":"hi"',
    '[{"chatdds":1}]',
    '{"message":"hello"}',
  ]
  for (const message of plain) {
    it(`treats ${JSON.stringify(message)} as a plain message of room general`, () => {
      assert.deepEqual(decodeMessage(message), {room: 'general', from: null, text: message, ts: null, origin: null, envelope: false})
    })
  }
})
