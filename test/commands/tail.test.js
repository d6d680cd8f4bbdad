import assert from 'node:assert/strict'

import {cli, eventually, freePort, runCli, start} from '../helpers.js'
import {FakeCluster} from '../lib/client/fakeServer.js'
import {lines, startTail, unwrap, useCleanup} from '../lib/client/support.js'

describe('chatdds tail (against fake chatdds.v1 servers)', () => {
  const {fake} = useCleanup()

  it('--count N --json prints exactly N NDJSON objects, history first, and exits 0', async () => {
    const server = await fake({instance: 'chat-1'})
    const old = server.publish('general', 'from before', {from: 'bob', origin: 'chat-9'})
    const child = startTail(['--port', String(server.port), '--count', '3', '--history', '5', '--json'])
    await server.waitForJoins(1)
    const plain = server.publish('general', 'plain text')
    const enveloped = server.publish('general', 'héllo "quoted"', {from: 'alice', origin: 'chat-2'})
    server.publish('general', 'one too many')
    const {code} = await child.exited
    assert.equal(code, 0, child.stderrText)
    assert.deepEqual(
      lines(child.stdoutText).map((line) => JSON.parse(line)),
      [old, plain, enveloped].map(({id, room, from, text, ts, origin}) => ({id, room, from, text, ts, origin})),
    )
    assert.equal(child.stderrText, '')
  })

  it('prints "HH:MM:SS.mmm #room sender: text", "-" for plain senders, for every --room', async () => {
    const server = await fake()
    const child = startTail(['-p', String(server.port), '--room', 'general', '--room', 'random', '-n', '2'])
    await server.waitForJoins(2)
    server.publish('random', 'hi all', {from: 'alice', origin: 'chat-1'})
    server.publish('general', 'plain')
    const {code} = await child.exited
    assert.equal(code, 0, child.stderrText)
    const printed = lines(child.stdoutText)
    assert.equal(printed.length, 2)
    assert.match(printed[0], /^\d\d:\d\d:\d\d\.\d{3} #random alice: hi all$/)
    assert.match(printed[1], /^\d\d:\d\d:\d\d\.\d{3} #general -: plain$/)
  })

  it('shows control characters escaped and keeps a multi-line text on one line: it cannot recolour or retitle the terminal', async () => {
    const server = await fake()
    const child = startTail(['-p', String(server.port), '-n', '2'])
    await server.waitForJoins(1)
    server.publish('general', '\u001b[31mRED\u001b[0m \u001b]0;pwned\u0007', {from: 'mal\u001b[2Jlory', origin: 'chat-1'})
    server.publish('general', 'line one\nline two\tand a \u202eright-to-left override')
    const {code} = await child.exited
    assert.equal(code, 0, child.stderrText)
    const printed = lines(child.stdoutText)
    assert.equal(printed.length, 2)
    assert.match(printed[0], /^\d\d:\d\d:\d\d\.\d{3} #general mal\\e\[2Jlory: \\e\[31mRED\\e\[0m \\e\]0;pwned\\x07$/)
    assert.match(printed[1], /^\d\d:\d\d:\d\d\.\d{3} #general -: line one\\nline two\\tand a \\u202eright-to-left override$/)
    for (const raw of ['\u001b', '\u0007', '\u202e']) assert.ok(!child.stdoutText.includes(raw), JSON.stringify(raw))
  })

  it('reconnects after a dropped connection and resumes with no gap and no duplicate', async () => {
    const server = await fake({sloppyResume: true})
    const child = startTail(['--port', String(server.port), '--count', '5', '--json'])
    await server.waitForJoins(1)
    server.publish('general', 'm1')
    server.publish('general', 'm2')
    await eventually(() => lines(child.stdoutText).length === 2)
    server.dropClients()
    server.publish('general', 'm3') // while the client is away
    server.publish('general', 'm4')
    await server.waitForJoins(2)
    server.publish('general', 'm5')
    const {code} = await child.exited
    assert.equal(code, 0, child.stderrText)
    assert.deepEqual(
      lines(child.stdoutText).map((line) => JSON.parse(line).text),
      ['m1', 'm2', 'm3', 'm4', 'm5'],
    )
    assert.match(
      child.stderrText,
      new RegExp(`connection to ws://127\\.0\\.0\\.1:${server.port}/ lost \\(code 1006 dropped\\); reconnecting to ws://127\\.0\\.0\\.1:${server.port}/`),
    )
  })

  it('says on stderr that messages may be missing when the server answers a resume with recovered:false', async () => {
    const server = await fake({gapRooms: ['general']})
    const child = startTail(['--port', String(server.port), '--count', '3', '--json'])
    await server.waitForJoins(1)
    server.publish('general', 'm1')
    await eventually(() => lines(child.stdoutText).length === 1)
    server.dropClients()
    server.publish('general', 'm2') // while the client is away
    await server.waitForJoins(2)
    server.publish('general', 'm3')
    const {code} = await child.exited
    assert.equal(code, 0, child.stderrText)
    assert.deepEqual(
      lines(child.stdoutText).map((line) => JSON.parse(line).text),
      ['m1', 'm2', 'm3'],
    )
    assert.deepEqual(lines(child.stderrText), [
      `connection to ${server.url} lost (code 1006 dropped); reconnecting to ${server.url}`,
      `${server.url} no longer holds every message of #general since the last one shown; some may be missing.`,
      `reconnected to ${server.url}; resumed #general`,
    ])
  })

  it('rotates through --port 7000,7001 when an instance goes away', async () => {
    const cluster = new FakeCluster()
    const first = await fake({cluster})
    const second = await fake({cluster})
    const child = startTail(['--port', `${first.port},${second.port}`, '--count', '3', '--json'])
    await first.waitForJoins(1)
    second.publish('general', 'a')
    await eventually(() => lines(child.stdoutText).length === 1)
    await first.close()
    second.publish('general', 'b')
    await second.waitForJoins(1)
    second.publish('general', 'c')
    const {code} = await child.exited
    assert.equal(code, 0, child.stderrText)
    assert.deepEqual(
      lines(child.stdoutText).map((line) => JSON.parse(line).text),
      ['a', 'b', 'c'],
    )
    assert.match(child.stderrText, new RegExp(`lost \\(code 1006 dropped\\); reconnecting to ws://127\\.0\\.0\\.1:${second.port}/`))
  })

  it('ends cleanly (exit 0, nothing on stderr) when stdout closes, as in `chatdds tail | head -3`', async () => {
    const server = await fake()
    const child = startTail(['-p', String(server.port)])
    await server.waitForJoins(1)
    let n = 0
    const feed = setInterval(() => server.publish('general', `line ${++n}`), 20)
    try {
      await eventually(() => lines(child.stdoutText).length >= 3)
      child.stdout.destroy() // what head does after 3 lines
      const {code, signal} = await child.exited
      assert.deepEqual({code, signal}, {code: 0, signal: null})
      assert.equal(child.stderrText, '')
    } finally {
      clearInterval(feed)
    }
  })

  it('`chatdds tail | head -3` in a real shell pipeline: three lines, tail exits 0', async () => {
    const server = await fake()
    // --timeout bounds the tail should the test fail (killAll only reaches bash).
    const shell = start('bash', ['-c', `"${process.execPath}" "${cli}" tail -p ${server.port} --timeout 30 | head -3; echo "tail exit \${PIPESTATUS[0]}"`])
    await server.waitForJoins(1)
    let n = 0
    const feed = setInterval(() => server.publish('general', `line ${++n}`), 20)
    try {
      const {code} = await shell.exited
      assert.equal(code, 0)
      const out = lines(shell.output())
      assert.equal(out.length, 4, shell.output())
      assert.match(out[2], / #general -: line \d+$/)
      assert.equal(out[3], 'tail exit 0')
    } finally {
      clearInterval(feed)
    }
  })

  it('exits 0 on SIGINT', async () => {
    const server = await fake()
    const child = startTail(['-p', String(server.port)])
    await server.waitForJoins(1)
    child.kill('SIGINT')
    const {code} = await child.exited
    assert.equal(code, 0, child.stderrText)
    await eventually(() => server.clientCount === 0)
  })

  it('--timeout without --count ends with exit 0; with --count not reached, exit 1', async () => {
    const server = await fake()
    const quiet = await runCli(['tail', '-p', String(server.port), '--timeout', '0.5'])
    assert.equal(quiet.code, 0, quiet.stderr)
    const short = await runCli(['tail', '-p', String(server.port), '--timeout', '0.5', '--count', '2'])
    assert.equal(short.code, 1)
    assert.match(unwrap(short.stderr), /Only 0 of 2 messages arrived within 0\.5 s; raise --timeout or check that messages are being sent to #general\./)
  })

  it('exits 1 naming the URLs when no server listens', async () => {
    const port = await freePort()
    const {code, stderr} = await runCli(['tail', '-p', String(port)], {timeoutMs: 10_000})
    assert.equal(code, 1)
    assert.match(unwrap(stderr), new RegExp(`No chatdds server at ws://127\\.0\\.0\\.1:${port}/; start one with \`chatdds serve --port ${port}\`\\.`))
  })

  it('is a usage error (exit 2) with a bad port list or count', async () => {
    assert.equal((await runCli(['tail'])).code, 2)
    assert.equal((await runCli(['tail', '-p', '7000,x'])).code, 2)
    assert.equal((await runCli(['tail', '-p', '7000', '--count', '0'])).code, 2)
  })
})
