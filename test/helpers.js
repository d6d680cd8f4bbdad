// Shared test helpers: free ports, random DDS domains, processes that are always killed.
import net from 'node:net'
import {spawn} from 'node:child_process'
import {once} from 'node:events'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const cli = path.join(root, 'bin', 'run.js')
/** The ISO time and space before every line `chatdds serve` logs, as RegExp source. */
export const LOG_TIME = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z `

/** A DDS domain of our own so that concurrent runs never meet (the port formula allows up to 232). */
export function randomDomain() {
  return 100 + Math.floor(Math.random() * 120)
}

/**
 * A TCP port that was free a moment ago on 127.0.0.1.
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = /** @type {net.AddressInfo} */ (server.address())
      server.close(() => resolve(port))
    })
  })
}

/**
 * Starts `server` (net, http or ws's) listening on 127.0.0.1:`port`, 0 for any free one; resolves with the port.
 * @param {{listen: (port: number, host: string) => unknown, address: () => net.AddressInfo | string | null} & import('node:events').EventEmitter} server
 * @returns {Promise<number>}
 */
export async function listen(server, port = 0) {
  server.listen(port, '127.0.0.1')
  await once(server, 'listening')
  return /** @type {net.AddressInfo} */ (server.address()).port
}

/** Several distinct free ports. */
export async function freePorts(n) {
  const ports = new Set()
  while (ports.size < n) ports.add(await freePort())
  return [...ports]
}

const started = new Set()

/**
 * A process started by `start`: the ChildProcess with `output()` (stdout+stderr so far) and `exited`.
 * @typedef {import('node:child_process').ChildProcessWithoutNullStreams & {
 *   output: () => string,
 *   exited: Promise<{code: number | null, signal: NodeJS.Signals | null}>,
 * }} Started
 */

/**
 * Starts a process and remembers it; `killAll()` (call it in an after hook) ends every one still running.
 * @param {string} command
 * @param {readonly string[]} args
 * @param {import('node:child_process').SpawnOptions} [options]
 * @returns {Started}
 */
export function start(command, args, options = {}) {
  const child = /** @type {Started} */ (spawn(command, args, {stdio: ['pipe', 'pipe', 'pipe'], ...options}))
  started.add(child)
  let out = ''
  child.stdout?.on('data', (d) => (out += d))
  child.stderr?.on('data', (d) => (out += d))
  child.output = () => out
  child.exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      started.delete(child)
      resolve({code, signal})
    }),
  )
  return child
}

/**
 * Starts `chatdds <args>` as a real process.
 * @param {readonly string[]} args
 * @param {import('node:child_process').SpawnOptions} [options]
 */
export function startCli(args, options = {}) {
  return start(process.execPath, [cli, ...args], options)
}

/**
 * Resolves once `predicate(output)` is true, rejects with the output after `timeoutMs`.
 * @param {Started} child
 * @param {(output: string) => boolean} predicate
 * @returns {Promise<string>}
 */
export function waitForOutput(child, predicate, timeoutMs = 15000) {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (predicate(child.output())) {
        clearInterval(timer)
        clearTimeout(timeout)
        resolve(child.output())
      }
    }
    const timer = setInterval(check, 25)
    const timeout = setTimeout(() => {
      clearInterval(timer)
      reject(new Error(`timed out after ${timeoutMs} ms waiting for output; got:\n${child.output()}`))
    }, timeoutMs)
    check()
  })
}

/**
 * Runs `chatdds <args>` to completion: {code, stdout, stderr}.
 * @param {readonly string[]} args
 * @param {{input?: string, timeoutMs?: number, env?: NodeJS.ProcessEnv, cwd?: string}} [options]
 * @returns {Promise<{code: number | null, stdout: string, stderr: string}>}
 */
export function runCli(args, {input, timeoutMs = 30000, env, cwd} = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {stdio: ['pipe', 'pipe', 'pipe'], env: {...process.env, ...env}, cwd})
    started.add(child)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`chatdds ${args.join(' ')} did not exit within ${timeoutMs} ms:\n${stdout}${stderr}`))
    }, timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      started.delete(child)
      resolve({code, stdout, stderr})
    })
    if (input !== undefined) child.stdin.end(input)
    else child.stdin.end()
  })
}

/** Kills every process started through these helpers that is still running, and waits for them. */
export async function killAll(signal = 'SIGKILL') {
  const waits = []
  for (const child of started) {
    waits.push(child.exited ?? new Promise((r) => child.on('exit', r)))
    try {
      child.kill(signal)
    } catch {
      // Already gone: its exit is what we wait for anyway.
    }
  }
  await Promise.all(waits)
}

/** Polls `fn` until it returns a truthy value. */
export async function eventually(fn, timeoutMs = 15000, intervalMs = 50) {
  const deadline = Date.now() + timeoutMs
  let last
  for (;;) {
    try {
      last = await fn()
      if (last) return last
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms (last: ${last})`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}
