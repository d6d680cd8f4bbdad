/** `cluster status`, `cluster logs`, `cluster down`: everything after `cluster up`, driven by the manifest. */
import {statSync} from 'node:fs'
import {lineTime} from '../chat/log.js'
import {METRIC_NAMES} from '../chat/metricNames.js'
import {ChatddsError} from '../errors.js'
import {fetchMetrics, fetchReadyz, getText} from './http.js'
import {readLogLines, LogFollower} from './logs.js'
import {type InstanceRecord, type Manifest, readManifest, runDirPaths, writeManifest} from './manifest.js'
import {delay, isAlive, isClusterInstance, isClusterProcess, processState, terminate} from './processes.js'

/** What `cluster status` shows of an instance's /metrics (parsed by parsePrometheus: labels summed). */
export function metricsSummary(metrics: Map<string, number> | undefined): Pick<InstanceStatus, 'clients' | 'messagesIn' | 'messagesOut'> {
  return {
    clients: metrics?.get(METRIC_NAMES.clients),
    messagesIn: metrics?.get(METRIC_NAMES.messagesIn),
    messagesOut: metrics?.get(METRIC_NAMES.messagesOut),
  }
}

/** `cluster down`: grace between SIGTERM and SIGKILL. */
export const DOWN_GRACE_MS = 5000

/**
 * What an instance is, as `cluster status` tells it: its /readyz answers 200 (ready) or 503 (not ready),
 * it does not answer HTTP at all (a hung process), it is stopped by SIGSTOP (paused: `cluster pause`), or its pid is no
 * longer this cluster's serve (killed by `cluster kill`, or dead).
 */
export type InstanceState = 'ready' | 'not ready' | 'no answer' | 'paused' | 'killed' | 'dead'

export interface InstanceStatus {
  name: string
  url: string
  port: number
  pid: number
  /** The pid is still this cluster's `chatdds serve`. */
  alive: boolean
  /** /readyz answered 200. */
  ready: boolean
  state: InstanceState
  clients?: number
  messagesIn?: number
  messagesOut?: number
  matchedReaders?: number
  matchedWriters?: number
  /** Names of the DDS participants this instance has discovered. */
  peers: string[]
  /** Names of the chatdds.v1 users in a room on this instance (GET /presence), sorted. */
  users?: string[]
  /** When `cluster kill` ended it (until `cluster restart`). */
  killedAt?: string
  /** When `cluster restart` started its current process. */
  restartedAt?: string
}

export interface ClusterStatus {
  runDir: string
  /** A manifest exists in runDir. */
  found: boolean
  /** At least one instance is alive. */
  running: boolean
  state?: Manifest['state']
  mode?: Manifest['mode']
  domain?: number
  startedAt?: string
  stoppedAt?: string
  /** `cluster up --secure`: the instances joined with DDS Security. */
  secure?: boolean
  /** Its PKI directory. */
  securityDir?: string
  instances: InstanceStatus[]
}

export async function clusterStatus(dir: string): Promise<ClusterStatus> {
  const {runDir} = runDirPaths(dir)
  const manifest = readManifest(dir)
  if (!manifest) return {runDir, found: false, running: false, instances: []}
  const instances = await Promise.all(manifest.instances.map((instance) => instanceStatus(manifest, instance)))
  const {state, mode, domain, startedAt, stoppedAt} = manifest
  const security = manifest.security ? {secure: true, securityDir: manifest.security.dir} : {secure: false}
  return {runDir, found: true, running: instances.some((i) => i.alive), state, mode, domain, startedAt, stoppedAt, ...security, instances}
}

export async function instanceStatus(manifest: Manifest, instance: InstanceRecord): Promise<InstanceStatus> {
  const {name, url, port, pid, killedAt, restartedAt} = instance
  const when = {...(killedAt ? {killedAt} : {}), ...(restartedAt ? {restartedAt} : {})}
  if (!isClusterInstance(manifest, instance)) return {name, url, port, pid, alive: false, ready: false, state: killedAt ? 'killed' : 'dead', peers: [], ...when}
  // A stopped process cannot answer; asking would only wait for the HTTP timeouts.
  if (processState(pid) === 'T') return {name, url, port, pid, alive: true, ready: false, state: 'paused', peers: [], ...when}
  const [readyz, metrics, users] = await Promise.all([fetchReadyz(url), fetchMetrics(url), fetchUsers(url, name)])
  return {
    name,
    url,
    port,
    pid,
    state: readyz === undefined ? 'no answer' : readyz.ready ? 'ready' : 'not ready',
    alive: true,
    ready: Boolean(readyz?.ready),
    ...metricsSummary(metrics),
    matchedReaders: readyz?.matchedReaders,
    matchedWriters: readyz?.matchedWriters,
    peers: readyz?.peers ?? [],
    users,
    ...when,
  }
}

/** The users (names) in a room on instance `name`, from its GET /presence; undefined while it does not answer. */
export async function fetchUsers(baseUrl: string, name: string, timeoutMs?: number): Promise<string[] | undefined> {
  try {
    const {status, body} = await getText(new URL('presence', baseUrl).href, timeoutMs)
    if (status !== 200) return undefined
    return usersOf(JSON.parse(body), name)
  } catch {
    return undefined
  }
}

/** Distinct names of `instance`'s members in a presence view `{"rooms": {"r": [{"name", "instance"}]}}`. */
export function usersOf(view: unknown, instance: string): string[] | undefined {
  const rooms = (view as {rooms?: unknown})?.rooms
  if (typeof rooms !== 'object' || rooms === null) return undefined
  const names = new Set<string>()
  for (const members of Object.values(rooms as Record<string, unknown>)) {
    if (!Array.isArray(members)) continue
    for (const member of members as unknown[]) {
      const {instance: at, name} = (member ?? {}) as {instance?: unknown; name?: unknown}
      if (at === instance && typeof name === 'string') names.add(name)
    }
  }
  return [...names].sort()
}

export interface DownResult {
  runDir: string
  found: boolean
  /** Names of the instances that were running and are now stopped. */
  stopped: string[]
  /** Those of them that needed SIGKILL after the grace period. */
  killed: string[]
  /** Instances whose pid now belongs to another program: left alone. */
  skipped: string[]
}

/** SIGTERMs every process of the cluster (only those proven ours), waits for them, marks the manifest stopped. */
export async function stopCluster(dir: string, graceMs = DOWN_GRACE_MS): Promise<DownResult> {
  const {runDir} = runDirPaths(dir)
  const manifest = readManifest(dir)
  if (!manifest) return {runDir, found: false, stopped: [], killed: [], skipped: []}
  const live = manifest.instances.filter((instance) => isClusterInstance(manifest, instance))
  const skipped = manifest.instances.filter((instance) => !live.includes(instance) && isPidTaken(instance.pid)).map((i) => i.name)
  // A foreground `cluster up` stops its own instances and exits 0 on SIGTERM.
  const pids = [...(isClusterProcess(manifest) ? [manifest.clusterPid] : []), ...live.map((instance) => instance.pid)]
  const killedPids = await terminate(pids, graceMs)
  if (manifest.state !== 'stopped') {
    const current = readManifest(dir) ?? manifest // the foreground `cluster up` may have marked it already
    if (current.state !== 'stopped') writeManifest({...current, state: 'stopped', stoppedAt: new Date().toISOString()})
  }
  return {
    runDir,
    found: true,
    stopped: live.map((instance) => instance.name),
    killed: live.filter((instance) => killedPids.includes(instance.pid)).map((instance) => instance.name),
    skipped,
  }
}

/** A live process (not a zombie: an instance that has just exited and was not reaped yet is gone, not another program). */
function isPidTaken(pid: number): boolean {
  return isAlive(pid)
}

export interface InstanceLog {
  /** Position in the manifest (picks the prefix colour). */
  index: number
  name: string
  file: string
  lines: string[]
}

export interface ClusterLogs {
  runDir: string
  manifest?: Manifest
  logs: InstanceLog[]
}

/**
 * The log lines of every instance, or of `instance` only; `since` (ms since the epoch) keeps those logged at or after it,
 * then `lines` keeps only the last N of each (0: none).
 */
export function clusterLogs(dir: string, options: {instance?: string; lines?: number; since?: number} = {}): ClusterLogs {
  const {runDir} = runDirPaths(dir)
  const manifest = readManifest(dir)
  if (!manifest) return {runDir, logs: []}
  const selected = manifest.instances.map((instance, index) => ({instance, index})).filter(({instance}) => !options.instance || instance.name === options.instance)
  if (selected.length === 0) {
    const names = manifest.instances.map((instance) => instance.name).join(', ')
    throw new ChatddsError('EUSAGE', `No instance ${options.instance} in ${runDir}; pick one of ${names}.`, 2)
  }
  const logs = selected.map(({instance, index}) => {
    let lines = readLogLines(instance.log)
    if (options.since !== undefined) lines = linesSince(lines, options.since, instance.log)
    if (options.lines !== undefined) lines = lines.slice(Math.max(0, lines.length - options.lines))
    return {index, name: instance.name, file: instance.log, lines}
  })
  return {runDir, manifest, logs}
}

/**
 * The lines logged at or after `since`. A line without a time of its own (a stack trace, a message from outside the
 * logger) has the time of the line before it; lines before the first timed one, that of the first; a log with no timed
 * line at all, the log file's modification time.
 */
export function linesSince(lines: string[], since: number, file?: string): string[] {
  const times = lines.map((line) => lineTime(line))
  let current = times.find((time) => time !== undefined) ?? modifiedAt(file)
  return lines.filter((_, index) => {
    current = times[index] ?? current
    return current >= since
  })
}

function modifiedAt(file: string | undefined): number {
  try {
    return file === undefined ? 0 : statSync(file).mtimeMs
  } catch {
    return 0
  }
}

/**
 * Follows the given logs from their current end; `line` fires per new line. Resolves `ended` once
 * no instance of them is alive any more (the cluster was stopped), or when `close()` is called.
 */
export function followClusterLogs(manifest: Manifest, logs: InstanceLog[]): {follower: LogFollower; ended: Promise<void>; close(): void} {
  const follower = new LogFollower(logs.map((log) => ({file: log.file})))
  let closed = false
  const ended = (async () => {
    follower.start()
    const instances = logs.map((log) => manifest.instances[log.index])
    while (!closed && instances.some((instance) => isClusterInstance(manifest, instance))) await delay(500)
    follower.stop()
  })()
  return {
    follower,
    ended,
    close() {
      closed = true
    },
  }
}
