// The Fast DDS binding through its TypeScript wrapper: real participants, in this process and in others.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {DdsError, Participant, resolveConfig} from '../../../dist/lib/dds/index.js'
import {eventually, killAll, randomDomain, root, start, waitForOutput} from '../../helpers.js'

const peer = path.join(root, 'test', 'lib', 'dds', 'fixtures', 'dds-peer.js')

describe('DDS binding', function () {
  this.timeout(60_000)
  const participants = []
  const open = (options) => {
    const participant = new Participant(options)
    participants.push(participant)
    return participant
  }
  afterEach(async () => {
    for (const participant of participants.splice(0)) participant.close()
    await killAll()
  })

  it('delivers 10,000 samples from one Node process to another: all, once each, in order', async () => {
    const domain = randomDomain()
    const sub = start(process.execPath, [peer, 'sub', String(domain), '10000'])
    await waitForOutput(sub, (out) => out.includes('ready'))
    const pub = start(process.execPath, [peer, 'pub', String(domain), '10000', 'm-'])
    assert.deepEqual(await pub.exited, {code: 0, signal: null}, pub.output())
    assert.deepEqual(await sub.exited, {code: 0, signal: null}, sub.output())
    const lines = sub
      .output()
      .split('\n')
      .filter((line) => line && line !== 'ready')
    assert.equal(lines.length, 10_000)
    lines.forEach((line, i) => assert.equal(line, `${i + 1} m-${i}`))
  })

  it('gives every sample an id (writer GUID + sequence number) that the writer also learns, and names the writing participant', async () => {
    const domain = randomDomain()
    const alice = open({domain, name: 'alice'})
    const bob = open({domain, name: 'bob'})
    const reader = bob.createReader()
    const writer = alice.createWriter()
    assert.match(writer.guid, /^[0-9a-f]{32}$/)
    assert.equal(writer.guid.slice(0, 24), alice.guidPrefix)
    const received = []
    reader.on('samples', (samples) => received.push(...samples))
    await eventually(() => writer.matchedReaders === 1 && reader.matchedWriters === 1)
    const first = writer.write('hello')
    const second = writer.write('{"chatdds":1,"room":"r","text":"x"}')
    assert.deepEqual(first, {id: `${writer.guid}:1`, writer: writer.guid, seq: 1})
    assert.equal(second.seq, 2)
    await eventually(() => received.length === 2)
    assert.deepEqual(
      received.map(({message, id, writer: w, seq, participantName}) => ({message, id, writer: w, seq, participantName})),
      [
        {message: 'hello', id: first.id, writer: writer.guid, seq: 1, participantName: 'alice'},
        {message: '{"chatdds":1,"room":"r","text":"x"}', id: second.id, writer: writer.guid, seq: 2, participantName: 'alice'},
      ],
    )
    assert.ok(Math.abs(received[0].sourceTimestamp - Date.now()) < 60_000, 'source timestamp is wall-clock ms')
  })

  it('carries strings of every size and every Unicode plane unchanged', async () => {
    const domain = randomDomain()
    const participant = open({domain, name: 'sizes'})
    const reader = participant.createReader()
    const writer = participant.createWriter()
    const received = []
    reader.on('samples', (samples) => received.push(...samples.map((s) => s.message)))
    await eventually(() => writer.matchedReaders === 1)
    const texts = ['', 'é ✓ 𝄞 漢字', 'x'.repeat(255), 'y'.repeat(256), 'z'.repeat(65_536), 'w'.repeat(300_000)]
    for (const text of texts) writer.write(text)
    await eventually(() => received.length === texts.length)
    assert.deepEqual(received, texts)
  })

  it('reports matches and participants joining and leaving the domain', async () => {
    const domain = randomDomain()
    const watcher = open({domain, name: 'watcher'})
    const events = []
    watcher.on('participant', (event) => events.push(event))
    const writer = watcher.createWriter()
    const matched = []
    writer.on('matched', (event) => matched.push(event))
    const visitor = open({domain, name: 'visitor'})
    visitor.createReader()
    await eventually(() => matched.length === 1)
    assert.deepEqual(matched[0], {entity: 'writer', count: 1, change: 1})
    await eventually(() => events.some((e) => e.kind === 'joined' && e.name === 'visitor'))
    const visitorPrefix = visitor.guidPrefix
    assert.equal(watcher.participants.get(visitorPrefix), 'visitor')
    visitor.close()
    await eventually(() => events.some((e) => e.kind === 'left' && e.name === 'visitor'))
    await eventually(() => writer.matchedReaders === 0)
    assert.equal(watcher.participants.has(visitorPrefix), false)
  })

  it('keeps partitions apart', async () => {
    const domain = randomDomain()
    const participant = open({domain, name: 'partitions'})
    const readerA = participant.createReader({partitions: ['a']})
    const writerB = participant.createWriter({partitions: ['b']})
    const writerA = participant.createWriter({partitions: ['a']})
    const received = []
    readerA.on('samples', (samples) => received.push(...samples.map((s) => s.message)))
    await eventually(() => writerA.matchedReaders === 1)
    assert.equal(writerB.matchedReaders, 0)
    writerB.write('for b')
    writerA.write('for a')
    await eventually(() => received.length >= 1)
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.deepEqual(received, ['for a'])
  })

  it('keeps other topics apart from `User Messages`, and gives late TRANSIENT_LOCAL readers the last samples', async () => {
    const domain = randomDomain()
    const participant = open({domain, name: 'topics'})
    const chat = participant.createReader()
    const chatMessages = []
    chat.on('samples', (samples) => chatMessages.push(...samples.map((s) => s.message)))
    /** @type {import('../../../dist/lib/dds/index.js').EndpointQos} */
    const durable = {topic: 'chatdds test', durability: 'transient-local', history: {kind: 'keep-last', depth: 2}}
    const writer = participant.createWriter(durable)
    writer.write('one')
    writer.write('two')
    writer.write('three')
    const late = participant.createReader(durable)
    const lateMessages = []
    late.on('samples', (samples) => lateMessages.push(...samples.map((s) => s.message)))
    await eventually(() => lateMessages.length === 2)
    assert.deepEqual(lateMessages, ['two', 'three'])
    assert.deepEqual(chatMessages, [])
  })

  it('tells kin (the same user data) from strangers: ignoreKin drops kin samples, strangerReaders/strangerWriters count only the others', async () => {
    const domain = randomDomain()
    const kin = {domain, userData: 'kin-test/1'}
    const a = open({...kin, name: 'kin-a'})
    const b = open({...kin, name: 'kin-b'})
    const stranger = open({domain, name: 'stranger'})
    const other = open({domain, name: 'other-kind', userData: 'kin-test/2'})
    assert.equal(a.userData, 'kin-test/1')
    assert.equal(stranger.userData, '')
    const reader = a.createReader({ignoreKin: true})
    const plainReader = a.createReader()
    const writers = [a, b, stranger, other].map((participant) => participant.createWriter())
    const strangerReader = stranger.createReader()
    const received = []
    const all = []
    reader.on('samples', (samples) => received.push(...samples.map((sample) => sample.message)))
    plainReader.on('samples', (samples) => all.push(...samples.map((sample) => sample.message)))
    // Every writer matches a's two readers and the stranger's one.
    await eventually(
      () =>
        reader.matchedWriters === 4 &&
        plainReader.matchedWriters === 4 &&
        strangerReader.matchedWriters === 4 &&
        writers.every((writer) => writer.matchedReaders === 3),
    )
    assert.equal(writers[0].strangerReaders, 1)
    assert.equal(reader.strangerWriters, 2)
    // Without user data a participant has no kin, not even itself: every match is a stranger's.
    assert.equal(writers[2].strangerReaders, 3)
    assert.equal(strangerReader.strangerWriters, 4)
    writers.forEach((writer, i) => writer.write(`from ${['a', 'b', 'stranger', 'other'][i]}`))
    await eventually(() => all.length === 4)
    await eventually(() => received.length === 2)
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.deepEqual(received.sort(), ['from other', 'from stranger'])
    assert.deepEqual(all.sort(), ['from a', 'from b', 'from other', 'from stranger'])
    stranger.close()
    await eventually(() => writers[0].strangerReaders === 0 && reader.strangerWriters === 1)
  })

  it('reports EBUSY instead of blocking when the history is full of unacknowledged samples, and loses nothing', async () => {
    const domain = randomDomain()
    const sub = start(process.execPath, [peer, 'sub', String(domain), '30'])
    await waitForOutput(sub, (out) => out.includes('ready'))
    const participant = open({domain, name: 'busy-writer'})
    const writer = participant.createWriter({maxSamples: 10})
    await eventually(() => writer.matchedReaders === 1)
    sub.kill('SIGSTOP') // the reader can no longer acknowledge anything
    try {
      let written = 0
      let busy
      while (!busy && written < 30) {
        try {
          writer.write(`b-${written}`)
          written++
        } catch (error) {
          busy = error
        }
      }
      assert.equal(busy?.code, 'EBUSY', `wrote ${written} samples without EBUSY`)
      assert.equal(written, 10)
      sub.kill('SIGCONT')
      while (written < 30) {
        try {
          writer.write(`b-${written}`)
          written++
        } catch (error) {
          if (error.code !== 'EBUSY') throw error
          await new Promise((resolve) => setTimeout(resolve, 5))
        }
      }
    } finally {
      sub.kill('SIGCONT')
    }
    assert.deepEqual(await sub.exited, {code: 0, signal: null})
    const lines = sub
      .output()
      .split('\n')
      .filter((line) => line && line !== 'ready')
    assert.deepEqual(
      lines,
      Array.from({length: 30}, (_, i) => `${i + 1} b-${i}`),
    )
  })

  it('validates arguments before native code, with an error code', () => {
    assert.throws(
      () => new Participant({domain: 233}),
      (e) => e instanceof DdsError && e.code === 'EINVAL' && /0 to 232/.test(e.message),
    )
    assert.throws(() => new Participant({domain: 1.5}), {code: 'EINVAL'})
    assert.throws(() => new Participant({config: {interface: 'eth0'}}), {code: 'EINVAL'})
    assert.throws(() => new Participant({config: {initialPeers: [{address: '127.0.0.1', port: 70000}]}}), {code: 'EINVAL'})
    const participant = open({domain: randomDomain(), name: 'closing'})
    assert.throws(() => participant.createWriter({history: {kind: 'keep-last', depth: 0}}), {code: 'EINVAL'})
    const writer = participant.createWriter()
    // @ts-expect-error
    assert.throws(() => writer.write(42), {code: 'EINVAL'})
    participant.close()
    participant.close()
    assert.throws(() => writer.write('late'), {code: 'ECLOSED'})
    assert.throws(() => participant.createReader(), {code: 'ECLOSED'})
  })

  it('turns every bad argument into a DdsError with code EINVAL before native code', async () => {
    const einval = (pattern) => (e) => e instanceof DdsError && e.code === 'EINVAL' && pattern.test(e.message)
    assert.throws(() => new Participant({name: ''}), einval(/participant name must be a non-empty string/))
    assert.throws(() => new Participant({config: {ttl: 256}}), einval(/^DDS setting ttl must be an integer from 1 to 255, got 256\.$/))
    assert.throws(() => new Participant({config: {maxParticipantId: 1.5}}), einval(/^DDS setting maxParticipantId must be an integer/))
    assert.throws(() => new Participant({config: {multicastAddress: 'group'}}), einval(/^DDS multicast address "group" is not an IPv4 address/))
    // @ts-expect-error
    assert.throws(() => new Participant({userData: 5}), einval(/^userData must be a string\.$/))
    const participant = open({domain: randomDomain(), name: 'wrapper-validation'})
    assert.throws(() => participant.createWriter({maxSamples: 0}), einval(/^maxSamples must be a positive integer, got 0\.$/))
    // @ts-expect-error
    assert.throws(() => participant.createReader({ignoreKin: 'yes'}), einval(/^ignoreKin must be true or false, got yes\.$/))
    assert.throws(() => participant.createWriter({heartbeatPeriod: 0}), einval(/^heartbeatPeriod must be a number of seconds above 0, got 0\.$/))
    // @ts-expect-error
    assert.throws(() => participant.createWriter({durability: 'forever'}), einval(/^durability must be "volatile" or "transient-local"/))
    // @ts-expect-error
    assert.throws(() => participant.createReader({history: {kind: 'keep-some'}}), einval(/^history\.kind must be "keep-all" or "keep-last"/))
    // @ts-expect-error
    assert.throws(() => participant.createReader({reliable: 'yes'}), einval(/^reliable must be true or false/))
    assert.throws(() => participant.createReader({partitions: ['']}), einval(/^Partition names must be non-empty strings\.$/))
    assert.throws(() => participant.createReader({topic: ''}), einval(/^A topic name must be a non-empty string\.$/))
    assert.throws(() => participant.createReader(null), einval(/^A reader QoS must be an object, got null\.$/))
    const writer = participant.createWriter()
    for (const seconds of [-1, Number.NaN, '1', 2 ** 31]) {
      // @ts-expect-error
      await assert.rejects(writer.waitForAcknowledgments(seconds), einval(/^waitForAcknowledgments takes a number of seconds from 0 to 2147483647/))
    }
    // The endpoint is unharmed, and a writer without readers has nothing left to acknowledge.
    assert.equal(writer.write('after the bad calls').seq, 1)
    assert.equal(await writer.waitForAcknowledgments(0), true)
  })

  it('waits for acknowledgments without blocking the event loop', async () => {
    const domain = randomDomain()
    const sub = start(process.execPath, [peer, 'sub', String(domain), '1'])
    await waitForOutput(sub, (out) => out.includes('ready'))
    const participant = open({domain, name: 'ack-writer'})
    const writer = participant.createWriter()
    await eventually(() => writer.matchedReaders === 1)
    sub.kill('SIGSTOP') // the reader cannot acknowledge until a timer of ours lets it go on
    const order = []
    try {
      await eventually(() => /\) T /.test(fs.readFileSync(`/proc/${sub.pid}/stat`, 'utf8')))
      writer.write('ack me')
      setTimeout(() => {
        order.push('timer')
        sub.kill('SIGCONT')
      }, 50)
      order.push(`acknowledged: ${await writer.waitForAcknowledgments(30)}`)
    } finally {
      sub.kill('SIGCONT')
    }
    assert.deepEqual(order, ['timer', 'acknowledged: true'])
    assert.deepEqual(await sub.exited, {code: 0, signal: null})
    assert.equal(
      sub
        .output()
        .split('\n')
        .filter((line) => line && line !== 'ready')
        .join('\n'),
      '1 ack me',
    )
  })

  it('resolves a pending acknowledgment wait with false when its writer closes', async () => {
    const domain = randomDomain()
    const sub = start(process.execPath, [peer, 'sub', String(domain), '1'])
    await waitForOutput(sub, (out) => out.includes('ready'))
    const participant = open({domain, name: 'ack-closer'})
    const writer = participant.createWriter()
    await eventually(() => writer.matchedReaders === 1)
    sub.kill('SIGSTOP')
    try {
      await eventually(() => /\) T /.test(fs.readFileSync(`/proc/${sub.pid}/stat`, 'utf8')))
      writer.write('never acknowledged')
      const waiting = writer.waitForAcknowledgments(30)
      setTimeout(() => writer.close(), 50)
      assert.equal(await waiting, false)
      assert.equal(writer.closed, true)
    } finally {
      sub.kill('SIGCONT')
    }
  })

  it('defaults to this host only: loopback interface, no multicast, unicast peers on 127.0.0.1 for 32+ participant ids', () => {
    const config = resolveConfig()
    assert.equal(config.interface, '127.0.0.1')
    assert.equal(config.multicast, false)
    assert.deepEqual(config.initialPeers, [{address: '127.0.0.1'}])
    assert.ok(config.maxParticipantId >= 32)
  })

  it('gives a file that slows announcements down a lease that outlives three of them', () => {
    assert.equal(resolveConfig({announcementPeriod: 30}).leaseDuration, 90)
    assert.equal(resolveConfig({announcementPeriod: 0.5}).leaseDuration, 5)
    assert.throws(() => resolveConfig({announcementPeriod: 30, leaseDuration: 10}), {code: 'EINVAL', message: /must be longer than the announcement period/})
  })

  it('binds its DDS sockets to 127.0.0.1 only', async () => {
    const domain = randomDomain()
    const child = start(process.execPath, [peer, 'idle', String(domain)])
    await waitForOutput(child, (out) => out.includes('ready'))
    const sockets = execFileSync('ss', ['-uanpH'], {encoding: 'utf8'})
      .split('\n')
      .filter((line) => line.includes(`pid=${child.pid},`))
    assert.ok(sockets.length >= 2, `expected DDS sockets, got:\n${sockets.join('\n')}`)
    for (const line of sockets) assert.match(line.split(/\s+/)[3], /^127\.0\.0\.1:\d+$/, line)
  })

  it('lets a process with an open participant exit 0 soon after SIGINT', async () => {
    const child = start(process.execPath, [peer, 'idle', String(randomDomain())])
    await waitForOutput(child, (out) => out.includes('ready'))
    const sentAt = Date.now()
    child.kill('SIGINT')
    const result = await Promise.race([child.exited, new Promise((resolve) => setTimeout(() => resolve('hung'), 5000))])
    assert.deepEqual(result, {code: 0, signal: null})
    // The issue asks for < 1 s; the figure is printed, not asserted (shared CI cores).
    console.log(`      exited ${Date.now() - sentAt} ms after SIGINT`)
  })

  it('lets a process that never closed its participant end cleanly, and reports a throwing handler as uncaught', async () => {
    const library = JSON.stringify(path.join(root, 'dist', 'lib', 'dds', 'index.js'))
    const run = (code) => {
      const child = start(process.execPath, ['--input-type=module', '-e', `import {Participant} from ${library}\n${code}`])
      return child.exited.then(({code: exit, signal}) => ({exit, signal, output: child.output()}))
    }
    const domain = randomDomain()
    const forgot = await run(`const p = new Participant({domain: ${domain}}); p.createWriter(); p.createReader(); console.log('open')`)
    assert.deepEqual(forgot, {exit: 0, signal: null, output: 'open\n'})
    const thrower = await run(
      `const p = new Participant({domain: ${domain}}); const w = p.createWriter(); const r = p.createReader()
       r.on('samples', () => { throw new Error('bug in a samples handler') }); setTimeout(() => w.write('x'), 200); setTimeout(() => {}, 5000)`,
    )
    assert.equal(thrower.exit, 1)
    assert.match(thrower.output, /Error: bug in a samples handler/)
  })

  it('builds its type support from idl/Chat.idl: the committed sources are what fastddsgen generates', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'chatdds-gen-'))
    try {
      execFileSync(path.join(root, 'scripts', 'gen-types.sh'), [out])
      for (const file of ['Chat.h', 'Chat.cxx', 'ChatPubSubTypes.h', 'ChatPubSubTypes.cxx']) {
        assert.equal(fs.readFileSync(path.join(out, file), 'utf8'), fs.readFileSync(path.join(root, 'src', 'native', 'gen', file), 'utf8'), file)
      }
    } finally {
      fs.rmSync(out, {recursive: true, force: true})
    }
  })
})
