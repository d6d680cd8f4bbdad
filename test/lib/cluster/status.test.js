// `cluster status` shows the users of each instance, read from its GET /presence.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {clusterStatus, usersOf} from '../../../dist/lib/cluster/inspect.js'
import {writeManifest} from '../../../dist/lib/cluster/manifest.js'
import {statusReport} from '../../../dist/lib/cluster/render.js'
import {eventually, freePort, killAll, randomDomain, startCli} from '../../helpers.js'
import {getJson, openV1} from '../../commands/serveSupport.js'

describe('cluster status: users per instance', function () {
  this.timeout(60_000)
  let dir
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'chatdds-status-'))))
  afterEach(async () => {
    await killAll()
    rmSync(dir, {recursive: true, force: true})
  })

  it("counts the distinct names of one instance's members in a presence view", () => {
    const view = {
      instance: 'chat-1',
      rooms: {
        a: [
          {name: 'alice', instance: 'chat-1'},
          {name: 'bob', instance: 'chat-2'},
        ],
        b: [
          {name: 'alice', instance: 'chat-1'},
          {name: 'carol', instance: 'chat-1'},
        ],
      },
    }
    assert.deepEqual(usersOf(view, 'chat-1'), ['alice', 'carol'])
    assert.deepEqual(usersOf(view, 'chat-2'), ['bob'])
    assert.deepEqual(usersOf(view, 'chat-3'), [])
    assert.equal(usersOf({}, 'chat-1'), undefined)
  })

  it('reads GET /presence of each live instance: users in --json and a USERS column', async () => {
    const config = path.join(dir, 'rtps.ini')
    writeFileSync(config, '[common]\n')
    const port = await freePort()
    const serve = startCli(['serve', '--port', String(port), '--domain', String(randomDomain()), '--name', 'chat-1', '--dds-config', config])
    await eventually(async () => (await getJson(port, '/readyz').catch(() => ({}))).ready, 30_000)
    const url = `http://127.0.0.1:${port}/`
    writeManifest({
      version: 1,
      runDir: dir,
      domain: 0,
      config,
      startedAt: new Date(0).toISOString(),
      clusterPid: 0,
      mode: 'detached',
      state: 'running',
      instances: [
        {name: 'chat-1', port, url, pid: serve.pid, log: path.join(dir, 'chat-1.log')},
        {name: 'chat-2', port: 1, url: 'http://127.0.0.1:1/', pid: 0, log: path.join(dir, 'chat-2.log')},
      ],
    })
    const clients = await Promise.all(['bob', 'alice', 'alice'].map((name) => openV1(port, name)))
    for (const [i, ws] of clients.entries()) await ws.request({type: 'join', room: i === 0 ? 'ops' : 'general'})

    const status = await clusterStatus(dir)
    assert.deepEqual(
      status.instances.map(({name, alive, users}) => ({name, alive, users})),
      [
        {name: 'chat-1', alive: true, users: ['alice', 'bob']},
        {name: 'chat-2', alive: false, users: undefined},
      ],
    )
    const report = statusReport(status)
    assert.match(report, /^NAME +URL +PID +STATE +CLIENTS +USERS +IN +OUT +DDS PEERS/m)
    assert.match(report, /^chat-1 .* ready +3 +2 \(alice,bob\) /m)
    assert.match(report, /^chat-2 .* dead +- +- /m)
    for (const ws of clients) ws.terminate()
  })
})
