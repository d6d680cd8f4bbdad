/**
 * Fault drills on a running cluster: `cluster kill / pause / resume / restart NAME` and `cluster scale -n N`.
 * Every signal goes only to a pid proven to be this cluster's `chatdds serve` (isClusterInstance).
 */
import {writeFileSync} from 'node:fs'
import {ChatddsError} from '../errors.js'
import {issueIdentity} from '../security/pki.js'
import {assertPortFree, MAX_INSTANCES, STOP_GRACE_MS} from './cluster.js'
import {fetchReadyz} from './http.js'
import {instanceStatus, type InstanceStatus} from './inspect.js'
import {lastLogLines} from './logs.js'
import {DEFAULT_RUN_DIR, instanceName, instanceUrl, type InstanceRecord, type Manifest, readManifest, runDirPaths, writeManifest} from './manifest.js'
import {isClusterInstance, processState, signal, waitForExit} from './processes.js'
import {type ReadinessTarget, waitReady} from './readiness.js'
import {maxDomain, renderRtpsIni, spdpParticipantCount} from './rtpsConfig.js'
import {instanceSpec, type RunningInstance, spawnInstance} from './spawn.js'

export interface DrillOptions {
  /** How the user runs chatdds ("chatdds", "npx chatdds"), for the commands the errors suggest. */
  bin?: string
}

export interface WaitOptions extends DrillOptions {
  /** Give up when the instances are not ready after this long. */
  timeoutMs?: number
  /** Aborts the wait (Ctrl-C); what was started stays recorded in the manifest. */
  signal?: AbortSignal
}

export interface DrillResult {
  runDir: string
  action: 'kill' | 'pause' | 'resume' | 'restart'
  /** False when there was nothing to do (pause of a paused instance, resume of a running one). */
  changed: boolean
  /** The instance after the action, as `cluster status --json` shows it. */
  instance: InstanceStatus
  /** `restart`: milliseconds until it was ready and connected to every other instance. */
  readyMs?: number
  /** `kill`: how many instances of the cluster still run. */
  running?: number
}

export interface ScaleResult {
  runDir: string
  from: number
  to: number
  added: string[]
  removed: string[]
  /** Every instance after scaling, as `cluster status --json` shows them. */
  instances: InstanceStatus[]
  readyMs?: number
}

const DEFAULT_TIMEOUT_MS = 60_000

/** The manifest of a cluster that is running; exit 1 with a sentence for none, a stopped or a starting one. */
export function runningManifest(dir: string, bin = 'chatdds'): Manifest {
  const manifest = readManifest(dir)
  const {runDir} = runDirPaths(dir)
  const up = `${bin} cluster up${dir === DEFAULT_RUN_DIR ? '' : ` --dir ${dir}`}`
  if (!manifest) throw new ChatddsError('ENOCLUSTER', `No cluster in ${runDir}; start one with \`${up}\`, or give its --dir.`)
  if (manifest.state === 'stopped') throw new ChatddsError('ESTOPPED', `The cluster in ${runDir} is stopped (since ${manifest.stoppedAt}); start it with \`${up}\`.`)
  if (manifest.state === 'starting')
    throw new ChatddsError('ESTARTING', `The cluster in ${runDir} is still starting; wait until \`${bin} cluster up\` says ready, then try again.`)
  return manifest
}

/** The record of instance `name`; exit 2 naming the valid names otherwise (`action` words the error for no name). */
export function findInstance(manifest: Manifest, name: string | undefined, action = 'act on'): InstanceRecord {
  const names = manifest.instances.map((candidate) => candidate.name).join(', ')
  if (name === undefined) throw new ChatddsError('EUSAGE', `Name the instance to ${action}: one of ${names} (the cluster in ${manifest.runDir}).`, 2)
  const instance = manifest.instances.find((candidate) => candidate.name === name)
  if (!instance) throw new ChatddsError('EUSAGE', `The cluster in ${manifest.runDir} has no instance ${name}; its instances are ${names}.`, 2)
  return instance
}

/** Re-reads the manifest and changes one instance's record in it (another command may have written it meanwhile). */
function updateInstance(dir: string, name: string, change: (instance: InstanceRecord) => InstanceRecord): Manifest {
  const manifest = readManifest(dir)!
  manifest.instances = manifest.instances.map((instance) => (instance.name === name ? change(instance) : instance))
  writeManifest(manifest)
  return manifest
}

function assertRunning(manifest: Manifest, instance: InstanceRecord, bin: string): void {
  if (isClusterInstance(manifest, instance)) return
  const how = instance.killedAt ? `was killed at ${instance.killedAt}` : `is not running (pid ${instance.pid} is gone or no longer chatdds)`
  throw new ChatddsError('ENOTRUNNING', `${instance.name} ${how}; bring it back with \`${bin} cluster restart ${instance.name}${dirFlag(manifest)}\`.`)
}

const dirFlag = (manifest: Manifest) => ` --dir ${manifest.runDir}`

/** `cluster kill NAME`: SIGKILL, recorded in the manifest; the other instances keep running. */
export async function killInstance(dir: string, requested: string | undefined, {bin = 'chatdds'}: DrillOptions = {}): Promise<DrillResult> {
  const manifest = runningManifest(dir, bin)
  const instance = findInstance(manifest, requested, 'kill')
  const {name} = instance
  assertRunning(manifest, instance, bin)
  signal(instance.pid, 'SIGKILL')
  const left = await waitForExit([instance.pid], 5000)
  if (left.length > 0)
    throw new ChatddsError('EKILL', `${name} (pid ${instance.pid}) still runs 5 s after SIGKILL; see \`${bin} cluster status${dirFlag(manifest)}\`.`)
  const updated = updateInstance(dir, name, (record) => ({...record, killedAt: new Date().toISOString()}))
  const running = updated.instances.filter((record) => isClusterInstance(updated, record)).length
  return {runDir: manifest.runDir, action: 'kill', changed: true, instance: await instanceStatus(updated, findInstance(updated, name)), running}
}

/** `cluster pause NAME` (SIGSTOP) and `cluster resume NAME` (SIGCONT). */
export async function pauseInstance(dir: string, requested: string | undefined, pause: boolean, {bin = 'chatdds'}: DrillOptions = {}): Promise<DrillResult> {
  const manifest = runningManifest(dir, bin)
  const instance = findInstance(manifest, requested, pause ? 'pause' : 'resume')
  assertRunning(manifest, instance, bin)
  const paused = () => processState(instance.pid) === 'T'
  const changed = paused() !== pause
  if (changed) {
    signal(instance.pid, pause ? 'SIGSTOP' : 'SIGCONT')
    // The signal is delivered asynchronously: report the state it has once it took effect.
    const deadline = Date.now() + 2000
    while (paused() !== pause && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return {runDir: manifest.runDir, action: pause ? 'pause' : 'resume', changed, instance: await instanceStatus(manifest, instance)}
}

/** SIGTERM (and SIGCONT, so that a paused one handles it), SIGKILL after the grace; only if it is ours. */
async function stopInstance(manifest: Manifest, instance: InstanceRecord): Promise<void> {
  if (!isClusterInstance(manifest, instance)) return
  signal(instance.pid, 'SIGTERM')
  signal(instance.pid, 'SIGCONT')
  const stragglers = await waitForExit([instance.pid], STOP_GRACE_MS)
  for (const pid of stragglers) signal(pid, 'SIGKILL')
  await waitForExit(stragglers, 2000)
}

/**
 * Starts `records` detached (they outlive this command; a foreground `cluster up` adopts them from the manifest),
 * records their pids, and waits until they and the instances ready now are all ready and connected to each other.
 */
async function startInstances(dir: string, records: InstanceRecord[], options: WaitOptions & {append: boolean}): Promise<number> {
  const startedAt = Date.now()
  const manifest = readManifest(dir)!
  const started = new Map<string, RunningInstance>()
  for (const record of records) {
    const child = spawnInstance(instanceSpec(manifest, record, {detached: true, append: options.append}))
    child.unref()
    started.set(record.name, child)
  }
  const current = readManifest(dir)!
  const names = new Set(records.map((record) => record.name))
  const others = current.instances.filter((instance) => !names.has(instance.name))
  const restartedAt = options.append ? {restartedAt: new Date().toISOString()} : {}
  // A new process: the kill and restart times of the old one no longer apply.
  const fresh = records.map(({name, port, url, log}) => ({name, port, url, log, pid: started.get(name)!.pid, ...restartedAt}))
  current.instances = [...others, ...fresh].sort((a, b) => instanceNumber(a.name) - instanceNumber(b.name))
  writeManifest(current)

  // The instances that are ready now are the ones the new ones must connect to (a paused or dead one cannot answer).
  const answers = await Promise.all(others.map((instance) => fetchReadyz(instance.url, 1000)))
  const targets: ReadinessTarget[] = [...others.filter((_, index) => answers[index]?.ready), ...fresh]
  const aborter = new AbortController()
  const abort = () => aborter.abort()
  options.signal?.addEventListener('abort', abort)
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  let timer: NodeJS.Timeout | undefined
  const failed = fresh.map((record) => {
    const exited = new Promise<never>((_, reject) => {
      void started.get(record.name)!.exited.then((exit) => {
        const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`
        const last = lastLogLines(record.log, 5).join(' | ')
        reject(new ChatddsError('ESTART', `${record.name} ${how} before it was ready; its log is ${record.log}${last ? ` (last lines: ${last})` : ''}.`))
      })
    })
    exited.catch(() => {}) // seen by the race below, or too late to matter
    return exited
  })
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const waiting = fresh.map((record) => record.name).join(', ')
      reject(new ChatddsError('ETIMEDOUT', `${waiting} not ready within ${timeoutMs / 1000} s; see ${fresh[0].log} or raise --timeout.`))
    }, timeoutMs)
  })
  try {
    await Promise.race([waitReady(targets, {signal: aborter.signal}), ...failed, expired])
  } finally {
    aborter.abort()
    clearTimeout(timer)
    options.signal?.removeEventListener('abort', abort)
  }
  return Date.now() - startedAt
}

/** chat-12 → 12. */
function instanceNumber(name: string): number {
  return Number(/(\d+)$/.exec(name)?.[1] ?? 0)
}

/**
 * `cluster restart NAME`: stops it if it runs, starts a new `chatdds serve` with the same name, port, rtps.ini, log
 * (appended) and options, and waits until it is ready, which includes the history hand-over from its peers.
 */
export async function restartInstance(dir: string, requested: string | undefined, options: WaitOptions = {}): Promise<DrillResult> {
  const bin = options.bin ?? 'chatdds'
  const manifest = runningManifest(dir, bin)
  const instance = findInstance(manifest, requested, 'restart')
  const {name} = instance
  updateInstance(dir, name, (record) => ({...record, restartingAt: new Date().toISOString()}))
  let readyMs: number
  try {
    await stopInstance(manifest, instance)
    await assertPortFree(instance.port, `port ${instance.port} for ${name}`).catch(() => {
      throw new ChatddsError(
        'EADDRINUSE',
        `Port ${instance.port} of ${name} is held by another program; stop it, then run \`${bin} cluster restart ${name}${dirFlag(manifest)}\` again.`,
      )
    })
    readyMs = await startInstances(dir, [instance], {...options, append: true})
  } finally {
    updateInstance(dir, name, (record) => {
      const done = {...record}
      delete done.restartingAt
      return done
    })
  }
  const updated = readManifest(dir)!
  return {runDir: manifest.runDir, action: 'restart', changed: true, instance: await instanceStatus(updated, findInstance(updated, name)), readyMs}
}

/**
 * `cluster scale -n N`: adds chat-(k+1) … chat-N on the next ports (with DDS Security identities on a secure cluster),
 * or stops and removes the highest-numbered instances.
 */
export async function scaleCluster(dir: string, count: number, options: WaitOptions = {}): Promise<ScaleResult> {
  const bin = options.bin ?? 'chatdds'
  if (!Number.isInteger(count) || count < 1 || count > MAX_INSTANCES)
    throw new ChatddsError('EUSAGE', `-n must be from 1 to ${MAX_INSTANCES} instances (got ${count}).`, 2)
  const manifest = runningManifest(dir, bin)
  const from = manifest.instances.length
  const result = (added: string[], removed: string[], readyMs?: number) => ({runDir: manifest.runDir, from, to: count, added, removed, readyMs})
  if (count < from) {
    const removed = manifest.instances.slice(count)
    for (const instance of removed) await stopInstance(manifest, instance)
    const current = readManifest(dir)!
    current.instances = current.instances.filter((instance) => !removed.some((gone) => gone.name === instance.name))
    writeManifest(current)
    return {
      ...result(
        [],
        removed.map((instance) => instance.name),
      ),
      instances: await statuses(current),
    }
  }
  if (count === from) return {...result([], []), instances: await statuses(manifest)}

  if (manifest.domain > maxDomain(count))
    throw new ChatddsError('EUSAGE', `Domain ${manifest.domain} has RTPS ports for at most ${maxInstancesFor(manifest.domain)} instances; pick a smaller -n.`, 2)
  const firstPort = manifest.instances[0]?.port ?? 7000
  const paths = runDirPaths(manifest.runDir)
  const records: InstanceRecord[] = []
  for (let index = from; index < count; index++) {
    const name = instanceName(index)
    const port = firstPort + index
    if (port > 65535) throw new ChatddsError('EUSAGE', `${name} would need port ${port}, above 65535; pick a smaller -n.`, 2)
    await assertPortFree(port, `port ${port} for ${name}`).catch(() => {
      throw new ChatddsError('EADDRINUSE', `Port ${port}, the next one for ${name}, is already in use on 127.0.0.1; free it, or scale to ${index} instances.`)
    })
    records.push({name, port, url: instanceUrl(port), pid: 0, log: paths.log(name)})
  }
  if (manifest.security) {
    for (const record of records) {
      await issueIdentity(manifest.security.dir, record.name).catch((error: unknown) => {
        if ((error as ChatddsError).code !== 'EEXIST') throw error // issued by an earlier scale-up: reused
      })
    }
  }
  // Instances take the lowest free participant id: the new ones must announce themselves to every id in use. The
  // running ones keep the list they loaded, and learn of the new ones from their announcements.
  if (spdpParticipantCount(count) > spdpParticipantCount(from))
    writeFileSync(manifest.config, renderRtpsIni({domain: manifest.domain, instances: count, configFile: manifest.config}))
  const readyMs = await startInstances(dir, records, {...options, append: false})
  return {
    ...result(
      records.map((record) => record.name),
      [],
      readyMs,
    ),
    instances: await statuses(readManifest(dir)!),
  }
}

function maxInstancesFor(domain: number): number {
  let count = 1
  while (count < MAX_INSTANCES && maxDomain(count + 1) >= domain) count++
  return count
}

function statuses(manifest: Manifest): Promise<InstanceStatus[]> {
  return Promise.all(manifest.instances.map((instance) => instanceStatus(manifest, instance)))
}
