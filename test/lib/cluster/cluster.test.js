import assert from 'node:assert/strict'

import {startFailure, validateClusterOptions} from '../../../dist/lib/cluster/cluster.js'

describe('cluster options', () => {
  const usage = (options) => {
    try {
      validateClusterOptions({instances: 3, basePort: 7000, domain: 10, ...options})
    } catch (error) {
      return error
    }
    return undefined
  }

  it('accepts 1 to 32 instances', () => {
    assert.equal(usage({instances: 1}), undefined)
    assert.equal(usage({instances: 32}), undefined)
  })

  for (const instances of [0, 33, -1]) {
    it(`rejects -n ${instances} as a usage error (exit 2)`, () => {
      const error = usage({instances})
      assert.equal(error?.exit, 2)
      assert.match(error.message, /-n must be from 1 to 32/)
    })
  }

  it('rejects a base port that leaves no room for N ports, and a domain beyond the port formula', () => {
    assert.equal(usage({basePort: 65534, instances: 3})?.exit, 2)
    assert.equal(usage({basePort: 65533, instances: 3}), undefined)
    assert.equal(usage({domain: 233})?.exit, 2)
    assert.equal(usage({domain: 232}), undefined)
  })
})

describe('cluster start failures', () => {
  const instance = {name: 'chat-2', port: 7001, url: 'http://127.0.0.1:7001/', pid: 1, log: '/run/chat-2.log'}

  it('names the port and --base-port when serve reports it in use', () => {
    const lines = [
      'Joined DDS domain 10 as chat-2 (interface 127.0.0.1)',
      'Error: Port 7001 is already in use; stop what is listening there or pick another with --port.',
      'Code: EADDRINUSE',
    ]
    const error = startFailure(instance, {code: 1, signal: null}, lines)
    assert.equal(error.code, 'EADDRINUSE')
    assert.equal(error.exit, 1)
    assert.equal(error.message, 'Port 7001 is already in use, so chat-2 could not start; pick another range with --base-port.')
    assert.deepEqual(error.lastLines, lines)
  })

  it('names the instance, how it ended and its log otherwise', () => {
    const error = startFailure(instance, {code: 3, signal: null}, ['boom'])
    assert.equal(error.code, 'ESTART')
    assert.equal(error.message, 'chat-2 exited with code 3 before the cluster was ready; its whole log is /run/chat-2.log.')
    assert.equal(
      startFailure(instance, {code: null, signal: 'SIGKILL'}, []).message,
      'chat-2 was killed by SIGKILL before the cluster was ready; its whole log is /run/chat-2.log.',
    )
  })
})
