import assert from 'node:assert/strict'
import {tmpdir} from 'node:os'

import {freePort, runCli} from '../helpers.js'
import {unwrap, useCleanup} from '../lib/client/support.js'

describe('chatdds send (against a fake chatdds.v1 server)', () => {
  const {fake} = useCleanup()

  it('sends TEXT, prints "sent <id> in N ms" and exits 0 once it came back', async () => {
    const server = await fake()
    const {code, stdout, stderr} = await runCli(['send', '--port', String(server.port), '--name', 'alice', 'hello there'])
    assert.equal(stderr, '')
    assert.equal(code, 0)
    assert.match(stdout, new RegExp(`^sent ${server.writer}:1 in \\d+ ms\\n$`))
    assert.deepEqual(
      server.frames.filter((f) => f.type === 'send').map((f) => [f.room, f.text]),
      [['general', 'hello there']],
    )
    assert.deepEqual(server.names, ['alice'])
  })

  it('prints the sent messages as JSON with --json', async () => {
    const server = await fake()
    const {code, stdout} = await runCli(['send', '-p', String(server.port), '--room', 'random', '--json', 'hi'])
    assert.equal(code, 0)
    const sent = JSON.parse(stdout)
    assert.equal(sent.length, 1)
    assert.deepEqual([sent[0].id, sent[0].text], [`${server.writer}:1`, 'hi'])
    assert.equal(typeof sent[0].roundTripMs, 'number')
    assert.equal(server.frames.find((f) => f.type === 'send').room, 'random')
  })

  it('sends one message per non-empty stdin line, in order', async () => {
    const server = await fake()
    const {code, stdout} = await runCli(['send', '-p', String(server.port)], {input: 'first\n\nsecond\r\nthird'})
    assert.equal(code, 0)
    assert.deepEqual(
      server.frames.filter((f) => f.type === 'send').map((f) => f.text),
      ['first', 'second', 'third'],
    )
    assert.deepEqual(
      stdout
        .trim()
        .split('\n')
        .map((line) => line.split(' ')[1]),
      [1, 2, 3].map((n) => `${server.writer}:${n}`),
    )
  })

  it('reads stdin for TEXT "-"', async () => {
    const server = await fake()
    const {code} = await runCli(['send', '-p', String(server.port), '-'], {input: 'from a pipe\n'})
    assert.equal(code, 0)
    assert.deepEqual(
      server.frames.filter((f) => f.type === 'send').map((f) => f.text),
      ['from a pipe'],
    )
  })

  it('exits 1 within the timeout, naming the URL and how to start a server, when none listens', async () => {
    const port = await freePort()
    // A refused connection fails at once; the 5 s bound is the command's own, not asserted here as a timing.
    const {code, stdout, stderr} = await runCli(['send', '--port', String(port), 'hi'], {timeoutMs: 15_000})
    assert.equal(code, 1)
    assert.equal(stdout, '')
    assert.match(unwrap(stderr), new RegExp(`No chatdds server at ws://127\\.0\\.0\\.1:${port}/; start one with \`chatdds serve --port ${port}\`\\.`))
  })

  it('exits 1 saying so when the message is acknowledged but never comes back', async () => {
    const server = await fake({echo: false})
    const {code, stdout, stderr} = await runCli(['send', '-p', String(server.port), '--timeout', '0.5', 'into the void'])
    assert.equal(code, 1)
    assert.equal(stdout, '')
    assert.match(
      unwrap(stderr),
      new RegExp(`Message ${server.writer}:1 did not come back within 0\\.5 s; check that \`chatdds serve\` on port ${server.port} is ready \\(GET /readyz\\)\\.`),
    )
  })

  it("exits 1 with the server's sentence when the server refuses the message", async () => {
    const server = await fake({sendError: 'too_large'})
    const {code, stderr} = await runCli(['send', '-p', String(server.port), 'x'])
    assert.equal(code, 1)
    assert.match(unwrap(stderr), /Refused by the fake server \(too_large\)\./)
  })

  it('is a usage error (exit 2) with no text', async () => {
    const port = await freePort()
    /** @type {Array<[string[], string | undefined]>} */
    const cases = [
      [['send', '-p', String(port)], ''],
      [['send', '-p', String(port), '-'], '\n\n'],
      [['send', '-p', String(port), ''], undefined],
    ]
    for (const [args, input] of cases) {
      const {code, stderr} = await runCli(args, {input})
      assert.equal(code, 2, `${args.join(' ')}: ${stderr}`)
      assert.match(unwrap(stderr), /No text to send; pass TEXT or pipe lines on stdin\./)
    }
  })

  it('is a usage error (exit 2) without --port or with a bad one', async () => {
    // From a directory with no cluster up the tree: a run directory of the developer's own must not answer.
    const none = await runCli(['send', 'hi'], {cwd: tmpdir()})
    assert.equal(none.code, 2, none.stderr)
    assert.match(none.stderr, /No --port given and no cluster found/)
    assert.equal((await runCli(['send', '--port', '70000', 'hi'])).code, 2)
    assert.equal((await runCli(['send', '--port', '7000', '--timeout', 'soon', 'hi'])).code, 2)
  })
})
