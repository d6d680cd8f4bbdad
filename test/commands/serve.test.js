// `chatdds serve` as a real process: startup, shutdown by signal or by the parent's IPC channel, bad flags.
import assert from 'node:assert/strict'
import {writeFileSync, mkdtempSync, rmSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {eventually, freePort, killAll, listen, randomDomain, root, runCli, waitForOutput} from '../helpers.js'
import {openSocket, startServe, unwrap} from './serveSupport.js'

/** Resolves once the process has exited and its stdout and stderr have ended: its output is then all there is. */
async function allOutput(child) {
  const ended = (stream) => (stream.closed ? undefined : new Promise((resolve) => stream.once('close', resolve)))
  await Promise.all([child.exited, ended(child.stdout), ended(child.stderr)])
  return child.output()
}

/** A raw TCP client that completes the websocket upgrade, then never reads or answers anything (not even a close). */
async function deafSocket(port) {
  const socket = net.connect(port, '127.0.0.1')
  socket.on('error', () => {})
  const key = Buffer.from('chatdds-deaf-key').toString('base64')
  socket.write(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  )
  let head = ''
  await new Promise((resolve, reject) => {
    socket.on('data', function onData(chunk) {
      head += chunk
      if (!head.includes('\r\n\r\n')) return
      socket.off('data', onData)
      socket.pause()
      resolve()
    })
    socket.once('close', () => reject(new Error(`closed before the upgrade: ${head}`)))
  })
  return {socket, head}
}

describe('chatdds serve', () => {
  afterEach(() => killAll())

  it('on SIGTERM closes every client with 1001, leaves DDS and exits 0', async () => {
    const {child, port} = await startServe(['--name', 'chat-sigterm'])
    await waitForOutput(child, (out) => out.includes(`Server is listening on ${port}!`))
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200)
    const plain = await openSocket(port)
    const v1 = await openSocket(port, 'chatdds.v1')
    plain.send('hello')
    await eventually(() => plain.texts.includes('hello'))
    child.kill('SIGTERM')
    assert.deepEqual(await plain.closed, {code: 1001, reason: 'server shutting down'})
    assert.equal((await v1.closed).code, 1001)
    assert.deepEqual(await child.exited, {code: 0, signal: null})
    const out = child.output()
    // Every line after its ISO time; a message read once (room, sender, text).
    assert.match(out, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z Writing message #general \(plain\): hello$/m)
    assert.match(out, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z Received a message #general \(plain\): hello$/m)
    assert.match(out, new RegExp(`^\\S+Z Server is listening on ${port}! http://127\\.0\\.0\\.1:${port}/$`, 'm'))
    assert.match(out, /Shutting down \(SIGTERM\)/)
  })

  it('exits 0 on SIGINT', async () => {
    const {child} = await startServe()
    child.kill('SIGINT')
    assert.deepEqual(await child.exited, {code: 0, signal: null})
  })

  it("shuts down when its parent's IPC channel ends", async () => {
    const {child, port} = await startServe([], {stdio: ['pipe', 'pipe', 'pipe', 'ipc']})
    const ws = await openSocket(port)
    child.disconnect()
    assert.equal((await ws.closed).code, 1001)
    assert.deepEqual(await child.exited, {code: 0, signal: null})
    assert.match(child.output(), /Shutting down \(parent process gone\)/)
  })

  it('shuts down cleanly (1001, exit 0) when its stdout is a closed pipe', async () => {
    const {child, port} = await startServe()
    await waitForOutput(child, (out) => out.includes(`Server is listening on ${port}!`))
    const ws = await openSocket(port)
    child.stdout.destroy()
    // The next log line ("Writing message …") meets the closed pipe.
    ws.send('hello into a closed stdout')
    assert.equal((await ws.closed).code, 1001)
    assert.deepEqual(await child.exited, {code: 0, signal: null})
  })

  it('exits 0 on SIGTERM even when a websocket client never answers the 1001 close', async () => {
    const {child, port} = await startServe()
    await waitForOutput(child, (out) => out.includes(`Server is listening on ${port}!`))
    const {socket, head} = await deafSocket(port)
    try {
      assert.match(head, /^HTTP\/1\.1 101 /)
      const start = Date.now()
      child.kill('SIGTERM')
      const exit = await Promise.race([child.exited, new Promise((resolve) => setTimeout(() => resolve('still running after 10 s'), 10_000))])
      const elapsed = Date.now() - start
      assert.deepEqual(exit, {code: 0, signal: null}, child.output())
      console.log(`      exited ${elapsed} ms after SIGTERM with a client that ignores the close (budget: 1.5 s)`)
      assert.match(child.output(), /Shutting down \(SIGTERM\)/)
    } finally {
      socket.destroy()
    }
  })

  it('refuses a port in use: exit 1 and a sentence that says what to do', async () => {
    const blocker = net.createServer()
    const port = await listen(blocker)
    try {
      const {code, stderr} = await runCli(['serve', '--port', String(port), '--domain', String(randomDomain())])
      assert.equal(code, 1)
      assert.match(unwrap(stderr), new RegExp(`Port ${port} is already in use; stop what is listening there or pick another with --port\\.`))
    } finally {
      blocker.close()
    }
  })

  it('loads --dds-config: takes its domain, prints each ignored key as a warning on stderr', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'chatdds-serve-'))
    const domain = randomDomain()
    const file = path.join(dir, 'rtps.ini')
    writeFileSync(file, `[common]\nDCPSDebugLevel=4\n\n[domain/${domain}]\n`)
    try {
      const {child} = await startServe(['-DCPSConfigFile', file, '--quiet'], {domain: false})
      // It answered /healthz, so it was listening; --quiet kept that line (and every info line) out of its whole output.
      child.kill('SIGTERM')
      const out = await allOutput(child)
      assert.equal((await child.exited).code, 0)
      assert.match(out, new RegExp(`warning: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: key DCPSDebugLevel is not applied`))
      assert.doesNotMatch(out, /Server is listening/)
      assert.doesNotMatch(out, /Shutting down/)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
    const missing = await runCli(['serve', '--port', String(await freePort()), '--dds-config', file + '.missing'])
    assert.equal(missing.code, 1)
    assert.match(unwrap(missing.stderr), /Cannot read the DDS config file/)
  })

  it('joins the domain of --dds-config unless --domain says otherwise', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'chatdds-serve-'))
    const domain = randomDomain()
    const file = path.join(dir, 'rtps.ini')
    writeFileSync(file, `[domain/${domain}]\n`)
    try {
      const fromFile = await startServe(['--dds-config', file], {domain: false})
      assert.match(await waitForOutput(fromFile.child, (out) => out.includes('Joined DDS domain')), new RegExp(`Joined DDS domain ${domain} as`))
      const overridden = await startServe(['--dds-config', file, '--domain', String(domain === 219 ? 218 : domain + 1)], {domain: false})
      assert.match(
        await waitForOutput(overridden.child, (out) => out.includes('Joined DDS domain')),
        new RegExp(`Joined DDS domain ${domain === 219 ? 218 : domain + 1} as`),
      )
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('refuses a broken or missing rtps.ini with exit 1, naming the file and line, and never falls back to defaults', async () => {
    const fixtures = path.join(root, 'test', 'fixtures', 'ini')
    const broken = await runCli(['serve', '--port', String(await freePort()), '-DCPSConfigFile', path.join(fixtures, 'broken-header.ini')])
    assert.equal(broken.code, 1)
    assert.match(unwrap(broken.stderr), /broken-header\.ini:\d+: /)
    assert.doesNotMatch(broken.stdout, /listening/)
    const missing = await runCli(['serve', '--port', String(await freePort()), '--dds-config', path.join(fixtures, 'no-such.ini')])
    assert.equal(missing.code, 1)
    assert.match(unwrap(missing.stderr), /no-such\.ini/)
    const security = await runCli(['serve', '--port', String(await freePort()), '--dds-config', path.join(fixtures, 'security.ini')])
    assert.equal(security.code, 1)
    assert.match(unwrap(security.stderr), /[Ss]ecurity/)
  })

  it("starts with the reference example's rtps.ini and prints no warning", async () => {
    const reference = path.join(root, 'test', 'fixtures', 'ini', 'reference.ini')
    const {child, port} = await startServe(['-DCPSConfigFile', reference])
    await waitForOutput(child, (out) => out.includes(`Server is listening on ${port}!`))
    // Warnings go to stderr before the server listens; the whole output, once it ended, holds every one.
    child.kill('SIGTERM')
    const out = await allOutput(child)
    assert.match(out, /Joined DDS domain \d+ as/)
    assert.doesNotMatch(out, /warning/)
  })

  it('refuses bad usage with exit 2', async () => {
    for (const args of [
      ['--peer', 'not-an-address'],
      ['--quiet', '--log-level', 'debug'],
      ['--log-level', 'loud'],
      ['--history', '-1'],
    ]) {
      const {code, stderr} = await runCli(['serve', '--port', String(await freePort()), '--domain', String(randomDomain()), ...args])
      assert.equal(code, 2, `${args.join(' ')}: ${stderr}`)
    }
    for (const args of [
      ['--port', '70000'],
      ['--domain', '999'],
    ]) {
      const {code, stderr} = await runCli(['serve', ...args])
      assert.equal(code, 2, `${args.join(' ')}: ${stderr}`)
    }
  })

  it('shows examples in --help', async () => {
    const {code, stdout} = await runCli(['serve', '--help'])
    assert.equal(code, 0)
    assert.match(stdout, /EXAMPLES/)
    assert.match(stdout, /chatdds serve --port 7000/)
  })
})
