// `chatdds spy` against a foreign DDS program (test/foreign, no code shared with the binding).
import assert from 'node:assert/strict'
import path from 'node:path'
import {killAll, randomDomain, root, runCli, start, startCli, waitForOutput} from '../helpers.js'

const foreignPub = path.join(root, 'test', 'foreign', 'build', 'foreign-pub')
const ddsPeer = path.join(root, 'test', 'lib', 'dds', 'fixtures', 'dds-peer.js')

describe('chatdds spy', function () {
  this.timeout(60_000)
  afterEach(() => killAll())

  it('prints all 1,000 samples of a foreign Fast DDS publisher exactly, in order, as NDJSON, and exits 0', async () => {
    const domain = randomDomain()
    const spy = startCli(['spy', '--domain', String(domain), '--count', '1000', '--json', '--timeout', '50'])
    const pub = start(foreignPub, ['--domain', String(domain), '--count', '1000', '--prefix', 'foreign ', '--name', 'foreign-pub'])
    assert.deepEqual(await pub.exited, {code: 0, signal: null}, pub.output())
    assert.deepEqual(await spy.exited, {code: 0, signal: null}, spy.output())
    const records = spy
      .output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    assert.equal(records.length, 1000)
    records.forEach((record, i) => {
      assert.equal(record.message, `foreign ${i}`)
      assert.equal(record.seq, i + 1)
      assert.equal(record.envelope, false)
      assert.equal(record.room, 'general')
      assert.equal(record.participant, 'foreign-pub')
    })
    assert.equal(new Set(records.map((r) => r.writer)).size, 1)
  })

  it('shows the room, sender and text of chatdds envelopes and who is in the domain', async () => {
    const domain = randomDomain()
    const spy = startCli(['spy', '--domain', String(domain), '--count', '2', '--participants'], {env: {...process.env, NO_COLOR: '1'}})
    await waitForOutput(spy, (out) => out.includes('spying on'))
    const envelope = JSON.stringify({chatdds: 1, room: 'ops', from: 'alice', text: 'deploy done', ts: 1764115200000, origin: 'chat-1'})
    const pub = start(process.execPath, [ddsPeer, 'raw', String(domain), envelope, '{"chatdds":2} not ours'])
    assert.equal((await pub.exited).code, 0, pub.output())
    const {code} = await spy.exited
    assert.equal(code, 0, spy.output())
    const lines = spy.output().split('\n')
    assert.ok(
      lines.some((line) => /^\d\d:\d\d:\d\d\.\d{3} \+ participant binding-test-raw [0-9a-f]{24} joined$/.test(line)),
      spy.output(),
    )
    assert.ok(
      lines.some((line) => /^\d\d:\d\d:\d\d\.\d{3} binding-test-raw #ops alice: deploy done$/.test(line)),
      spy.output(),
    )
    assert.ok(
      lines.some((line) => /^\d\d:\d\d:\d\d\.\d{3} binding-test-raw \(plain\) \{"chatdds":2\} not ours$/.test(line)),
      spy.output(),
    )
  })

  it('exits 1 at --timeout when fewer than --count samples arrived, saying what to check', async () => {
    const {code, stderr} = await runCli(['spy', '--domain', String(randomDomain()), '--count', '1', '--timeout', '1'])
    assert.equal(code, 1)
    assert.match(stderr.replace(/\s+›\s+/g, ' '), /Only 0 of 1 samples arrived within 1 s/)
  })

  it('rejects bad usage with exit 2', async () => {
    assert.equal((await runCli(['spy', '--count', '0'])).code, 2)
    assert.equal((await runCli(['spy', '--domain', '500'])).code, 2)
    const peer = await runCli(['spy', '--peer', 'not-an-address', '--timeout', '1'])
    assert.equal(peer.code, 2)
    assert.match(peer.stderr, /host\[:port\]/)
  })

  it("joins with the reference example's rtps.ini without a warning", async () => {
    const reference = path.join(root, 'test', 'fixtures', 'ini', 'reference.ini')
    // --domain keeps the test off the reference's domain 10.
    const {code, stderr} = await runCli(['spy', '-DCPSConfigFile', reference, '--domain', String(randomDomain()), '--timeout', '1'])
    assert.equal(code, 0, stderr)
    assert.doesNotMatch(stderr, /warning/)
  })

  it('reports a broken rtps.ini with its file and line, exit 1', async () => {
    const {code, stderr} = await runCli(['spy', '-DCPSConfigFile', path.join(root, 'test', 'fixtures', 'ini', 'broken-header.ini'), '--timeout', '1'])
    assert.equal(code, 1)
    assert.match(stderr, /broken-header\.ini:\d+/)
  })
})
