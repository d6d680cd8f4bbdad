import assert from 'node:assert/strict'
import {parseRequest} from '../../../dist/lib/wire/index.js'

describe('chatdds.v1 request parsing', () => {
  const ok = (text) => {
    const result = parseRequest(text)
    assert.equal(result.ok, true, JSON.stringify(result))
    return result.request
  }
  const fails = (text, code) => {
    const result = parseRequest(text)
    assert.equal(result.ok, false)
    assert.equal(result.code, code, result.message)
    assert.match(result.message, /\.$/)
    return result
  }

  it('parses every request type', () => {
    assert.deepEqual(ok('{"type":"hello","name":"alice"}'), {type: 'hello', name: 'alice'})
    assert.deepEqual(ok('{"type":"join","room":"general","history":20,"ref":1}'), {type: 'join', room: 'general', history: 20, ref: 1})
    const resume = ok('{"type":"join","room":"r","since":"ab:3"}')
    assert.equal(resume.type, 'join')
    assert.deepEqual([...resume.since], [['ab', 3]])
    assert.deepEqual(ok('{"type":"leave","room":"r","ref":"x"}'), {type: 'leave', room: 'r', ref: 'x'})
    assert.deepEqual(ok('{"type":"send","room":"r","text":"","ref":"c1"}'), {type: 'send', room: 'r', text: '', ref: 'c1'})
    assert.deepEqual(ok('{"type":"presence","room":"r"}'), {type: 'presence', room: 'r'})
    assert.deepEqual(ok('{"type":"ping"}'), {type: 'ping'})
  })

  it('answers bad JSON with bad_json', () => {
    fails('{"type":', 'bad_json')
    fails('hello', 'bad_json')
  })

  it('answers an unknown type with unknown_type and keeps the ref', () => {
    assert.equal(fails('{"type":"dance","ref":"r9"}', 'unknown_type').ref, 'r9')
  })

  it('answers missing or wrong fields with bad_request', () => {
    fails('[]', 'bad_request')
    fails('"text"', 'bad_request')
    fails('{}', 'bad_request')
    fails('{"type":"send","room":"r"}', 'bad_request')
    fails('{"type":"send","text":"hi"}', 'bad_request')
    fails('{"type":"send","room":"","text":"hi"}', 'bad_request')
    fails(`{"type":"send","room":"${'x'.repeat(129)}","text":"hi"}`, 'bad_request')
    fails('{"type":"join","room":"r","history":-1}', 'bad_request')
    fails('{"type":"join","room":"r","since":"nope"}', 'bad_request')
    fails('{"type":"hello"}', 'bad_request')
    fails('{"type":"ping","ref":{}}', 'bad_request')
    assert.equal(fails('{"type":"leave","ref":7}', 'bad_request').ref, 7)
  })
})
