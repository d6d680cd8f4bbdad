// `npm ci` runs scripts/check-fastdds.cjs first (preinstall): without Fast DDS it must fail in one line naming the apt packages.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {root} from '../helpers.js'

const script = path.join(root, 'scripts', 'check-fastdds.cjs')

describe('scripts/check-fastdds.cjs (npm preinstall)', () => {
  it('fails with one line naming the apt packages when the Fast DDS headers are missing', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'chatdds-include-'))
    try {
      const result = spawnSync(process.execPath, [script], {env: {...process.env, CHATDDS_INCLUDE_DIR: empty}, encoding: 'utf8'})
      assert.equal(result.status, 1)
      assert.equal(result.stdout, '')
      assert.equal(result.stderr, 'chatdds: Fast DDS headers not found; install them with: sudo apt-get install -y libfastrtps-dev libfastcdr-dev\n')
    } finally {
      fs.rmSync(empty, {recursive: true, force: true})
    }
  })

  it('passes silently when they are installed', () => {
    const result = spawnSync(process.execPath, [script], {encoding: 'utf8'})
    assert.equal(result.status, 0)
    assert.equal(result.stderr, '')
  })
})
