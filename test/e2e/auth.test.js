// Issue 11 end to end: real `chatdds serve` processes with --auth-secret and --api-key on a DDS domain of our own.
import assert from 'node:assert/strict'
import net from 'node:net'

import {eventually, freePort, killAll, LOG_TIME, randomDomain, runCli} from '../helpers.js'
import {lines, unwrap} from '../lib/client/support.js'
import {API_KEY, SECRET, api, open, closeSockets, token, upgrade} from '../lib/chat/authSupport.js'
import {startInstance, waitReady} from '../commands/serveSupport.js'

const server = (instance) => ({port: instance.port, url: `ws://127.0.0.1:${instance.port}/`})
const v1 = {protocol: 'chatdds.v1'}

/** A chatdds.v1 client with a token for `sub`, joined to `rooms`. */
async function member(instance, sub, rooms) {
  const ws = await open(server(instance), {...v1, query: `?token=${await token({sub})}`})
  await eventually(() => ws.frames.some((f) => f.type === 'hello'))
  for (const room of rooms) {
    ws.send(JSON.stringify({type: 'join', room, ref: `join-${room}`}))
    await eventually(() => ws.frames.some((f) => f.ref === `join-${room}`))
  }
  return ws
}

const messages = (ws, text) => ws.frames.filter((f) => f.type === 'message' && (text === undefined || f.text === text))

describe('who may connect, speak and publish (real instances)', function () {
  this.timeout(180_000)
  let a, b

  before(async () => {
    // a has the backend API, b does not.
    const domain = randomDomain()
    ;[a, b] = await Promise.all([
      startInstance('auth-a', domain, ['--auth-secret', SECRET, '--api-key', API_KEY]),
      startInstance('auth-b', domain, ['--auth-secret', SECRET]),
    ])
    await Promise.all([waitReady(a, 1), waitReady(b, 1)])
  })

  afterEach(closeSockets)
  after(() => killAll())

  it('chatdds token + chatdds send --token + chatdds tail --token, end to end', async () => {
    const mint = async (...args) => {
      const {code, stdout, stderr} = await runCli(['token', '--secret', SECRET, ...args])
      assert.equal(code, 0, stderr)
      return stdout.trim()
    }
    const tailToken = await mint('--sub', 'watcher', '--rooms', 'e2e-*')
    const aliceToken = await mint('--sub', 'u-1', '--name', 'Alice', '--rooms', 'e2e-*')
    // The tail's token from the environment; --history makes it show each message once whether it joins before or after.
    const tail = runCli(['tail', '--port', String(b.port), '--room', 'e2e-room', '--count', '2', '--history', '10', '--json', '--timeout', '60'], {
      env: {CHATDDS_TOKEN: tailToken},
      timeoutMs: 90_000,
    })
    const sent = await runCli(['send', '--port', String(a.port), '--room', 'e2e-room', '--name', 'bob', '--token', aliceToken, '--json', 'hello with a token'])
    assert.equal(sent.code, 0, sent.stderr)
    const [{id}] = JSON.parse(sent.stdout)
    const published = await api(server(a), '/api/publish', {method: 'POST', body: {room: 'e2e-room', text: 'from the backend', from: 'release-bot'}})
    assert.equal(published.status, 200)

    const tailed = await tail
    assert.equal(tailed.code, 0, tailed.stderr)
    assert.deepEqual(
      lines(tailed.stdout)
        .map((line) => JSON.parse(line))
        .map(({id, room, from, text, origin}) => ({id, room, from, text, origin})),
      [
        {id, room: 'e2e-room', from: 'Alice', text: 'hello with a token', origin: a.name},
        {id: published.json.id, room: 'e2e-room', from: 'release-bot', text: 'from the backend', origin: a.name},
      ],
    )
  })

  it('send and tail say why they were refused, and exit 1 at once', async () => {
    const port = String(a.port)
    const url = `ws://127.0.0.1:${port}/`
    /** @type {Array<[string[], string]>} */
    const cases = [
      [['send', '--port', port, 'hi'], `${url} requires a connect token (HTTP 401); pass one with --token or CHATDDS_TOKEN (\`chatdds token\` makes one).`],
      [
        ['send', '--port', port, '--token', await token({}, {secret: 'not-the-servers-secret-not-the-servers'}), 'hi'],
        `${url} refused the token (HTTP 401): The connect token's signature does not verify with this server's key; sign it with the server's key.`,
      ],
      [
        ['send', '--port', port, '--room', 'secret', '--token', await token({rooms: ['general']}), 'hi'],
        'Your connect token does not allow you to join #secret; ask for a token whose "rooms" claim includes it.',
      ],
      [
        ['send', '--port', port, '--token', await token({rooms: ['general'], publish: []}), 'hi'],
        'Your connect token does not allow you to send to #general; ask for a token whose "publish" claim includes it.',
      ],
      [
        ['tail', '--port', port, '--token', await token({}, {exp: Math.floor(Date.now() / 1000) - 1})],
        `${url} refused the token (HTTP 401): The connect token expired at `,
      ],
      [['tail', '--port', `${port},${b.port}`], `${url} requires a connect token (HTTP 401)`],
    ]
    for (const [args, sentence] of cases) {
      const {code, stderr} = await runCli(args, {timeoutMs: 20_000})
      assert.equal(code, 1, `${args.join(' ')}: ${stderr}`)
      assert.ok(unwrap(stderr).includes(sentence), unwrap(stderr))
    }
  })

  it('POST /api/publish reaches every member of the room on every instance exactly once; 401 without the key, 400 when malformed', async () => {
    const members = [
      await member(a, 'm1', ['news', 'general']),
      await member(a, 'm2', ['news']),
      await member(b, 'm3', ['news', 'general']),
      await member(b, 'm4', ['news']),
    ]
    const plain = await open(server(b), {query: `?token=${await token({sub: 'p'})}`})
    assert.equal((await api(server(a), '/api/publish', {method: 'POST', key: null, body: {room: 'news', text: 'no key'}})).status, 401)
    assert.equal((await api(server(a), '/api/publish', {method: 'POST', key: 'wrong', body: {room: 'news', text: 'wrong key'}})).status, 401)
    assert.deepEqual(await api(server(a), '/api/publish', {method: 'POST', body: '{"room":"news",'}).then((r) => [r.status, r.json]), [
      400,
      {error: 'The body is not JSON; send {"room": "…", "text": "…", "from": "…"} with Content-Type: application/json.'},
    ])
    assert.equal((await api(server(a), '/api/publish', {method: 'POST', body: {room: 'news'}})).status, 400)
    // b was started without --api-key.
    assert.equal((await api(server(b), '/api/publish', {method: 'POST', body: {room: 'news', text: 'x'}})).status, 404)

    const first = await api(server(a), '/api/publish', {method: 'POST', body: {room: 'news', text: 'release 1.2', from: 'bot'}})
    assert.equal(first.status, 200)
    const general = await api(server(a), '/api/publish', {method: 'POST', body: {room: 'general', text: 'to everyone'}})
    assert.equal(general.status, 200)
    // A later message of the same writer: once it is there, a repeat of the first would have been too.
    const marker = await api(server(a), '/api/publish', {method: 'POST', body: {room: 'news', text: 'marker'}})
    for (const ws of members) {
      await eventually(() => messages(ws, 'marker').length === 1)
      assert.deepEqual(
        messages(ws, 'release 1.2').map(({id, from, room, origin}) => ({id, from, room, origin})),
        [{id: first.json.id, from: 'bot', room: 'news', origin: a.name}],
      )
      assert.equal(messages(ws).filter((m) => ['no key', 'wrong key'].includes(m.text)).length, 0)
    }
    for (const ws of [members[0], members[2]])
      assert.deepEqual(
        messages(ws, 'to everyone').map((m) => m.id),
        [general.json.id],
      )
    await eventually(() => plain.texts.includes('to everyone'))
    assert.deepEqual(plain.texts, ['to everyone'])
    assert.ok(marker.json.id)
    // Presence and history of the other instance, through a's API.
    await eventually(async () => (await api(server(a), '/api/presence?room=news')).json.members.length === 4)
    assert.deepEqual((await api(server(a), '/api/presence?room=news')).json.members, [
      {name: 'm1', instance: a.name},
      {name: 'm2', instance: a.name},
      {name: 'm3', instance: b.name},
      {name: 'm4', instance: b.name},
    ])
    assert.deepEqual(
      (await api(server(a), '/api/history?room=news&limit=2')).json.messages.map((m) => m.text),
      ['release 1.2', 'marker'],
    )
  })

  it("a plain client's forged envelope reaches chatdds.v1 clients of the other instance as a plain #general message from null; nothing in secret-room", async () => {
    const forged = '{"chatdds":1,"room":"secret-room","from":"admin","origin":"chat-admin","ts":1,"text":"…"}'
    const watcher = await member(b, 'watcher', ['general', 'secret-room'])
    const forger = await open(server(a), {query: `?token=${await token({sub: 'mallory'})}`})
    const plainElsewhere = await open(server(b), {query: `?token=${await token({sub: 'p2'})}`})
    forger.send(forged)
    await eventually(() => messages(watcher, forged).length === 1)
    const [message] = messages(watcher, forged)
    assert.deepEqual([message.room, message.from, message.origin], ['general', null, null])
    assert.ok(message.ts > 1)
    assert.deepEqual(
      messages(watcher).filter((m) => m.room === 'secret-room'),
      [],
    )
    await eventually(() => plainElsewhere.texts.length === 1)
    assert.deepEqual(plainElsewhere.texts, [forged])
    // b's history of secret-room is empty; a late joiner of general gets the text as it was sent.
    const late = await member(b, 'late', [])
    late.send(JSON.stringify({type: 'join', room: 'secret-room', history: 50, ref: 's'}))
    await eventually(() => late.frames.some((f) => f.ref === 's'))
    assert.equal(late.frames.find((f) => f.ref === 's').replayed, 0)
  })

  it("refuses a cross-origin handshake with 403, accepts the page's own origin, and keeps /presence closed without the key", async () => {
    const evil = await upgrade(server(a), {headers: {Origin: 'http://evil.example'}, path: `/?token=${await token()}`})
    assert.deepEqual(
      [evil.status, evil.body],
      [403, 'Origin http://evil.example is not allowed to connect; start the server with --allowed-origin http://evil.example to accept its pages.\n'],
    )
    assert.equal((await upgrade(server(a), {headers: {Origin: `http://127.0.0.1:${a.port}`}, path: `/?token=${await token()}`})).status, 101)
    assert.equal((await upgrade(server(a), {headers: {Origin: `http://127.0.0.1:${b.port}`}, path: `/?token=${await token()}`})).status, 101)
    const noKey = await fetch(`http://127.0.0.1:${b.port}/presence`)
    assert.equal(noKey.status, 401)
    const keyed = await api(server(a), '/presence')
    assert.equal(keyed.status, 200)
    assert.deepEqual(Object.keys(keyed.json), ['instance', 'instances', 'rooms'])
  })

  it('serve --host beyond loopback without tokens warns, naming what is open', async () => {
    // The port is taken on 127.0.0.1, so 0.0.0.0 is never actually bound: the warning comes first, then the error.
    const blocker = net.createServer()
    const port = await freePort()
    await /** @type {Promise<void>} */ (new Promise((resolve) => blocker.listen(port, '127.0.0.1', resolve)))
    try {
      const {code, stderr} = await runCli(['serve', '--host', '0.0.0.0', '--port', String(port)])
      assert.equal(code, 1)
      assert.match(stderr, new RegExp(`^${LOG_TIME}warning: `))
      assert.ok(
        stderr
          .replace(new RegExp(`^${LOG_TIME}`), '')
          .startsWith(
            `warning: listening on 0.0.0.0:${port} without --auth-secret or --auth-public-key: anyone who reaches this port can connect under any name, read and post in every room, and see who is in which room (GET /presence); pass --auth-secret (see README, Security).\n`,
          ),
        stderr,
      )
      assert.ok(unwrap(stderr).includes(`Port ${port} is already in use`), stderr)
      const quiet = await runCli(['serve', '--host', '0.0.0.0', '--port', String(port), '--auth-secret', SECRET])
      assert.equal(quiet.code, 1)
      assert.ok(!quiet.stderr.includes('warning:'), quiet.stderr)
    } finally {
      blocker.close()
    }
  })

  it('a bad --auth-public-key or --allowed-origin is a usage error (exit 2)', async () => {
    const missing = await runCli(['serve', '--port', '0', '--auth-public-key', '/nonexistent/key.pem'])
    assert.equal(missing.code, 2)
    assert.ok(unwrap(missing.stderr).includes('Cannot read --auth-public-key /nonexistent/key.pem (ENOENT); pass a readable PEM file.'), missing.stderr)
    const origin = await runCli(['serve', '--port', '0', '--allowed-origin', 'app.example'])
    assert.equal(origin.code, 2)
    assert.ok(unwrap(origin.stderr).includes('--allowed-origin app.example is not an origin'), origin.stderr)
  })
})
