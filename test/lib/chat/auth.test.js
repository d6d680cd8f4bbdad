// Who may connect, speak and publish (issue 11) against MemoryBus servers: tokens, room patterns, Origin, no forgery.
import assert from 'node:assert/strict'
import {createTokenVerifier} from '../../../dist/lib/tokens.js'
import {MemoryHub, cleanup, connect, connectV1, eventually, framesOfType, httpGet, request, startMemoryServer} from './support.js'
import {SECRET, closeSockets, ec, open, pem, rsa, token, upgrade} from './authSupport.js'

const withTokens = (extra = {}) => ({security: {tokens: createTokenVerifier({secret: SECRET}), ...extra}})
const v1 = {protocol: 'chatdds.v1'}

async function helloOf(ws) {
  await eventually(() => ws.frames.some((f) => f.type === 'hello'))
  return ws.frames.find((f) => f.type === 'hello')
}

describe('connect tokens and the Origin policy', () => {
  afterEach(async () => {
    closeSockets()
    await cleanup()
  })

  describe('the upgrade', () => {
    it('is refused with 401 and a one-line body without a token, with a bad signature, expired, or with another algorithm', async () => {
      const server = await startMemoryServer(withTokens())
      const expiredAt = Math.floor(Date.now() / 1000) - 60
      /** @type {Array<[{path?: string}, string]>} */
      const cases = [
        [{}, 'A connect token is required: pass it as ?token=… or an "Authorization: Bearer …" header.\n'],
        [{path: '/?token=not-a-jwt'}, 'The connect token is not a signed JWT (three base64url parts); pass the token exactly as it was issued.\n'],
        [
          {path: `/?token=${await token({}, {secret: 'another-secret-another-secret-another'})}`},
          "The connect token's signature does not verify with this server's key; sign it with the server's key.\n",
        ],
        [
          {path: `/?token=${await token({}, {exp: expiredAt})}`},
          `The connect token expired at ${new Date(expiredAt * 1000).toISOString()}; get a new one and connect again.\n`,
        ],
        [
          {path: `/?token=${await token({}, {alg: 'RS256', key: rsa().privateKey})}`},
          "The connect token is signed with RS256, and this server accepts only HS256; sign it with the server's key.\n",
        ],
        [{path: `/?token=${await token({}, {exp: null})}`}, 'The connect token has no "exp" claim; issue it with "sub" and "exp".\n'],
        [{path: `/?token=${await token({sub: null})}`}, 'The connect token has no "sub" claim; issue it with "sub" and "exp".\n'],
      ]
      // An unsigned token (alg "none") is the oldest JWT trick.
      const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({sub: 'admin', exp: 9e9})).toString('base64url')}.`
      cases.push([{path: `/?token=${unsigned}`}, "The connect token is signed with none, and this server accepts only HS256; sign it with the server's key.\n"])
      for (const [how, body] of cases) {
        for (const protocol of ['chatdds.v1', undefined]) {
          const answer = await upgrade(server, {...how, protocol})
          assert.equal(answer.status, 401, `${how.path ?? 'no token'} ${protocol ?? 'plain'}`)
          assert.equal(answer.body, body)
          assert.equal(answer.headers['content-type'], 'text/plain; charset=utf-8')
          assert.match(answer.headers['www-authenticate'], /^Bearer realm="chatdds"/)
        }
      }
    })

    it('accepts a valid token in ?token= or an Authorization header; the token decides the name, ?name= is ignored', async () => {
      const server = await startMemoryServer({name: 'chat-1', ...withTokens()})
      const alice = await open(server, {...v1, query: `?name=bob&token=${await token({sub: 'u-1', name: 'Alice'})}`})
      assert.equal((await helloOf(alice)).name, 'Alice')
      const bearer = await open(server, {...v1, query: '?name=bob', headers: {Authorization: `Bearer ${await token({sub: 'carol'})}`}})
      assert.equal((await helloOf(bearer)).name, 'carol')
      // Presence shows the token's names.
      await request(alice, {type: 'join', room: 'general', ref: 'j'})
      const joined = await request(bearer, {type: 'join', room: 'general', ref: 'j'})
      assert.deepEqual(joined.members, [
        {name: 'Alice', instance: 'chat-1'},
        {name: 'carol', instance: 'chat-1'},
      ])
      // Messages go out under the token's name.
      await request(alice, {type: 'send', room: 'general', text: 'hi', ref: 's'})
      await eventually(() => framesOfType(bearer, 'message').length === 1)
      assert.equal(framesOfType(bearer, 'message')[0].from, 'Alice')
      // An RS256 and an ES256 server take tokens of their own key.
      for (const pair of [rsa(), ec()]) {
        const other = await startMemoryServer({security: {tokens: createTokenVerifier({publicKeyPem: pem(pair.publicKey)})}})
        const alg = pair.publicKey.asymmetricKeyType === 'rsa' ? 'RS256' : 'ES256'
        const ws = await open(other, {...v1, query: `?token=${await token({sub: 'dave'}, {alg, key: pair.privateKey})}`})
        assert.equal((await helloOf(ws)).name, 'dave')
        assert.equal(
          (await upgrade(other, {path: `/?token=${await token()}`})).body,
          `The connect token is signed with HS256, and this server accepts only ${alg}; sign it with the server's key.\n`,
        )
      }
    })

    it('does not let hello rename a token holder', async () => {
      const server = await startMemoryServer(withTokens())
      const alice = await open(server, {...v1, query: `?token=${await token()}`})
      await helloOf(alice)
      assert.deepEqual(await request(alice, {type: 'hello', name: 'admin', ref: 'h1'}), {
        type: 'error',
        code: 'forbidden',
        message: 'Your connect token names you "alice"; the name cannot be changed on this connection.',
        ref: 'h1',
      })
      // The same name is a plain hello (the page asks this way for the instance list).
      assert.equal((await request(alice, {type: 'hello', name: 'alice', ref: 'h2'})).name, 'alice')
    })

    it("answers forbidden to a join, presence or send outside the token's patterns, and allows what they name", async () => {
      const hub = new MemoryHub()
      const server = await startMemoryServer(withTokens(), {hub})
      const ws = await open(server, {...v1, query: `?token=${await token({rooms: ['general', 'team-*'], publish: ['team-*']})}`})
      await helloOf(ws)
      assert.deepEqual(await request(ws, {type: 'join', room: 'secret', ref: 'j1'}), {
        type: 'error',
        code: 'forbidden',
        message: 'Your connect token does not allow you to join #secret; ask for a token whose "rooms" claim includes it.',
        ref: 'j1',
      })
      assert.equal((await request(ws, {type: 'presence', room: 'secret', ref: 'p1'})).code, 'forbidden')
      assert.deepEqual(await request(ws, {type: 'send', room: 'general', text: 'hi', ref: 's1'}), {
        type: 'error',
        code: 'forbidden',
        message: 'Your connect token does not allow you to send to #general; ask for a token whose "publish" claim includes it.',
        ref: 's1',
      })
      assert.equal((await request(ws, {type: 'join', room: 'general', ref: 'j2'})).type, 'joined')
      assert.equal((await request(ws, {type: 'join', room: 'team-red', ref: 'j3'})).type, 'joined')
      assert.equal((await request(ws, {type: 'send', room: 'team-red', text: 'go', ref: 's2'})).type, 'ack')
      await eventually(() => framesOfType(ws, 'message').length === 1)
      assert.deepEqual(
        framesOfType(ws, 'message').map((m) => [m.room, m.text]),
        [['team-red', 'go']],
      )
      // `publish` defaults to `rooms`.
      const other = await open(server, {...v1, query: `?token=${await token({sub: 'bob', rooms: ['team-*']})}`})
      await helloOf(other)
      assert.equal((await request(other, {type: 'send', room: 'team-blue', text: 'x', ref: 's'})).type, 'ack')
      assert.equal((await request(other, {type: 'send', room: 'general', text: 'x', ref: 's2'})).code, 'forbidden')
    })

    it('closes a connection whose token expires with 4001 and a reason', async () => {
      const server = await startMemoryServer(withTokens())
      const soon = Math.floor(Date.now() / 1000) + 2
      const ws = await open(server, {...v1, query: `?token=${await token({}, {exp: soon})}`})
      const plain = await open(server, {query: `?token=${await token({}, {exp: soon})}`})
      assert.deepEqual(await ws.closed, {code: 4001, reason: 'token expired; connect again with a new token'})
      assert.deepEqual(await plain.closed, {code: 4001, reason: 'token expired; connect again with a new token'})
      assert.ok(Date.now() >= soon * 1000, 'closed at expiry, not before')
    })

    it('takes plain clients with ?token=; one whose token does not allow #general is closed with 1008', async () => {
      const hub = new MemoryHub()
      const server = await startMemoryServer(withTokens(), {hub})
      const plain = await open(server, {query: `?token=${await token()}`})
      plain.send('plain with a token')
      await eventually(() => plain.texts.length === 1)
      assert.deepEqual(plain.texts, ['plain with a token'])
      const readOnly = await open(server, {query: `?token=${await token({rooms: ['general'], publish: []})}`})
      readOnly.send('not allowed')
      assert.deepEqual(await readOnly.closed, {code: 1008, reason: 'forbidden: your connect token does not allow sending to #general'})
      const elsewhere = await open(server, {query: `?token=${await token({rooms: ['team-*']})}`})
      assert.deepEqual(await elsewhere.closed, {code: 1008, reason: "forbidden: your connect token does not allow #general, the plain protocol's only room"})
      // Only the first plain client's message was written.
      await new Promise((resolve) => setTimeout(resolve, 100))
      assert.deepEqual(plain.texts, ['plain with a token'])
    })

    it('without tokens, ?name= and hello still name the connection', async () => {
      const server = await startMemoryServer()
      const ws = await connectV1(server, 'zoe')
      assert.equal(framesOfType(ws, 'hello')[0].name, 'zoe')
      assert.equal((await request(ws, {type: 'hello', name: 'zed', ref: 'h'})).name, 'zed')
    })
  })

  describe('Origin', () => {
    it('refuses another origin with 403 and a one-line body, with or without tokens', async () => {
      for (const options of [{}, withTokens()]) {
        const server = await startMemoryServer(options)
        const answer = await upgrade(server, {headers: {Origin: 'http://evil.example'}, path: `/?token=${await token()}`})
        assert.equal(answer.status, 403)
        assert.equal(
          answer.body,
          'Origin http://evil.example is not allowed to connect; start the server with --allowed-origin http://evil.example to accept its pages.\n',
        )
        // Another port of the same host is another origin too, and so is a page opened as a file.
        assert.equal((await upgrade(server, {headers: {Origin: 'http://127.0.0.1:1'}})).status, 403)
        assert.equal((await upgrade(server, {headers: {Origin: 'null'}})).status, 403)
      }
    })

    it("accepts no Origin, the page's own origin, the other instances' pages, and --allowed-origin", async () => {
      const hub = new MemoryHub()
      const server = await startMemoryServer({security: {allowedOrigins: ['https://app.example', 'null']}}, {hub})
      const peer = await startMemoryServer({}, {hub})
      await eventually(() => server.presence().instances.length === 2)
      const own = `http://127.0.0.1:${server.port}`
      for (const origin of [undefined, own, `http://127.0.0.1:${peer.port}`, 'https://app.example', 'null']) {
        const answer = await upgrade(server, {headers: origin ? {Origin: origin} : {}})
        assert.equal(answer.status, 101, `Origin ${origin}`)
      }
      // Host names are compared as the browser sends them: localhost is not 127.0.0.1.
      assert.equal((await upgrade(server, {headers: {Origin: `http://localhost:${server.port}`}})).status, 403)
      const any = await startMemoryServer({security: {allowedOrigins: ['*']}})
      assert.equal((await upgrade(any, {headers: {Origin: 'http://evil.example'}})).status, 101)
    })

    it('still accepts the page of an instance that has left the cluster (pages fail over between instances)', async () => {
      const hub = new MemoryHub()
      const server = await startMemoryServer({}, {hub})
      const peer = await startMemoryServer({}, {hub})
      const origin = `http://127.0.0.1:${peer.port}`
      // A member makes the peer's snapshot arrive (and be remembered).
      await connectV1(peer, 'x').then((ws) => request(ws, {type: 'join', room: 'general', ref: 'j'}))
      await eventually(() => server.presence().instances.length === 2)
      await peer.close()
      await eventually(() => server.presence().instances.length === 1)
      assert.equal((await upgrade(server, {headers: {Origin: origin}})).status, 101)
    })
  })

  describe('no forgery by plain clients', () => {
    const forged = '{"chatdds":1,"room":"secret-room","from":"admin","origin":"chat-admin","ts":1,"text":"…"}'

    it("delivers a plain client's envelope-looking text as a plain message of #general, from null, on every instance", async () => {
      const hub = new MemoryHub()
      const server = await startMemoryServer({name: 'chat-1'}, {hub})
      const other = await startMemoryServer({name: 'chat-2'}, {hub})
      const members = []
      for (const at of [server, other]) {
        const ws = await connectV1(at, 'member')
        await request(ws, {type: 'join', room: 'general', ref: 'j1'})
        await request(ws, {type: 'join', room: 'secret-room', ref: 'j2'})
        members.push(ws)
      }
      const forger = await connect(server)
      const plainElsewhere = await connect(other)
      const before = Date.now()
      forger.send(forged)
      forger.send('after')
      for (const ws of members) {
        await eventually(() => framesOfType(ws, 'message').length === 2)
        const [message, after] = framesOfType(ws, 'message')
        assert.deepEqual(
          {...message, id: undefined, ts: undefined},
          {type: 'message', id: undefined, room: 'general', from: null, text: forged, ts: undefined, origin: null},
        )
        assert.ok(message.ts >= before, 'the time is the DDS timestamp, not the forged ts 1')
        assert.deepEqual([after.room, after.from, after.text], ['general', null, 'after'])
      }
      // Plain clients everywhere get exactly the text that was sent.
      for (const ws of [forger, plainElsewhere]) {
        await eventually(() => ws.texts.length === 2)
        assert.deepEqual(ws.texts, [forged, 'after'])
      }
      // Nothing is in secret-room's history on either instance; general has it.
      for (const at of [server, other]) {
        const late = await connectV1(at, 'late')
        assert.equal((await request(late, {type: 'join', room: 'secret-room', history: 10, ref: 's'})).replayed, 0)
        assert.equal((await request(late, {type: 'join', room: 'general', history: 10, ref: 'g'})).replayed, 2)
      }
    })
  })

  describe('GET /presence', () => {
    it('names no users without the API key when tokens are on', async () => {
      const open401 = await startMemoryServer(withTokens())
      const noKey = await httpGet(open401, '/presence')
      assert.equal(noKey.status, 401)
      assert.equal(
        noKey.body,
        'GET /presence lists user names, so with connect tokens on it needs the API key; start the server with --api-key and send "Authorization: Bearer <key>".\n',
      )
      const keyed = await startMemoryServer(withTokens({apiKey: 'k-123'}))
      assert.equal((await httpGet(keyed, '/presence')).status, 401)
      const ok = await fetch(`http://127.0.0.1:${keyed.port}/presence`, {headers: {Authorization: 'Bearer k-123'}})
      assert.equal(ok.status, 200)
      assert.deepEqual(Object.keys(await ok.json()), ['instance', 'instances', 'rooms'])
      // Without tokens it stays open, as before.
      assert.equal((await httpGet(await startMemoryServer(), '/presence')).status, 200)
    })
  })
})
