import assert from 'node:assert/strict'
import {appendFileSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {LogFollower, lastLogLines} from '../../../dist/lib/cluster/logs.js'

describe('cluster log follower', () => {
  let dir
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'chatdds-logs-'))))
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  it('emits only lines appended after it started, whole lines only, and flushes the last partial line on stop', () => {
    const file = path.join(dir, 'chat-1.log')
    writeFileSync(file, 'before\n')
    const follower = new LogFollower([{file}])
    const lines = []
    follower.on('line', (index, line) => lines.push([index, line]))
    appendFileSync(file, 'first\nsec')
    follower.poll()
    assert.deepEqual(lines, [[0, 'first']])
    appendFileSync(file, 'ond\nélan\n')
    follower.poll()
    appendFileSync(file, 'tail')
    follower.stop()
    assert.deepEqual(lines, [
      [0, 'first'],
      [0, 'second'],
      [0, 'élan'],
      [0, 'tail'],
    ])
    assert.deepEqual(lastLogLines(file, 2), ['élan', 'tail'])
  })
})
