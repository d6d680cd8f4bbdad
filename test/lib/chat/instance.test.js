// Instance identity: the default name of `chatdds serve` tells hosts apart.
import assert from 'node:assert/strict'
import {defaultInstanceName} from '../../../dist/lib/chat/instance.js'
import {MAX_NAME_LENGTH} from '../../../dist/lib/wire/index.js'

describe('defaultInstanceName', () => {
  it('differs between two hosts serving on the same port', () => {
    assert.equal(defaultInstanceName('web1', 7000), 'chat-web1-7000')
    assert.equal(defaultInstanceName('web2', 7000), 'chat-web2-7000')
  })

  it('uses the short hostname, lower-cased, with anything but letters, digits and dashes turned into a dash', () => {
    assert.equal(defaultInstanceName('Web1.eu-west.example.com', 7001), 'chat-web1-7001')
    assert.equal(defaultInstanceName('build_box 2', 7002), 'chat-build-box-2-7002')
  })

  it('keeps chat-<port> for a host without a usable name', () => {
    assert.equal(defaultInstanceName('', 7000), 'chat-7000')
    assert.equal(defaultInstanceName('.local', 7000), 'chat-7000')
    assert.equal(defaultInstanceName('___', 7000), 'chat-7000')
  })

  it('cuts a long hostname so that the name and a 5-character suffix fit in the wire limit', () => {
    const name = defaultInstanceName('h'.repeat(63), 65_535)
    assert.equal(name, `chat-${'h'.repeat(MAX_NAME_LENGTH - 16)}-65535`)
    assert.equal(name.length + '-3f2a'.length, MAX_NAME_LENGTH)
  })
})
