// A DDS program that is not chatdds writes junk on chatdds's auxiliary topics: the instance logs it,
// stays up, and its clients keep getting messages.
import assert from 'node:assert/strict'
import path from 'node:path'
import {killAll, randomDomain, root, start} from '../helpers.js'
import {openSocket, startServe} from '../commands/serveSupport.js'

const ddsPeer = path.join(root, 'test', 'lib', 'dds', 'fixtures', 'dds-peer.js')

describe('hostile DDS peers (real instance over DDS)', function () {
  this.timeout(60_000)
  afterEach(() => killAll())

  it('survives malformed samples on chatdds History and chatdds Presence and keeps delivering', async () => {
    const domain = randomDomain()
    const {child, port} = await startServe(['--domain', String(domain), '--name', 'target'], {domain: false})
    const junk = {
      'chatdds History': [
        'not json',
        '[1,2,3]',
        '{"type":"history-request"}',
        '{"type":"history-request","from":7,"nonce":{}}',
        '{"type":"history","to":"target","room":5,"messages":"nope"}',
        '{"type":"history","to":"target","nonce":"x","room":"r","messages":[{"id":1},null,"x",{"id":"a:1","writer":"a","seq":"1","message":3}]}',
      ],
      'chatdds Presence': [
        'not json',
        '{"instance":"ghost","url":"ws://127.0.0.1:1/","rooms":"bad"}',
        '{"instance":"ghost","url":"ws://127.0.0.1:1/","rooms":{"r":[1,null,{"x":1}]}}',
        '{"instance":"","url":5}',
      ],
    }
    for (const [topic, texts] of Object.entries(junk)) {
      const peer = start(process.execPath, [ddsPeer, 'topic', String(domain), topic, ...texts])
      assert.equal((await peer.exited).code, 0, peer.output())
    }
    const ws = await openSocket(port)
    ws.send('still here')
    const deadline = Date.now() + 15_000
    while (!ws.texts.includes('still here') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    assert.deepEqual(ws.texts, ['still here'])
    assert.equal(child.exitCode, null, child.output())
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200)
    assert.doesNotMatch(child.output(), /TypeError|RangeError|Unhandled|at .*\.js:\d+/)
    // The junk did arrive, and was named as such.
    assert.match(child.output(), /warning: Ignored a malformed history sample from binding-test-topic/)
    assert.match(child.output(), /warning: Ignored a malformed presence snapshot from binding-test-topic/)
    ws.close()
  })
})
