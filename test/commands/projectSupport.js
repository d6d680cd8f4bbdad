// Shared by the client-command tests (send/tail/chat without --port): a project directory with a running
// `cluster up --detach` cluster in its .chatdds/cluster, commands run from inside it, and tmux panes for `chat`.
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {isClusterInstance} from '../../dist/lib/cluster/processes.js'
import {cli, eventually, randomDomain, start} from '../helpers.js'
import {freeRange} from '../clusterSupport.js'

/**
 * The environment of a chatdds run as installed (not through npx, whatever ran the tests), plus `extra`.
 * @param {NodeJS.ProcessEnv} [extra]
 */
export function plainEnv(extra = {}) {
  const env = {...process.env, ...extra}
  if (!('npm_command' in extra)) delete env.npm_command
  return env
}

/**
 * Runs `chatdds <args>` in `cwd` to completion: {code, stdout, stderr}.
 * @param {string} cwd
 * @param {string[]} args
 * @param {{timeoutMs?: number, env?: NodeJS.ProcessEnv, input?: string}} [options]
 * @returns {Promise<{code: number | null, stdout: string, stderr: string}>}
 */
export async function runIn(cwd, args, {timeoutMs = 60_000, env = {}, input} = {}) {
  const child = start(process.execPath, [cli, ...args], {cwd, env: plainEnv(env)})
  child.stdin.end(input)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const {code} = await child.exited
  clearTimeout(timer)
  return {code, stdout, stderr}
}

/**
 * Starts `chatdds <args>` in `cwd`, keeping stdout and stderr apart (stdoutText, stderrText).
 * @param {string} cwd
 * @param {string[]} args
 */
export function startIn(cwd, args) {
  const child = /** @type {import('../helpers.js').Started & {stdoutText: string, stderrText: string}} */ (
    start(process.execPath, [cli, ...args], {cwd, env: plainEnv()})
  )
  child.stdoutText = ''
  child.stderrText = ''
  child.stdout.on('data', (d) => (child.stdoutText += d))
  child.stderr.on('data', (d) => (child.stderrText += d))
  return child
}

/**
 * A temporary project directory (with a subdirectory `src/deep`) and a detached `cluster up -n <n>` in its
 * .chatdds/cluster, on a DDS domain and ports of its own. `stop()` kills the instances (by the pids of the
 * manifest, only those that still are this cluster's) and removes the directory.
 */
export async function startProject(n = 2) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chatdds-project-'))
  const deep = path.join(dir, 'src', 'deep')
  mkdirSync(deep, {recursive: true})
  const runDir = path.join(dir, '.chatdds', 'cluster')
  const manifestPath = path.join(runDir, 'cluster.json')
  const stop = () => {
    if (existsSync(manifestPath)) {
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
      for (const instance of manifest.instances) if (isClusterInstance(manifest, instance)) process.kill(instance.pid, 'SIGKILL')
    }
    rmSync(dir, {recursive: true, force: true})
  }

  const base = await freeRange(n)
  const up = await runIn(dir, ['cluster', 'up', '-n', String(n), '--detach', '--json', '--domain', String(randomDomain()), '--base-port', String(base)], {
    timeoutMs: 90_000,
  })
  if (up.code !== 0) {
    stop()
    throw new Error(`cluster up failed (${up.code}):\n${up.stdout}${up.stderr}`)
  }

  const manifest = JSON.parse(up.stdout)
  return {dir, deep, runDir, manifest, instances: manifest.instances, stop}
}

/** The sum of a Prometheus metric of the instance at `url`. */
export async function metric(url, name) {
  const text = await (await fetch(new URL('metrics', url), {headers: {connection: 'close'}})).text()
  return text
    .split('\n')
    .filter((line) => line.startsWith(name + '{') || line.startsWith(name + ' '))
    .reduce((sum, line) => sum + Number(line.split(/\s+/).at(-1)), 0)
}

/** The non-empty lines of an NDJSON output, parsed. */
export const records = (text) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))

/**
 * A tmux server of our own (private socket) running one command in a 200x50 pane that stays after the command
 * exits, so that its exit status can be read. `kill()` ends that tmux server (and what runs in it).
 * @param {string} cwd
 * @param {string[]} args chatdds arguments
 */
export function startPane(cwd, args) {
  const socket = `chatdds-test-${process.pid}-${Math.random().toString(36).slice(2)}`
  const tmux = (...tmuxArgs) => execFileSync('tmux', ['-L', socket, ...tmuxArgs], {encoding: 'utf8'})
  // The exit status is written by a shell that waits for chatdds: tmux's #{pane_dead_status} stays empty until tmux
  // has reaped the process, which it does not always do promptly.
  const statusFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'chatdds-pane-')), 'status')
  const quote = (word) => `'${word.replaceAll("'", `'\\''`)}'`
  // `trap :` keeps the shell waiting through a Ctrl-C (which reaches chatdds, whose handlers exec resets to default).
  const command = ['sh', '-c', `trap : INT; "$@"; echo $? > ${quote(statusFile)}`, 'sh', 'env', 'NO_COLOR=1', process.execPath, cli, ...args].map(quote).join(' ')
  // No user configuration; the pane stays after the command exits, to read what it showed last.
  tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'test', '-x', '200', '-y', '50', '-c', cwd, ';', 'set-option', '-g', 'remain-on-exit', 'on')
  tmux('respawn-pane', '-k', '-t', 'test', '-c', cwd, command)
  const pane = {
    socket,
    /** What the pane shows now, one string, without trailing blanks (of lines, and blank lines at the end). */
    screen: () =>
      tmux('capture-pane', '-p', '-J', '-t', 'test')
        .split('\n')
        .map((line) => line.trimEnd())
        .join('\n')
        .replace(/\n+$/, ''),
    /** Types `keys` (literally) and, unless `enter` is false, Enter. */
    type(keys, enter = true) {
      tmux('send-keys', '-t', 'test', '-l', keys)
      if (enter) tmux('send-keys', '-t', 'test', 'Enter')
    },
    /** Presses a key by its tmux name, e.g. C-d. */
    press: (key) => tmux('send-keys', '-t', 'test', key),
    /** Resolves with the pane's screen once `predicate(screen)` holds. */
    waitFor: (predicate, timeoutMs = 20_000) => eventually(() => predicate(pane.screen()) && pane.screen(), timeoutMs),
    /** Resolves with the command's exit status once it exited. */
    exited: () =>
      eventually(() => {
        const status = existsSync(statusFile) ? readFileSync(statusFile, 'utf8').trim() : ''
        return status !== '' && {status: Number(status)}
      }, 20_000),
    title: () => tmux('display', '-p', '-t', 'test', '#{pane_title}').trim(),
    kill() {
      try {
        tmux('kill-server')
      } catch {
        // Already gone.
      }
      rmSync(path.join(os.tmpdir(), `tmux-${process.getuid?.() ?? 0}`, socket), {force: true})
      rmSync(path.dirname(statusFile), {recursive: true, force: true})
    },
  }
  return pane
}

/** How many times `needle` occurs in `text`. */
export const occurrences = (text, needle) => text.split(needle).length - 1

export {freeRange}
