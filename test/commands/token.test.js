// `chatdds token`: what it prints is a JWT that jose (not our verifier) accepts, with exactly the claims asked for.
import assert from 'node:assert/strict'
import {generateKeyPairSync} from 'node:crypto'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {decodeProtectedHeader, jwtVerify} from 'jose'

import {runCli} from '../helpers.js'
import {unwrap} from '../lib/client/support.js'

const SECRET = 'a-secret-for-the-token-command-tests'
const secretKey = new TextEncoder().encode(SECRET)

describe('chatdds token', () => {
  let dir
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'chatdds-token-'))))
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('prints one HS256 token with sub, name, rooms, publish and exp = iat + --ttl', async () => {
    const {code, stdout, stderr} = await runCli([
      'token',
      '--secret',
      SECRET,
      '--sub',
      'u-42',
      '--name',
      'Alice',
      '--rooms',
      'general, team-*',
      '--publish',
      'team-*',
      '--ttl',
      '90s',
    ])
    assert.equal(stderr, '')
    assert.equal(code, 0)
    assert.match(stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/)
    const {payload, protectedHeader} = await jwtVerify(stdout.trim(), secretKey, {algorithms: ['HS256']})
    assert.deepEqual(protectedHeader, {alg: 'HS256', typ: 'JWT'})
    assert.deepEqual(
      {...payload, iat: undefined, exp: undefined},
      {name: 'Alice', rooms: ['general', 'team-*'], publish: ['team-*'], sub: 'u-42', iat: undefined, exp: undefined},
    )
    assert.equal(payload.exp - payload.iat, 90)
    assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 60)
  })

  it('defaults to an hour and no room claims; --json gives the token and its claims; CHATDDS_AUTH_SECRET is the secret', async () => {
    const {code, stdout} = await runCli(['token', '--sub', 'bob', '--json'], {env: {CHATDDS_AUTH_SECRET: SECRET}})
    assert.equal(code, 0)
    const printed = JSON.parse(stdout)
    assert.deepEqual(Object.keys(printed), ['token', 'alg', 'sub', 'exp'])
    const {payload} = await jwtVerify(printed.token, secretKey)
    assert.deepEqual(Object.keys(payload).sort(), ['exp', 'iat', 'sub'])
    assert.deepEqual([printed.alg, printed.sub, printed.exp], ['HS256', 'bob', payload.exp])
    assert.equal(payload.exp - payload.iat, 3600)
    for (const [ttl, seconds] of /** @type {Array<[string, number]>} */ ([
      ['30m', 1800],
      ['2h', 7200],
      ['7d', 604_800],
      ['45', 45],
    ])) {
      const {stdout: token} = await runCli(['token', '--secret', SECRET, '--sub', 'x', '--ttl', ttl])
      const claims = (await jwtVerify(token.trim(), secretKey)).payload
      assert.equal(claims.exp - claims.iat, seconds, ttl)
    }
  })

  it('signs RS256 and ES256 with --key, even when CHATDDS_AUTH_SECRET is set', async () => {
    // generateKeyPairSync has one overload per key type, which TypeScript cannot pick for a type out of this list.
    const generate = /** @type {(type: string, options: object) => import('node:crypto').KeyPairKeyObjectResult} */ (generateKeyPairSync)
    for (const [type, options, alg] of /** @type {Array<[string, object, string]>} */ ([
      ['rsa', {modulusLength: 2048}, 'RS256'],
      ['ec', {namedCurve: 'P-256'}, 'ES256'],
    ])) {
      const {publicKey, privateKey} = generate(type, options)
      const file = path.join(dir, `${type}.pem`)
      writeFileSync(file, privateKey.export({type: 'pkcs8', format: 'pem'}))
      const {code, stdout, stderr} = await runCli(['token', '--key', file, '--sub', 'carol'], {env: {CHATDDS_AUTH_SECRET: SECRET}})
      assert.equal(code, 0, stderr)
      assert.equal(decodeProtectedHeader(stdout.trim()).alg, alg)
      assert.equal((await jwtVerify(stdout.trim(), publicKey, {algorithms: [alg]})).payload.sub, 'carol')
    }
  })

  it('exits 2 with a sentence for what it cannot sign', async () => {
    const ed = path.join(dir, 'ed25519.pem')
    writeFileSync(ed, generateKeyPairSync('ed25519').privateKey.export({type: 'pkcs8', format: 'pem'}))
    const garbage = path.join(dir, 'garbage.pem')
    writeFileSync(garbage, 'not a key\n')
    /** @type {Array<[string[], string | undefined]>} */
    const cases = [
      [['--sub', 'a'], "Pass --secret (the server's --auth-secret) or --key FILE (its private key)."],
      [['--secret', SECRET, '--key', ed, '--sub', 'a'], 'Pass exactly one of --secret (HS256) and --key FILE (RS256/ES256).'],
      [['--key', ed, '--sub', 'a'], 'The private key is of type ed25519; use an RSA key (RS256) or an EC P-256 key (ES256).'],
      [['--key', path.join(dir, 'missing.pem'), '--sub', 'a'], `Cannot read --key ${path.join(dir, 'missing.pem')} (ENOENT); pass a readable PEM file.`],
      [['--secret', SECRET, '--sub', 'a', '--rooms', ','], undefined],
      [['--secret', SECRET, '--sub', 'x'.repeat(65)], '--sub is the sender name unless --name is given, so at most 64 characters; shorten it or add --name.'],
      [['--secret', SECRET, '--sub', 'a', '--ttl', '1y'], '1y is not a duration; use 90s, 30m, 1h or 7d.'],
    ]
    for (const [args, sentence] of cases) {
      const {code, stdout, stderr} = await runCli(['token', ...args])
      if (sentence === undefined) {
        // An empty pattern list is a token for no room at all: allowed, and what it says.
        assert.equal(code, 0)
        assert.deepEqual((await jwtVerify(stdout.trim(), secretKey)).payload.rooms, [])
        continue
      }
      assert.equal(code, 2, `${args.join(' ')}: ${stderr}`)
      assert.equal(stdout, '')
      assert.ok(unwrap(stderr).includes(sentence), unwrap(stderr))
    }
    const garbled = await runCli(['token', '--key', garbage, '--sub', 'a'])
    assert.equal(garbled.code, 2)
    assert.match(unwrap(garbled.stderr), /The key is not a PEM private key \(.+\); pass an RSA or P-256 private key with --key\./)
  })
})
