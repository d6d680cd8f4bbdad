// The client library with connect tokens: refusals as sentences, the token as a Bearer header, tail's end on expiry.
import assert from 'node:assert/strict'
import http from 'node:http'

import {ChatClient} from '../../../dist/lib/client/chatClient.js'
import {sendMessages} from '../../../dist/lib/client/send.js'
import {tail} from '../../../dist/lib/client/tail.js'
import {createTokenVerifier} from '../../../dist/lib/tokens.js'
import {cleanup, startMemoryServer} from '../chat/support.js'
import {SECRET, token} from '../chat/authSupport.js'

const secured = () => startMemoryServer({security: {tokens: createTokenVerifier({secret: SECRET})}})

async function refusal(promise) {
  try {
    const client = await promise
    await client.close?.()
  } catch (error) {
    return {code: error.code, message: error.message}
  }
  assert.fail('expected a refusal')
}

describe('client library and connect tokens', () => {
  afterEach(cleanup)

  it("sends the token as a Bearer header; the hello carries the token's name, not --name", async () => {
    const server = await secured()
    const client = await ChatClient.connect({port: server.port, name: 'bob', token: await token({sub: 'alice'})})
    assert.equal(client.hello.name, 'alice')
    await client.close()
  })

  it('turns a 401 into a sentence that says why', async () => {
    const server = await secured()
    assert.deepEqual(await refusal(ChatClient.connect({port: server.port})), {
      code: 'EAUTH',
      message: `${server.url} requires a connect token (HTTP 401); pass one with --token or CHATDDS_TOKEN (\`chatdds token\` makes one).`,
    })
    const expiredAt = Math.floor(Date.now() / 1000) - 5
    assert.deepEqual(await refusal(ChatClient.connect({port: server.port, token: await token({}, {exp: expiredAt})})), {
      code: 'EAUTH',
      message: `${server.url} refused the token (HTTP 401): The connect token expired at ${new Date(expiredAt * 1000).toISOString()}; get a new one and connect again.`,
    })
    assert.deepEqual(await refusal(sendMessages({port: server.port, token: 'x.y.z', texts: ['hi']})), {
      code: 'EAUTH',
      message: `${server.url} refused the token (HTTP 401): The connect token is not a signed JWT (its header does not decode); pass the token exactly as it was issued.`,
    })
  })

  it("turns a 403 into a sentence with the server's reason", async () => {
    const server = http.createServer()
    server.on('upgrade', (req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 21\r\nConnection: close\r\n\r\nOrigin x not allowed\n'))
    await /** @type {Promise<void>} */ (new Promise((resolve) => server.listen(0, '127.0.0.1', resolve)))
    const {port} = /** @type {import('node:net').AddressInfo} */ (server.address())
    try {
      assert.deepEqual(await refusal(ChatClient.connect({port})), {
        code: 'EFORBIDDEN',
        message: `ws://127.0.0.1:${port}/ refused the connection (HTTP 403): Origin x not allowed`,
      })
    } finally {
      server.close()
    }
  })

  it('tail ends with the refusal instead of retrying, at the start and when the token expires', async () => {
    const server = await secured()
    const refused = tail(
      {ports: [server.port]},
      () => {},
      () => {},
    )
    await assert.rejects(refused.done, {
      code: 'EAUTH',
      message: `${server.url} requires a connect token (HTTP 401); pass one with --token or CHATDDS_TOKEN (\`chatdds token\` makes one).`,
    })

    const notices = []
    const expiring = tail(
      {ports: [server.port], token: await token({}, {exp: Math.floor(Date.now() / 1000) + 2})},
      () => {},
      (notice) => notices.push(notice),
    )
    await assert.rejects(expiring.done, {
      code: 'EAUTH',
      message: `${server.url} closed the connection: the connect token expired; get a new one and run tail again with --token.`,
    })
    assert.deepEqual(notices, [])
  })
})
