import assert from 'node:assert/strict'

import {exposureWarning, isLoopback, loadSecurity, normalizeAllowedOrigin} from '../../dist/lib/chat/auth.js'
import {RoomPatterns, createTokenVerifier, matchPattern, parseDuration, signToken, splitPatterns} from '../../dist/lib/tokens.js'

describe('connect tokens (lib)', () => {
  it('matches room patterns with * as any run of characters, and nothing else special', () => {
    /** @type {Array<[string, string, boolean]>} */
    const cases = [
      ['general', 'general', true],
      ['general', 'general2', false],
      ['team-*', 'team-', true],
      ['team-*', 'team-red', true],
      ['team-*', 'xteam-red', false],
      ['*', 'anything at all', true],
      ['*-ops', 'db-ops', true],
      ['*-ops', 'db-opsx', false],
      ['a*b*c', 'aXXbYYc', true],
      ['a*b*c', 'aXXcYYb', false],
      ['a.b', 'aXb', false],
      ['[x]', '[x]', true],
      ['*a*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(128), false],
    ]
    for (const [pattern, room, expected] of cases) assert.equal(matchPattern(pattern, room), expected, `${pattern} ~ ${room}`)
    assert.equal(new RoomPatterns(undefined).allows('any'), true)
    assert.equal(new RoomPatterns([]).allows('general'), false)
    assert.equal(new RoomPatterns(['general', 'team-*']).allows('team-x'), true)
  })

  it('reads durations and pattern lists as the flags give them', () => {
    assert.deepEqual(['90', '90s', '30m', '1h', '7d', '1.5h', '0', '1y', '', 'h'].map(parseDuration), [
      90,
      90,
      1800,
      3600,
      604_800,
      5400,
      undefined,
      undefined,
      undefined,
      undefined,
    ])
    assert.deepEqual(splitPatterns(' general , team-* ,,'), ['general', 'team-*'])
  })

  it('verifies what it signs, and reads the claims', async () => {
    const verifier = createTokenVerifier({secret: 's'.repeat(32)})
    const {token} = await signToken({secret: 's'.repeat(32), sub: 'u1', name: 'Una', rooms: ['a-*'], ttlSeconds: 60})
    const identity = await verifier.verify(token)
    assert.deepEqual(
      [identity.sub, identity.name, identity.rooms.allows('a-1'), identity.publish.allows('a-1'), identity.publish.allows('b')],
      ['u1', 'Una', true, true, false],
    )
    assert.ok(Math.abs(identity.expiresAt - (Date.now() + 60_000)) < 2000)
    await assert.rejects(verifier.verify(undefined), {code: 'missing'})
  })

  it('names what is open when serve listens beyond loopback without tokens', () => {
    assert.deepEqual(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '0.0.0.0', '::', '192.168.1.10'].map(isLoopback), [
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
    ])
    assert.equal(exposureWarning('127.0.0.1', 7000, {}), undefined)
    assert.equal(exposureWarning('0.0.0.0', 7000, {tokens: createTokenVerifier({secret: 'x'})}), undefined)
    assert.equal(
      exposureWarning('0.0.0.0', 7000, {apiKey: 'k'}),
      'listening on 0.0.0.0:7000 without --auth-secret or --auth-public-key: anyone who reaches this port can connect under any name, read and post in every room, and see who is in which room (GET /presence); pass --auth-secret (see README, Security).',
    )
  })

  it('checks --allowed-origin and the keys of serve', () => {
    assert.equal(normalizeAllowedOrigin('https://App.Example:443/some/path'), 'https://app.example')
    assert.equal(normalizeAllowedOrigin('http://localhost:3000'), 'http://localhost:3000')
    assert.equal(normalizeAllowedOrigin('*'), '*')
    assert.equal(normalizeAllowedOrigin('null'), 'null')
    assert.throws(() => normalizeAllowedOrigin('app.example'), {
      exit: 2,
      message: '--allowed-origin app.example is not an origin; give scheme, host and port, e.g. https://chat.example.com or http://localhost:3000.',
    })
    assert.throws(() => loadSecurity({authPublicKey: '/nonexistent.pem'}), {
      exit: 2,
      message: 'Cannot read --auth-public-key /nonexistent.pem (ENOENT); pass a readable PEM file.',
    })
    assert.throws(() => loadSecurity({authSecret: ''}), {exit: 2, message: 'The auth secret is empty; pass a long random string with --auth-secret.'})
    assert.throws(() => loadSecurity({apiKey: ''}), {exit: 2, message: 'The API key is empty; pass a long random string with --api-key.'})
  })
})
