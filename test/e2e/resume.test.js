// Resume on another instance: `chatdds tail --port A,B` loses A (SIGKILL) mid-stream and ends with every message once, in order.
import assert from 'node:assert/strict'
import {ChatClient} from '../../dist/lib/client/chatClient.js'
import {eventually, killAll} from '../helpers.js'
import {lines, startTail} from '../lib/client/support.js'
import {getJson, startInstances} from '../commands/serveSupport.js'

describe('resume after fail-over (real instances over DDS)', function () {
  this.timeout(120_000)
  let sender
  afterEach(async () => {
    await sender?.close()
    await killAll()
  })

  it('tail --port A,B: A is killed while 200 messages are sent through B; tail prints all 200, in order, none twice', async () => {
    const TOTAL = 200
    // Room for the whole stream on B: what the test checks is the resume (no gap, no duplicate), not eviction.
    const [a, b] = await startInstances(2, {prefix: 'resume', extra: ['--history', '1000']})
    const tail = startTail(['--port', `${a.port},${b.port}`, '--room', 'general', '--count', String(TOTAL), '--json', '--name', 'tailer', '--timeout', '90'])
    // The tail has joined once A lists it in #general.
    await eventually(async () => (await getJson(a.port, '/presence')).rooms.general?.some((m) => m.name === 'tailer'), 30_000)

    sender = await ChatClient.connect({port: b.port, name: 'sender'})
    const expected = Array.from({length: TOTAL}, (_, i) => `message ${String(i + 1).padStart(3, '0')}`)
    const shown = () => lines(tail.stdoutText).length
    let killedAt
    for (const [i, text] of expected.entries()) {
      await sender.send('general', text)
      await new Promise((resolve) => setTimeout(resolve, 2))
      if (killedAt === undefined && i >= 50 && shown() >= 20) {
        killedAt = i + 1
        a.child.kill('SIGKILL')
      }
    }
    assert.ok(killedAt !== undefined && killedAt < TOTAL, `A was killed mid-stream (after message ${killedAt})`)

    const {code} = await tail.exited
    assert.equal(code, 0, tail.stderrText)
    const printed = lines(tail.stdoutText).map((line) => JSON.parse(line))
    assert.deepEqual(
      printed.map((m) => m.text),
      expected,
    )
    assert.equal(new Set(printed.map((m) => m.id)).size, TOTAL)
    assert.ok(printed.every((m) => m.from === 'sender' && m.origin === 'resume-2' && m.room === 'general'))
    assert.match(tail.stderrText, /reconnected to ws:\/\/127\.0\.0\.1:\d+\/; resumed #general/)
    assert.doesNotMatch(tail.stderrText, /some may be missing/)
  })
})
