import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {clusterLogs, clusterStatus, stopCluster} from '../../../dist/lib/cluster/inspect.js'
import {readManifest, runDirPaths, writeManifest} from '../../../dist/lib/cluster/manifest.js'
import {isAlive, isClusterInstance} from '../../../dist/lib/cluster/processes.js'
import {ChatddsError} from '../../../dist/lib/errors.js'

describe('cluster manifest', () => {
  let dir
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'chatdds-manifest-'))))
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  /** @returns {import('../../../dist/lib/cluster/manifest.js').Manifest} */
  const sample = (runDir) => ({
    version: 1,
    runDir,
    domain: 123,
    config: path.join(runDir, 'rtps.ini'),
    startedAt: new Date(0).toISOString(),
    clusterPid: process.pid,
    mode: 'detached',
    state: 'running',
    instances: [1, 2].map((i) => ({
      name: `chat-${i}`,
      port: 7000 + i - 1,
      url: `http://127.0.0.1:${7000 + i - 1}/`,
      // pid 0 is never a process of ours
      pid: 0,
      log: path.join(runDir, `chat-${i}.log`),
    })),
  })

  it('round-trips through cluster.json in the run directory', () => {
    const manifest = sample(dir)
    writeManifest(manifest)
    assert.equal(runDirPaths(dir).manifest, path.join(dir, 'cluster.json'))
    assert.deepEqual(readManifest(dir), manifest)
  })

  it('is undefined where no cluster was started, and an error naming the file when it is not a manifest', () => {
    assert.equal(readManifest(dir), undefined)
    writeFileSync(path.join(dir, 'cluster.json'), '{"hello": 1}')
    assert.throws(
      () => readManifest(dir),
      (error) => error instanceof ChatddsError && error.code === 'EMANIFEST' && error.message.includes(path.join(dir, 'cluster.json')),
    )
  })

  it('never takes a process for an instance unless its command line names the cluster rtps.ini', () => {
    const manifest = sample(dir)
    assert.equal(isAlive(process.pid), true)
    assert.equal(isClusterInstance(manifest, {...manifest.instances[0], pid: process.pid}), false)
    assert.equal(isClusterInstance(manifest, manifest.instances[0]), false)
  })

  it('status, down and logs say "not found" for a directory without a cluster', async () => {
    assert.deepEqual(await clusterStatus(dir), {runDir: dir, found: false, running: false, instances: []})
    assert.deepEqual(await stopCluster(dir), {runDir: dir, found: false, stopped: [], killed: [], skipped: []})
    assert.deepEqual(clusterLogs(dir), {runDir: dir, logs: []})
  })

  it('down of a cluster whose processes are gone stops nothing and marks it stopped', async () => {
    writeManifest(sample(dir))
    const result = await stopCluster(dir)
    assert.deepEqual(result.stopped, [])
    assert.equal(readManifest(dir).state, 'stopped')
    assert.equal(
      (await clusterStatus(dir)).instances.every((i) => !i.alive),
      true,
    )
  })

  it('logs: one instance by name, the last N lines, and a usage error naming the instances for an unknown one', () => {
    const manifest = sample(dir)
    writeManifest(manifest)
    writeFileSync(manifest.instances[1].log, 'one\ntwo\nthree\n')
    const logs = clusterLogs(dir, {instance: 'chat-2', lines: 2})
    assert.deepEqual(
      logs.logs.map(({index, name, lines}) => ({index, name, lines})),
      [{index: 1, name: 'chat-2', lines: ['two', 'three']}],
    )
    assert.throws(
      () => clusterLogs(dir, {instance: 'chat-9'}),
      (error) => error instanceof ChatddsError && error.exit === 2 && error.message.includes('chat-1, chat-2'),
    )
  })
})
