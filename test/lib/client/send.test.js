import assert from 'node:assert/strict'
import {Readable} from 'node:stream'

import {readLines, sendMessages} from '../../../dist/lib/client/send.js'
import {ChatddsError} from '../../../dist/lib/errors.js'
import {freePort} from '../../helpers.js'
import {useCleanup} from './support.js'

describe('sendMessages', () => {
  const {fake} = useCleanup()

  it('sends each text and resolves once each one came back, in order, with the acked ids', async () => {
    const server = await fake()
    const progress = []
    const sent = await sendMessages({port: server.port, room: 'random', name: 'alice', texts: ['one', 'two', 'three'], onSent: (s) => progress.push(s.id)})
    assert.deepEqual(
      sent.map((s) => [s.id, s.text]),
      [
        [`${server.writer}:1`, 'one'],
        [`${server.writer}:2`, 'two'],
        [`${server.writer}:3`, 'three'],
      ],
    )
    assert.deepEqual(
      progress,
      sent.map((s) => s.id),
    )
    for (const s of sent) assert.ok(Number.isInteger(s.roundTripMs) && s.roundTripMs >= 0)
    assert.deepEqual(
      server.frames.map((f) => [f.type, f.room, f.text]),
      [
        ['join', 'random', undefined],
        ['send', 'random', 'one'],
        ['send', 'random', 'two'],
        ['send', 'random', 'three'],
      ],
    )
    assert.deepEqual(server.names, ['alice'])
  })

  it('waits for its own message even when other messages arrive first, and when the echo overtakes the ack', async () => {
    const server = await fake({echoBeforeAck: true})
    server.publish('general', 'noise before')
    const sent = await sendMessages({port: server.port, texts: ['mine']})
    assert.deepEqual(
      sent.map((s) => s.id),
      [`${server.writer}:1`],
    )
  })

  it('retries a busy server', async () => {
    const server = await fake({busySends: 2})
    const sent = await sendMessages({port: server.port, texts: ['patient']})
    assert.equal(sent.length, 1)
    assert.equal(server.frames.filter((f) => f.type === 'send').length, 3)
  })

  it('reads stdin-like streams line by line, skipping empty lines', async () => {
    const lines = []
    for await (const line of readLines(Readable.from(['a\n\n b \r\n', '\n', 'last']))) lines.push(line)
    assert.deepEqual(lines, ['a', ' b ', 'last'])
  })

  it('fails with ETIMEDOUT naming the message when it never comes back', async () => {
    const server = await fake({echo: false})
    await assert.rejects(sendMessages({port: server.port, texts: ['lost'], timeoutMs: 300}), (error) => {
      assert.ok(error instanceof ChatddsError)
      assert.equal(error.code, 'ETIMEDOUT')
      assert.equal(
        error.message,
        `Message ${server.writer}:1 did not come back within 0.3 s; check that \`chatdds serve\` on port ${server.port} is ready (GET /readyz).`,
      )
      return true
    })
  })

  it("fails with the server's error code when the server refuses the message", async () => {
    const server = await fake({sendError: 'too_large'})
    await assert.rejects(sendMessages({port: server.port, texts: ['big']}), {code: 'too_large'})
  })

  it("refuses a message over the server's maxPayload before sending it", async () => {
    const server = await fake()
    await assert.rejects(sendMessages({port: server.port, texts: ['x'.repeat(70_000)]}), (error) => {
      assert.ok(error instanceof ChatddsError)
      assert.equal(error.code, 'too_large')
      assert.match(error.message, /^The message is \d+ bytes as a frame, over the 65536 bytes ws:\/\/127\.0\.0\.1:\d+\/ accepts/)
      return true
    })
    assert.equal(server.frames.filter((f) => f.type === 'send').length, 0)
  })

  it('is a usage error (exit 2) to send nothing, without connecting', async () => {
    const port = await freePort()
    await assert.rejects(sendMessages({port, texts: []}), (error) => {
      assert.ok(error instanceof ChatddsError)
      assert.deepEqual([error.code, error.exit], ['ENOTEXT', 2])
      return true
    })
  })

  it('fails with ECONNREFUSED when no server listens', async () => {
    const port = await freePort()
    await assert.rejects(sendMessages({port, texts: ['x']}), {code: 'ECONNREFUSED'})
  })
})
