// The raw native binding, without its TypeScript wrapper: every function validates its arguments and
// throws a JS error with a code (never a crash), and has no defaults of its own.
import assert from 'node:assert/strict'
import {resolveConfig} from '../../../dist/lib/dds/config.js'
import {nativeBinding} from '../../../dist/lib/dds/native.js'
import {nativeEndpointQos, nativeParticipantConfig} from '../../../dist/lib/dds/participant.js'
import {randomDomain} from '../../helpers.js'

const {Participant} = nativeBinding()
const NEW = 'new Participant(domainId, config, onEvents)'
const CREATE = 'createEndpoint(kind, qos)'

/** What the TypeScript wrapper sends: every field it fills in. */
const fullConfig = () => nativeParticipantConfig('native-test', resolveConfig())
const writerQos = () => nativeEndpointQos('writer')
const readerQos = () => nativeEndpointQos('reader')
const without = (object, key) => Object.fromEntries(Object.entries(object).filter(([k]) => k !== key))

/** Asserts a TypeError with code EINVAL and exactly `message`. */
function assertInvalid(run, message) {
  assert.throws(run, (/** @type {Error & {code?: string}} */ error) => {
    assert.ok(error instanceof TypeError, `${error.name}: ${error.message}`)
    assert.equal(error.code, 'EINVAL')
    assert.equal(error.message, message)
    return true
  })
}

describe('native binding (raw)', function () {
  this.timeout(30_000)
  const open = []
  const participant = () => {
    const created = new Participant(randomDomain(), fullConfig(), () => {})
    open.push(created)
    return created
  }
  afterEach(() => {
    for (const created of open.splice(0)) created.close()
  })

  it('checks the constructor arguments', () => {
    const noop = () => {}
    // @ts-expect-error
    assertInvalid(() => new Participant(), `${NEW}: expected 3 argument(s), got 0`)
    // @ts-expect-error
    assertInvalid(() => new Participant(1, fullConfig()), `${NEW}: expected 3 argument(s), got 2`)
    // @ts-expect-error
    assertInvalid(() => new Participant('1', fullConfig(), noop), `${NEW}: domainId must be an integer from 0 to 232, got a string`)
    assertInvalid(() => new Participant(233, fullConfig(), noop), `${NEW}: domainId must be an integer from 0 to 232, got 233`)
    assertInvalid(() => new Participant(1.5, fullConfig(), noop), `${NEW}: domainId must be an integer from 0 to 232, got 1.5`)
    assertInvalid(() => new Participant(1, null, noop), `${NEW}: config must be an object, got null`)
    // @ts-expect-error
    assertInvalid(() => new Participant(1, fullConfig(), {}), `${NEW}: onEvents must be a function, got an object`)
    assertInvalid(() => new Participant(1, {...fullConfig(), interface: 'eth0'}, noop), `${NEW}: config.interface must be an IPv4 address string, got a string`)
    assertInvalid(() => new Participant(1, {...fullConfig(), ttl: 256}, noop), `${NEW}: config.ttl must be an integer from 0 to 255, got 256`)
    assertInvalid(() => new Participant(1, {...fullConfig(), leaseDuration: 0}, noop), `${NEW}: config.leaseDuration must be a number of seconds above 0, got 0`)
    assertInvalid(
      // @ts-expect-error
      () => new Participant(1, {...fullConfig(), initialPeers: [{address: '127.0.0.1'}]}, noop),
      `${NEW}: config.initialPeers[0].port is missing; it must be an integer from 0 to 65535`,
    )
    // @ts-expect-error
    assertInvalid(() => new Participant(1, {...fullConfig(), initialPeers: ['127.0.0.1']}, noop), `${NEW}: config.initialPeers[0] must be an object, got a string`)
    assertInvalid(
      // @ts-expect-error
      () => new Participant(1, {...fullConfig(), properties: [{name: 'dds.sec.auth.plugin'}]}, noop),
      `${NEW}: config.properties[0].value is missing; it must be a non-empty string`,
    )
    // @ts-expect-error
    assertInvalid(() => new Participant(1, {...fullConfig(), properties: {}}, noop), `${NEW}: config.properties must be an array of objects, got an object`)
  })

  it('has no default for any participant setting: each one the wrapper sends is required', () => {
    const config = fullConfig()
    assert.ok(Object.keys(config).length >= 12, Object.keys(config).join())
    for (const key of Object.keys(config)) {
      assert.throws(
        // @ts-expect-error
        () => new Participant(randomDomain(), without(config, key), () => {}),
        (/** @type {Error & {code?: string}} */ error) => {
          assert.equal(error.code, 'EINVAL', key)
          assert.match(error.message, new RegExp(`^${escape(NEW)}: config\\.${key} is missing; it must be `), key)
          return true
        },
      )
    }
  })

  it('creates both endpoint kinds with one function, and has no default for any QoS field', () => {
    const p = participant()
    const writer = p.createEndpoint('writer', writerQos())
    const reader = p.createEndpoint('reader', readerQos())
    assert.ok(Number.isInteger(writer) && Number.isInteger(reader) && writer !== reader)
    // @ts-expect-error
    assert.equal(typeof p.createWriter, 'undefined')
    // @ts-expect-error
    assert.equal(typeof p.createReader, 'undefined')
    const fields = {writer: writerQos(), reader: readerQos()}
    assert.deepEqual(Object.keys(fields.writer).sort(), ['depth', 'heartbeatPeriod', 'keepLast', 'maxSamples', 'partitions', 'reliable', 'topic', 'transientLocal'])
    for (const [kind, qos] of Object.entries(fields)) {
      for (const key of Object.keys(qos)) {
        assert.throws(
          // @ts-expect-error
          () => p.createEndpoint(kind, without(qos, key)),
          (/** @type {Error & {code?: string}} */ error) => {
            assert.ok(error instanceof TypeError, `${kind} ${key}: ${error.message}`)
            assert.equal(error.code, 'EINVAL')
            assert.match(error.message, new RegExp(`^${escape(CREATE)}: qos\\.${key} is missing; it must be `))
            return true
          },
        )
      }
    }
  })

  it('checks the arguments and QoS values of createEndpoint', () => {
    const p = participant()
    // @ts-expect-error
    assertInvalid(() => p.createEndpoint('writer'), `${CREATE}: expected 2 argument(s), got 1`)
    // @ts-expect-error
    assertInvalid(() => p.createEndpoint('topic', writerQos()), `${CREATE}: kind must be "writer" or "reader", got "topic"`)
    // @ts-expect-error
    assertInvalid(() => p.createEndpoint(1, writerQos()), `${CREATE}: kind must be a string, got 1`)
    // @ts-expect-error
    assertInvalid(() => p.createEndpoint('reader', [readerQos()]), `${CREATE}: qos must be an object, got an array`)
    // @ts-expect-error
    assertInvalid(() => p.createEndpoint('writer', {...writerQos(), reliable: 1}), `${CREATE}: qos.reliable must be a boolean, got 1`)
    assertInvalid(() => p.createEndpoint('writer', {...writerQos(), maxSamples: 0}), `${CREATE}: qos.maxSamples must be an integer from 1 to 2147483647, got 0`)
    assertInvalid(
      () => p.createEndpoint('writer', {...writerQos(), heartbeatPeriod: -1}),
      `${CREATE}: qos.heartbeatPeriod must be a number of seconds above 0, got -1`,
    )
    assertInvalid(
      () => p.createEndpoint('reader', {...readerQos(), keepLast: true, depth: 5, maxSamples: 4}),
      `${CREATE}: qos.maxSamples must be an integer from 5 to 2147483647, got 4`,
    )
    assertInvalid(() => p.createEndpoint('reader', {...readerQos(), partitions: ['a', '']}), `${CREATE}: qos.partitions[1] must be a non-empty string, got a string`)
    assertInvalid(() => p.createEndpoint('reader', {...readerQos(), topic: ''}), `${CREATE}: qos.topic must be a non-empty string, got a string`)
  })

  it('refuses a handle that names no live entity of the right kind, and stays usable', async () => {
    const p = participant()
    const writer = p.createEndpoint('writer', writerQos())
    const reader = p.createEndpoint('reader', readerQos())
    // @ts-expect-error
    assertInvalid(() => p.write(writer), 'write(writer, text): expected 2 argument(s), got 1')
    // @ts-expect-error
    assertInvalid(() => p.write('1', 'x'), 'write(writer, text): writer must be an entity handle (an integer from 1 to 2147483647), got a string')
    assertInvalid(() => p.write(0, 'x'), 'write(writer, text): writer must be an entity handle (an integer from 1 to 2147483647), got 0')
    assertInvalid(() => p.write(1.5, 'x'), 'write(writer, text): writer must be an entity handle (an integer from 1 to 2147483647), got 1.5')
    // @ts-expect-error
    assertInvalid(() => p.write(writer, 42), 'write(writer, text): text must be a string, got 42')
    assertInvalid(() => p.write(reader, 'x'), `write(writer, text): handle ${reader} names a DDS reader, not a writer`)
    assertInvalid(() => p.write(999, 'x'), 'write(writer, text): handle 999 names no DDS writer of this participant')
    // @ts-expect-error
    assertInvalid(() => p.writerGuid(), 'writerGuid(writer): expected 1 argument(s), got 0')
    assertInvalid(() => p.writerGuid(reader), `writerGuid(writer): handle ${reader} names a DDS reader, not a writer`)
    assertInvalid(() => p.matched(null), 'matched(entity): entity must be an entity handle (an integer from 1 to 2147483647), got null')
    assertInvalid(() => p.matched(999), 'matched(entity): handle 999 names no DDS entity of this participant')
    // @ts-expect-error
    assertInvalid(() => p.waitForAcknowledgments(writer), 'waitForAcknowledgments(writer, seconds): expected 2 argument(s), got 1')
    assertInvalid(
      () => p.waitForAcknowledgments(writer, -1),
      'waitForAcknowledgments(writer, seconds): seconds must be a number of seconds from 0 to 2147483647, got -1',
    )
    assertInvalid(
      () => p.waitForAcknowledgments(writer, Number.NaN),
      'waitForAcknowledgments(writer, seconds): seconds must be a number of seconds from 0 to 2147483647, got NaN',
    )
    assertInvalid(() => p.waitForAcknowledgments(reader, 1), `waitForAcknowledgments(writer, seconds): handle ${reader} names a DDS reader, not a writer`)
    // @ts-expect-error
    assertInvalid(() => p.deleteEntity('x'), 'deleteEntity(entity): entity must be an entity handle (an integer from 1 to 2147483647), got a string')
    assertInvalid(() => p.deleteEntity(999), 'deleteEntity(entity): handle 999 names no DDS entity of this participant')
    // @ts-expect-error
    assertInvalid(() => p.guidPrefix(1), 'guidPrefix(): expected 0 argument(s), got 1')
    // @ts-expect-error
    assertInvalid(() => p.close(true), 'close(): expected 0 argument(s), got 1')

    // After all that, the participant and its entities still work.
    assert.match(p.guidPrefix(), /^[0-9a-f]{24}$/)
    assert.match(p.writerGuid(writer), /^[0-9a-f]{32}$/)
    assert.equal(p.write(writer, 'still alive'), 1)
    assert.equal(p.matched(reader) >= 0, true)

    // A deleted entity is closed (ECLOSED), not unknown.
    p.deleteEntity(reader)
    for (const run of [() => p.deleteEntity(reader), () => p.matched(reader)]) {
      assert.throws(run, {name: 'Error', code: 'ECLOSED', message: 'the DDS entity is closed'})
    }
    p.deleteEntity(writer)
    assert.throws(() => p.write(writer, 'x'), {code: 'ECLOSED', message: 'the DDS writer is closed'})
    assert.equal(await p.waitForAcknowledgments(p.createEndpoint('writer', writerQos()), 0), true, 'no reader: nothing to acknowledge')
  })

  it('refuses every call on a closed participant with ECLOSED, and closes twice', () => {
    const p = participant()
    const writer = p.createEndpoint('writer', writerQos())
    p.close()
    p.close()
    for (const run of [
      () => p.createEndpoint('writer', writerQos()),
      () => p.write(writer, 'x'),
      () => p.writerGuid(writer),
      () => p.matched(writer),
      () => p.waitForAcknowledgments(writer, 1),
      () => p.deleteEntity(writer),
      () => p.guidPrefix(),
    ]) {
      assert.throws(run, {code: 'ECLOSED', message: 'the DDS participant is closed'})
    }
  })
})

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
