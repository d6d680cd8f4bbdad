/** Process checks by pid: only ever signal a process we can show is one we started. */
import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import type {InstanceRecord, Manifest} from './manifest.js'

const hasProc = existsSync('/proc/self/stat')

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  return procStat(pid)?.state !== 'Z'
}

function procStat(pid: number): {state: string; startTime: number} | undefined {
  if (!hasProc) return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the parenthesised command name (which may itself contain spaces or parentheses).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return {state: fields[0], startTime: Number(fields[19])}
  } catch {
    return undefined
  }
}

/** The state letter of `pid` in /proc/PID/stat (R, S, T when stopped by SIGSTOP, Z…), undefined when unknown. */
export function processState(pid: number): string | undefined {
  return procStat(pid)?.state
}

/** Start time of `pid` in clock ticks after boot (Linux), undefined elsewhere. */
export function processStartTime(pid: number): number | undefined {
  return procStat(pid)?.startTime
}

/** The argv of `pid`, or undefined when it is gone or unreadable. */
export function commandLine(pid: number): string[] | undefined {
  if (hasProc) {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
    } catch {
      return undefined
    }
  }
  try {
    // No /proc (macOS): ps joins argv with spaces, good enough for the checks below.
    return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], {encoding: 'utf8'})
      .trim()
      .split(/\s+/)
  } catch {
    return undefined
  }
}

/** True when `pid` is alive and is `chatdds serve` loading this cluster's rtps.ini. */
export function isClusterInstance(manifest: Manifest, instance: InstanceRecord): boolean {
  if (!isAlive(instance.pid)) return false
  const argv = commandLine(instance.pid)
  return Boolean(argv?.includes('serve') && argv.includes(manifest.config))
}

/** True when the manifest's `cluster up` process is still running (same pid and start time). */
export function isClusterProcess(manifest: Manifest): boolean {
  if (manifest.clusterPid === process.pid || !isAlive(manifest.clusterPid)) return false
  const argv = commandLine(manifest.clusterPid)
  if (!argv?.includes('cluster') || !argv.includes('up')) return false
  const startTime = processStartTime(manifest.clusterPid)
  return manifest.clusterStartTime === undefined || startTime === undefined || startTime === manifest.clusterStartTime
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Polls until every pid is gone; resolves with those still alive after `timeoutMs`. */
export async function waitForExit(pids: number[], timeoutMs: number, intervalMs = 50): Promise<number[]> {
  const deadline = Date.now() + timeoutMs
  let alive = pids.filter((pid) => isAlive(pid))
  while (alive.length > 0 && Date.now() < deadline) {
    await delay(intervalMs)
    alive = alive.filter((pid) => isAlive(pid))
  }
  return alive
}

export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch {
    // Already gone: nothing to do.
  }
}

/**
 * SIGTERM to every pid, SIGKILL to those still alive after `graceMs`.
 * Resolves with the pids that had to be killed.
 */
export async function terminate(pids: number[], graceMs: number): Promise<number[]> {
  for (const pid of pids) signal(pid, 'SIGTERM')
  const stragglers = await waitForExit(pids, graceMs)
  for (const pid of stragglers) signal(pid, 'SIGKILL')
  await waitForExit(stragglers, 2000)
  return stragglers
}
