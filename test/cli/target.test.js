// Which servers a client command talks to: --port, else the cluster of the nearest run directory, narrowed by --instance.
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {findRunDir, resolveTarget} from '../../dist/cli/target.js'

/** A project directory whose .chatdds/cluster holds a manifest of three instances on 7100-7102. */
function project(state = 'running') {
  const dir = mkdtempSync(path.join(tmpdir(), 'chatdds-target-'))
  const runDir = path.join(dir, '.chatdds', 'cluster')
  mkdirSync(runDir, {recursive: true})
  const instances = [0, 1, 2].map((i) => ({name: `chat-${i + 1}`, port: 7100 + i, url: `http://127.0.0.1:${7100 + i}/`, pid: 1, log: '/dev/null'}))
  const manifest = {version: 1, runDir, domain: 10, config: '', startedAt: '', clusterPid: 1, mode: 'detached', state, instances}
  writeFileSync(path.join(runDir, 'cluster.json'), JSON.stringify(manifest))
  return {dir, runDir}
}

/** @param {() => unknown} fn @param {number} exit @param {string} message */
function assertUsage(fn, exit, message) {
  assert.throws(fn, (/** @type {Error & {oclif?: {exit?: number}}} */ error) => {
    assert.equal(error.oclif?.exit, exit)
    assert.equal(error.message, message)
    return true
  })
}

describe('client target (--port, --dir, --instance)', () => {
  /** @type {string[]} */
  const made = []
  after(() => made.forEach((dir) => rmSync(dir, {recursive: true, force: true})))

  it('--port wins and is used exactly', () => {
    assert.deepEqual(resolveTarget({port: [7000, 7001], host: '127.0.0.1'}), {host: '127.0.0.1', ports: [7000, 7001]})
  })

  it('finds the run directory by walking up from a subdirectory, and lists chat-1 first', () => {
    const {dir, runDir} = project()
    made.push(dir)
    const deep = path.join(dir, 'src', 'deep')
    mkdirSync(deep, {recursive: true})
    assert.equal(findRunDir(deep), runDir)
    const target = resolveTarget({host: '127.0.0.1', dir: runDir})
    assert.deepEqual(target.ports, [7100, 7101, 7102])
    assert.equal(target.runDir, runDir)
  })

  it('--instance puts that instance first, the others after it for fail-over', () => {
    const {dir, runDir} = project()
    made.push(dir)
    assert.deepEqual(resolveTarget({host: '127.0.0.1', dir: runDir, instance: 'chat-2'}).ports, [7101, 7100, 7102])
  })

  it('an unknown --instance is exit 2 naming the instances', () => {
    const {dir, runDir} = project()
    made.push(dir)
    assertUsage(
      () => resolveTarget({host: '127.0.0.1', dir: runDir, instance: 'chat-9'}),
      2,
      `The cluster in ${runDir} has no instance chat-9; its instances are chat-1, chat-2, chat-3.`,
    )
  })

  it('a stopped cluster is exit 1 saying how to start it', () => {
    const {dir, runDir} = project('stopped')
    made.push(dir)
    assertUsage(
      () => resolveTarget({host: '127.0.0.1', dir: runDir}, 'npx chatdds'),
      1,
      `The cluster in ${runDir} is stopped; start it with \`npx chatdds cluster up\`, or pass --port.`,
    )
  })

  it('no --port and no cluster anywhere up the tree is exit 2 saying what to pass', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'chatdds-target-'))
    made.push(dir)
    assert.equal(findRunDir(dir), undefined)
    const cwd = process.cwd()
    process.chdir(dir)
    try {
      assertUsage(
        () => resolveTarget({host: '127.0.0.1'}, 'npx chatdds'),
        2,
        'No --port given and no cluster found in ./.chatdds/cluster or any parent directory; pass --port, --dir, or start one with `npx chatdds cluster up`.',
      )
    } finally {
      process.chdir(cwd)
    }
  })
})
