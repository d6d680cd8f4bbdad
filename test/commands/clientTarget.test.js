// End to end: send and tail without --port find the cluster of the project they run in (walking up), --instance picks
// one of its instances, and `tail --port <one>` fails over to the instances the server's hello names.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {isClusterInstance} from '../../dist/lib/cluster/processes.js'
import {eventually, killAll} from '../helpers.js'
import {unwrap} from '../lib/client/support.js'
import {metric, records, runIn, startIn, startProject} from './projectSupport.js'

describe('send / tail: the cluster of the run directory found by walking up', function () {
  this.timeout(120_000)
  /** @type {Awaited<ReturnType<typeof startProject>>} */
  let project
  before(async () => {
    project = await startProject(2)
  })
  afterEach(() => killAll())
  after(() => project?.stop())

  it('send "hi" from a subdirectory of the project goes through the cluster: exit 0, and a tail on chat-2 got exactly "hi"', async () => {
    const [, second] = project.instances
    const tail = startIn(project.deep, ['tail', '--instance', 'chat-2', '--count', '1', '--history', '5', '--json', '--timeout', '60'])
    await eventually(async () => (await metric(second.url, 'chatdds_clients')) >= 1, 30_000)
    const send = await runIn(project.deep, ['send', 'hi'])
    assert.equal(send.code, 0, send.stderr)
    assert.match(send.stdout, /^sent [0-9a-f]{32}:\d+ in \d+ ms\n$/)
    const {code} = await tail.exited
    assert.equal(code, 0, tail.stderrText)
    const [message, ...more] = records(tail.stdoutText)
    assert.deepEqual(more, [])
    assert.deepEqual({text: message.text, room: message.room, origin: message.origin}, {text: 'hi', room: 'general', origin: 'chat-1'})
  })

  it('--instance chat-2 sends through chat-2 (the origin of the message), and without it through chat-1', async () => {
    const tail = startIn(project.dir, ['tail', '--room', 'origins', '--count', '2', '--history', '5', '--json', '--timeout', '60'])
    await eventually(async () => (await metric(project.instances[0].url, 'chatdds_clients')) >= 1, 30_000)
    const viaSecond = await runIn(project.deep, ['send', '--instance', 'chat-2', '--room', 'origins', '--json', 'through chat-2'])
    assert.equal(viaSecond.code, 0, viaSecond.stderr)
    const viaDefault = await runIn(project.dir, ['send', '--room', 'origins', 'through the default'])
    assert.equal(viaDefault.code, 0, viaDefault.stderr)
    const {code} = await tail.exited
    assert.equal(code, 0, tail.stderrText)
    assert.deepEqual(
      records(tail.stdoutText).map(({text, origin}) => ({text, origin})),
      [
        {text: 'through chat-2', origin: 'chat-2'},
        {text: 'through the default', origin: 'chat-1'},
      ],
    )
    assert.equal(records(tail.stdoutText)[0].id, JSON.parse(viaSecond.stdout)[0].id)
  })

  it('an unknown --instance is exit 2 naming the instances', async () => {
    const send = await runIn(project.deep, ['send', '--instance', 'chat-9', 'hi'])
    assert.equal(send.code, 2, send.stderr)
    assert.match(unwrap(send.stderr), new RegExp(`The cluster in ${project.runDir} has no instance chat-9; its instances are chat-1, chat-2\\.`))
  })
})

describe('send / tail / chat with no --port and no cluster up the tree', () => {
  /** @type {string} */
  let dir
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'chatdds-nocluster-'))
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  for (const args of [['send', 'hi'], ['tail'], ['chat']]) {
    it(`${args[0]}: exit 2 with the sentence that says what to pass`, async () => {
      const {code, stdout, stderr} = await runIn(dir, args)
      assert.equal(code, 2, stderr)
      assert.equal(stdout, '')
      assert.match(
        unwrap(stderr),
        /No --port given and no cluster found in \.\/\.chatdds\/cluster or any parent directory; pass --port, --dir, or start one with `chatdds cluster up`\./,
      )
    })
  }

  it('through npx, the sentence suggests `npx chatdds cluster up`', async () => {
    const {code, stderr} = await runIn(dir, ['send', 'hi'], {env: {npm_command: 'exec'}})
    assert.equal(code, 2, stderr)
    assert.match(unwrap(stderr), /or start one with `npx chatdds cluster up`\./)
  })
})

describe('tail --port <one instance> fails over to the instances its hello named', function () {
  this.timeout(120_000)
  /** @type {Awaited<ReturnType<typeof startProject>>} */
  let project
  before(async () => {
    project = await startProject(2)
  })
  afterEach(() => killAll())
  after(() => project?.stop())

  it('SIGKILL of that instance: tail resumes on chat-2, prints each of the N messages exactly once, exit 0, and says where it went', async () => {
    const [first, second] = project.instances
    const texts = ['before 1', 'before 2', 'after 1', 'after 2', 'after 3']
    const tail = startIn(project.dir, ['tail', '--port', String(first.port), '--count', String(texts.length), '--history', '5', '--json', '--timeout', '90'])
    const shown = () => records(tail.stdoutText).map((m) => m.text)
    await eventually(async () => (await metric(first.url, 'chatdds_clients')) >= 1, 30_000)
    // Through chat-2, so that the messages after the kill are held by an instance that lives.
    const send = async (text) => {
      const sent = await runIn(project.dir, ['send', '--port', String(second.port), text])
      assert.equal(sent.code, 0, sent.stderr)
    }
    // The tail may have connected but not joined yet: sent until it shows the first one, which must then be the only one.
    await send(texts[0])
    await eventually(() => shown().length === 1, 30_000)
    await send(texts[1])
    await eventually(() => shown().length === 2, 30_000)

    const manifest = JSON.parse(readFileSync(path.join(project.runDir, 'cluster.json'), 'utf8'))
    const victim = manifest.instances.find((instance) => instance.name === 'chat-1')
    assert.ok(isClusterInstance(manifest, victim), 'chat-1 is the process this test started')
    process.kill(victim.pid, 'SIGKILL')
    for (const text of texts.slice(2)) await send(text)

    const {code} = await tail.exited
    assert.equal(code, 0, tail.stderrText)
    assert.deepEqual(shown(), texts)
    const ids = records(tail.stdoutText).map((m) => m.id)
    assert.equal(new Set(ids).size, ids.length, 'no message twice')
    assert.match(tail.stderrText, new RegExp(`reconnected to ws://127\\.0\\.0\\.1:${second.port}/; resumed #general \\(now on chat-2, was chat-1\\)`))
  })
})
