// How `cluster up` starts an instance: the node flags it adds, and the operator's NODE_OPTIONS winning over them.
import assert from 'node:assert/strict'
import {instanceNodeFlags} from '../../../dist/lib/cluster/spawn.js'

describe('cluster instances: node flags', () => {
  it('caps V8 young generation at 4 MiB per semi-space (idle connections cost the same from the first one)', () => {
    assert.deepEqual(instanceNodeFlags({}), ['--max-semi-space-size=4'])
    assert.deepEqual(instanceNodeFlags({NODE_OPTIONS: '--enable-source-maps'}), ['--max-semi-space-size=4'])
  })

  it('adds nothing when NODE_OPTIONS sets the semi-space size itself', () => {
    assert.deepEqual(instanceNodeFlags({NODE_OPTIONS: '--max-semi-space-size=16 --trace-gc'}), [])
  })
})
