import assert from 'node:assert/strict'

import {tail} from '../../../dist/lib/client/tail.js'
import {ChatddsError} from '../../../dist/lib/errors.js'
import {eventually as until, freePort} from '../../helpers.js'
import {FakeCluster} from './fakeServer.js'
import {useCleanup} from './support.js'

describe('tail', () => {
  const {fake, cleanup} = useCleanup()

  function follow(options) {
    const messages = []
    const notices = []
    const session = tail(
      options,
      (m) => messages.push(m),
      (n) => notices.push(n),
    )
    cleanup(() => session.close().catch(() => {}))
    return {session, messages, notices}
  }

  it('prints history, then live messages of every room, and ends after --count', async () => {
    const server = await fake()
    server.publish('general', 'old 1')
    server.publish('general', 'old 2')
    server.publish('random', 'old r')
    const {session, messages} = follow({ports: [server.port], rooms: ['general', 'random'], count: 4, history: 1})
    await server.waitForJoins(2)
    server.publish('random', 'live r')
    server.publish('general', 'live g')
    const result = await session.done
    assert.deepEqual(result, {received: 4, reason: 'count'})
    assert.deepEqual(messages.map((m) => `${m.room}:${m.text}`).sort(), ['general:live g', 'general:old 2', 'random:live r', 'random:old r'])
  })

  it('resumes after a dropped connection with no gap and no duplicate', async () => {
    const server = await fake({sloppyResume: true})
    const {session, messages, notices} = follow({ports: [server.port], count: 6})
    await server.waitForJoins(1)
    for (const text of ['1', '2', '3']) server.publish('general', text)
    await until(() => messages.length === 3)
    server.dropClients()
    // Written while the client is away: only the resume can bring them.
    server.publish('general', '4')
    server.publish('general', '5')
    await server.waitForJoins(2)
    server.publish('general', '6')
    assert.deepEqual(await session.done, {received: 6, reason: 'count'})
    assert.deepEqual(
      messages.map((m) => m.text),
      ['1', '2', '3', '4', '5', '6'],
    )
    const resume = server.frames.filter((f) => f.type === 'join')[1]
    assert.deepEqual(resume.since, {[server.cluster.foreignWriter]: 3})
    assert.ok(
      notices.some((n) => n.startsWith(`connection to ${server.url} lost`)),
      notices.join('\n'),
    )
    assert.ok(
      notices.some((n) => n === `reconnected to ${server.url}; resumed #general`),
      notices.join('\n'),
    )
  })

  it('says which room may have missed messages when the server answers a resume with recovered:false', async () => {
    const server = await fake({gapRooms: ['random']})
    const {session, messages, notices} = follow({ports: [server.port], rooms: ['general', 'random'], count: 4})
    await server.waitForJoins(2)
    server.publish('general', 'g1')
    server.publish('random', 'r1')
    await until(() => messages.length === 2)
    server.dropClients()
    server.publish('random', 'r2') // while the client is away
    await server.waitForJoins(4)
    server.publish('general', 'g2')
    assert.deepEqual(await session.done, {received: 4, reason: 'count'})
    assert.deepEqual(
      messages.map((m) => `${m.room}:${m.text}`),
      ['general:g1', 'random:r1', 'random:r2', 'general:g2'],
    )
    // The first joins were recovered (no notice); of the resumes, only #random's was not.
    assert.deepEqual(notices, [
      `connection to ${server.url} lost (code 1006 dropped); reconnecting to ${server.url}`,
      `${server.url} no longer holds every message of #random since the last one shown; some may be missing.`,
      `reconnected to ${server.url}; resumed #general, #random`,
    ])
  })

  it('says how many messages of which room are lost when the server sends a gap frame, and goes on', async () => {
    const server = await fake()
    const {session, messages, notices} = follow({ports: [server.port], rooms: ['general'], count: 2})
    await server.waitForJoins(1)
    server.publish('general', 'before')
    await until(() => messages.length === 1)
    server.broadcast({type: 'gap', room: 'general', writer: 'ab12', missing: 21, from: 2, to: 22})
    server.publish('general', 'after')
    assert.deepEqual(await session.done, {received: 2, reason: 'count'})
    assert.deepEqual(
      messages.map((m) => m.text),
      ['before', 'after'],
    )
    assert.deepEqual(notices, [
      `${server.url} lost 21 messages of #general that no instance holds any more (a stall or partition longer than the cluster keeps); they will not be shown.`,
    ])
  })

  it('rotates to the next port when an instance goes away, and resumes there', async () => {
    const cluster = new FakeCluster()
    const first = await fake({cluster, instance: 'chat-1'})
    const second = await fake({cluster, instance: 'chat-2'})
    const {session, messages, notices} = follow({ports: [first.port, second.port], count: 4})
    await first.waitForJoins(1)
    second.publish('general', 'a')
    second.publish('general', 'b')
    await until(() => messages.length === 2)
    await first.close()
    second.publish('general', 'c')
    await second.waitForJoins(1)
    second.publish('general', 'd')
    await session.done
    assert.deepEqual(
      messages.map((m) => m.text),
      ['a', 'b', 'c', 'd'],
    )
    assert.ok(notices.includes(`connection to ${first.url} lost (code 1006 dropped); reconnecting to ${second.url}`), notices.join('\n'))
  })

  it('keeps retrying with backoff while every instance is down', async () => {
    const server = await fake()
    const {port} = server
    const {session, messages, notices} = follow({ports: [port], count: 2})
    await server.waitForJoins(1)
    server.publish('general', 'before')
    await until(() => messages.length === 1)
    await server.close()
    await until(() => notices.filter((n) => n.includes('unavailable (ECONNREFUSED)')).length >= 2)
    const again = await fake({port, cluster: server.cluster})
    await again.waitForJoins(1)
    again.publish('general', 'after')
    await session.done
    assert.deepEqual(
      messages.map((m) => m.text),
      ['before', 'after'],
    )
  })

  it('fails with ETIMEDOUT when --count was not reached in time', async () => {
    const server = await fake()
    const {session} = follow({ports: [server.port], count: 3, timeoutMs: 300})
    await server.waitForJoins(1)
    server.publish('general', 'only one')
    await assert.rejects(session.done, (error) => {
      assert.ok(error instanceof ChatddsError)
      assert.equal(error.code, 'ETIMEDOUT')
      assert.equal(error.message, 'Only 1 of 3 messages arrived within 0.3 s; raise --timeout or check that messages are being sent to #general.')
      return true
    })
  })

  it('ends normally at the timeout without --count', async () => {
    const server = await fake()
    const {session} = follow({ports: [server.port], timeoutMs: 200})
    assert.deepEqual(await session.done, {received: 0, reason: 'timeout'})
  })

  it('ends on close()', async () => {
    const server = await fake()
    const {session} = follow({ports: [server.port]})
    await server.waitForJoins(1)
    assert.deepEqual(await session.close(), {received: 0, reason: 'closed'})
    await until(() => server.clientCount === 0)
  })

  it('fails at once with ECONNREFUSED when no port has a server', async () => {
    const ports = [await freePort(), await freePort()]
    const {session} = follow({ports})
    await assert.rejects(session.done, (error) => {
      assert.ok(error instanceof ChatddsError)
      assert.equal(error.code, 'ECONNREFUSED')
      assert.equal(
        error.message,
        `No chatdds server at ws://127.0.0.1:${ports[0]}/, ws://127.0.0.1:${ports[1]}/; start one with \`chatdds serve --port ${ports[0]}\`.`,
      )
      return true
    })
  })

  it('starts on the second port when the first has no server', async () => {
    const server = await fake()
    const {session, messages} = follow({ports: [await freePort(), server.port], count: 1})
    await server.waitForJoins(1)
    server.publish('general', 'hi')
    await session.done
    assert.equal(messages[0].text, 'hi')
  })
})
