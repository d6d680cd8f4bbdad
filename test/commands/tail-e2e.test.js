// End to end: `chatdds send` and `chatdds tail` against real `chatdds serve` processes on a DDS domain of our own.
import assert from 'node:assert/strict'

import {sendMessages} from '../../dist/lib/client/send.js'
import {eventually, killAll, runCli} from '../helpers.js'
import {lines, startTail, unwrap} from '../lib/client/support.js'
import {startInstances} from './serveSupport.js'

describe('chatdds send / tail against real `chatdds serve` instances', function () {
  this.timeout(120_000)
  afterEach(() => killAll())

  it('a message sent on one instance comes back there and reaches a tail on the other, once', async () => {
    const [a, b] = await startInstances(2)
    // --history: whether the tail joins before or after the sends, it shows each message exactly once.
    const tail = startTail(['--port', String(b.port), '--room', 'e2e', '--count', '2', '--history', '10', '--json'])
    const first = await runCli(['send', '--port', String(a.port), '--room', 'e2e', '--name', 'alice', '--json', 'hello from a'])
    assert.equal(first.code, 0, first.stderr)
    const [sent] = JSON.parse(first.stdout)
    assert.match(sent.id, /^[0-9a-f]{32}:\d+$/)
    assert.equal(sent.text, 'hello from a')

    const second = await runCli(['send', '--port', String(b.port), '--room', 'e2e', 'plain text from b'])
    assert.equal(second.code, 0, second.stderr)
    assert.match(second.stdout, /^sent [0-9a-f]{32}:\d+ in \d+ ms\n$/)

    const {code} = await tail.exited
    assert.equal(code, 0, tail.stderrText)
    const received = lines(tail.stdoutText).map((line) => JSON.parse(line))
    assert.deepEqual(
      received.map(({id, room, from, text, origin}) => ({id, room, from, text, origin})),
      [
        {id: sent.id, room: 'e2e', from: 'alice', text: 'hello from a', origin: a.name},
        {id: second.stdout.split(' ')[1], room: 'e2e', from: 'anonymous', text: 'plain text from b', origin: b.name},
      ],
    )
  })

  it('tail --port A,B survives the loss of A: resumes on B with no gap and no duplicate', async () => {
    const [a, b] = await startInstances(2)
    const tail = startTail(['--port', `${a.port},${b.port}`, '--json'])
    const send = (text) => sendMessages({port: b.port, name: 'bob', texts: [text], timeoutMs: 10_000})
    const shown = () => lines(tail.stdoutText).map((line) => JSON.parse(line))
    // Sent on B until the tail (connected to A) shows one: then it has joined.
    let warmups = 0
    await eventually(async () => {
      await send(`warm-up ${++warmups}`)
      return shown().length > 0
    }, 30_000)
    for (const text of ['m1', 'm2', 'm3']) await send(text)
    await eventually(() => shown().some((m) => m.text === 'm3'))

    a.child.kill('SIGTERM')
    // Sent while the tail is between A and B (it waits 100 ms before trying B).
    await send('m4')
    await send('m5')
    await eventually(() => tail.stderrText.includes('reconnected to'), 30_000)
    await send('m6')
    await eventually(() => shown().some((m) => m.text === 'm6'), 30_000)
    tail.kill('SIGINT')
    const {code} = await tail.exited
    assert.equal(code, 0, tail.stderrText)

    const received = shown()
    assert.deepEqual(
      received.map((m) => m.text).filter((text) => !text.startsWith('warm-up')),
      ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'],
    )
    assert.equal(new Set(received.map((m) => m.id)).size, received.length, 'no message twice')
    const seqs = received.map((m) => Number(m.id.split(':')[1]))
    assert.deepEqual(
      seqs,
      [...seqs].sort((x, y) => x - y),
    )
    assert.ok(received.every((m) => m.origin === b.name && m.from === 'bob'))
    assert.match(
      tail.stderrText,
      new RegExp(`connection to ws://127\\.0\\.0\\.1:${a.port}/ lost \\(code 1001 going away\\); reconnecting to ws://127\\.0\\.0\\.1:${b.port}/`),
    )
    assert.match(tail.stderrText, new RegExp(`reconnected to ws://127\\.0\\.0\\.1:${b.port}/; resumed #general`))
  })

  it('send exits 1 naming the port when it cannot connect, and 0 against a lone ready instance', async () => {
    const [lone] = await startInstances(1)
    const ok = await runCli(['send', '-p', String(lone.port), 'alone'])
    assert.equal(ok.code, 0, ok.stderr)
    lone.child.kill('SIGTERM')
    await lone.child.exited
    const gone = await runCli(['send', '-p', String(lone.port), 'nobody home'])
    assert.equal(gone.code, 1)
    assert.match(unwrap(gone.stderr), new RegExp(`No chatdds server at ws://127\\.0\\.0\\.1:${lone.port}/; start one with \`chatdds serve --port ${lone.port}\``))
  })
})
