/** `chatdds cluster up`: run directory, N `chatdds serve` processes, readiness, shutdown. */
import {EventEmitter} from 'node:events'
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import {ChatddsError} from '../errors.js'
import {type Readyz} from './http.js'
import {lastLogLines, LogFollower} from './logs.js'
import {initPki, issueIdentity} from '../security/pki.js'
import {
  instanceName,
  instanceUrl,
  type InstanceRecord,
  type Manifest,
  type ManifestSecurity,
  readManifest,
  runDirPaths,
  TOOL_IDENTITY,
  writeManifest,
} from './manifest.js'
import {assertDomainFree} from './domainCheck.js'
import {writableRunDir} from './runDir.js'
import {isClusterInstance, isClusterProcess, processStartTime, signal, waitForExit} from './processes.js'
import {waitReady} from './readiness.js'
import {maxDomain, renderRtpsIni} from './rtpsConfig.js'
import {instanceSpec, type RunningInstance, spawnInstance} from './spawn.js'

export const MAX_INSTANCES = 32
/** Foreground stop: SIGTERM, then SIGKILL to whatever still runs after this long. */
export const STOP_GRACE_MS = 2000
/** How often a foreground `cluster up` reads the manifest for instances that `cluster restart` or `scale` started. */
const ADOPT_POLL_MS = 500
/** How long a `cluster restart` in progress keeps a foreground `cluster up` with no instance left from ending. */
const RESTART_PENDING_MS = 120_000

export interface ClusterOptions {
  instances: number
  basePort: number
  domain: number
  dir: string
  detach: boolean
  /** Give up when the cluster is not ready after this long. */
  timeoutMs: number
  /** DDS Security: a fresh PKI in the run directory, one identity per instance and one for tools (spy). */
  secure?: boolean
  /** Start even when other chatdds instances already use the DDS domain (they merge with this cluster). */
  force?: boolean
  /** More `serve` flags for every instance (rateLimitArgs). */
  serveFlags?: string[]
}

export interface InstanceExit {
  code: number | null
  signal: NodeJS.Signals | null
  lastLines: string[]
}

/** A start that failed because of one instance carries that instance's last log lines. */
export class ClusterStartError extends ChatddsError {
  constructor(
    code: string,
    message: string,
    readonly instance?: string,
    readonly lastLines: string[] = [],
  ) {
    super(code, message, 1)
  }
}

export type ReadyManifest = Manifest & {readyMs: number}

/** Throws a usage error (exit 2) for options no cluster can be started with. */
export function validateClusterOptions({instances, basePort, domain}: Pick<ClusterOptions, 'instances' | 'basePort' | 'domain'>): void {
  if (!Number.isInteger(instances) || instances < 1 || instances > MAX_INSTANCES) {
    throw new ChatddsError('EUSAGE', `-n must be from 1 to ${MAX_INSTANCES} instances (got ${instances}).`, 2)
  }
  const lastPort = basePort + instances - 1
  if (!Number.isInteger(basePort) || basePort < 1 || lastPort > 65535) {
    throw new ChatddsError(
      'EUSAGE',
      `--base-port ${basePort} leaves no room for ${instances} ports below 65536; pick a --base-port from 1 to ${65536 - instances}.`,
      2,
    )
  }
  if (!Number.isInteger(domain) || domain < 0 || domain > maxDomain(instances)) {
    throw new ChatddsError('EUSAGE', `--domain must be from 0 to ${maxDomain(instances)} (the RTPS port formula runs out of ports above that).`, 2)
  }
}

/** Resolves when `port` can be listened on at 127.0.0.1; throws a ChatddsError naming it otherwise. */
export function assertPortFree(port: number, range: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.once('error', (error: NodeJS.ErrnoException) => {
      const reason = error.code === 'EACCES' ? 'needs privileges' : 'is already in use'
      reject(new ChatddsError(error.code ?? 'EADDRINUSE', `Port ${port} on 127.0.0.1 ${reason}; pick another range with --base-port (this cluster needs ${range}).`))
    })
    server.listen({port, host: '127.0.0.1', exclusive: true}, () => server.close(() => resolve()))
  })
}

/** Throws when the run directory's manifest names processes that still run. */
export function assertNoRunningCluster(dir: string): void {
  const manifest = readManifest(dir)
  if (!manifest || manifest.state === 'stopped') return
  if (isClusterProcess(manifest) || manifest.instances.some((instance) => isClusterInstance(manifest, instance))) {
    throw new ChatddsError('EBUSY', `A cluster is already running in ${manifest.runDir}; stop it with \`chatdds cluster down --dir ${dir}\` or pick another --dir.`)
  }
}

/**
 * `cluster up --secure`: a fresh PKI in `dir` (one from an earlier run is replaced, its cluster being stopped), an
 * identity per instance (chat-1 … chat-N) and a read-only one for `chatdds spy --dir` and other tools.
 */
export async function createClusterPki(dir: string, instances: number): Promise<ManifestSecurity> {
  rmSync(dir, {recursive: true, force: true})
  await initPki(dir)
  await Promise.all([...Array.from({length: instances}, (_, index) => issueIdentity(dir, instanceName(index))), issueIdentity(dir, TOOL_IDENTITY, {readOnly: true})])
  return {dir, toolIdentity: TOOL_IDENTITY}
}

const describeExit = ({code, signal}: {code: number | null; signal: NodeJS.Signals | null}) => (signal ? `was killed by ${signal}` : `exited with code ${code}`)

/** Why the cluster could not start, when `instance` exited first: a port taken after our check, or anything else. */
export function startFailure(instance: InstanceRecord, exit: {code: number | null; signal: NodeJS.Signals | null}, lastLines: string[]): ClusterStartError {
  if (/EADDRINUSE|already in use/i.test(lastLines.join('\n'))) {
    return new ClusterStartError(
      'EADDRINUSE',
      `Port ${instance.port} is already in use, so ${instance.name} could not start; pick another range with --base-port.`,
      instance.name,
      lastLines,
    )
  }
  return new ClusterStartError(
    'ESTART',
    `${instance.name} ${describeExit(exit)} before the cluster was ready; its whole log is ${instance.log}.`,
    instance.name,
    lastLines,
  )
}

/** Why a started cluster ended: `stop()` was called, or every instance exited by itself. */
export type ClusterEnd = 'stopped' | 'exited'

/**
 * A running cluster. `start()` resolves once every instance is ready and connected to every other;
 * afterwards `exit` reports an instance that died (the others keep running) and `line` streams
 * the logs once `follow()` was called. `stop()` ends every instance; `detach()` leaves them running.
 * In the foreground it also adopts (`adopted`) the processes that `cluster restart` and `cluster scale` record in the
 * manifest: it follows their logs, reports their exit and stops them with the rest.
 * `ended` resolves once the cluster is stopped, by `stop()` or because no instance is left.
 */
export class Cluster extends EventEmitter<{
  progress: [status: string]
  line: [index: number, line: string]
  exit: [index: number, exit: InstanceExit]
  adopted: [index: number, instance: InstanceRecord, added: boolean]
}> {
  manifest?: Manifest
  private readonly children: RunningInstance[] = []
  /** The current pid of each instance of `manifest` (children first, then adopted ones), and whether it has exited. */
  private readonly pids: number[] = []
  private readonly exited: boolean[] = []
  private adoptTimer?: NodeJS.Timeout
  private readonly aborter = new AbortController()
  private stopping?: Promise<void>
  private endedBy?: ClusterEnd
  private resolveEnded!: (end: ClusterEnd) => void
  readonly ended = new Promise<ClusterEnd>((resolve) => (this.resolveEnded = resolve))
  private detached = false
  private follower?: LogFollower
  private failStart?: (error: Error) => void
  /** What each /readyz said last, and whether probing has begun: for the timeout message. */
  private lastReadyz: Array<Readyz | undefined> = []
  private probing = false

  constructor(readonly options: ClusterOptions) {
    super()
  }

  /** Instances still running. */
  get running(): number {
    return this.exited.filter((gone) => !gone).length
  }

  /** Resolves once the cluster is ready, or with undefined when `stop()` was called first. */
  async start(): Promise<ReadyManifest | undefined> {
    const startedAt = Date.now()
    const {instances: count, basePort, domain, dir, detach, serveFlags} = this.options
    validateClusterOptions(this.options)
    const paths = runDirPaths(dir)
    writableRunDir(paths.runDir, () => mkdirSync(paths.runDir, {recursive: true}))
    assertNoRunningCluster(dir)
    // The domain check waits one discovery window: it runs while the ports, rtps.ini and PKI are made ready.
    const domainFree = this.options.force ? Promise.resolve() : assertDomainFree(domain, dir, maxDomain(count), this.aborter.signal)
    domainFree.catch(() => {}) // awaited below; an earlier failure must not leave it unhandled
    const range = count === 1 ? `port ${basePort}` : `ports ${basePort}-${basePort + count - 1}`
    for (let port = basePort; port < basePort + count; port++) await assertPortFree(port, range)
    if (this.aborter.signal.aborted) return undefined

    writableRunDir(paths.runDir, () => writeFileSync(paths.config, renderRtpsIni({domain, instances: count, configFile: paths.config})))
    const security = this.options.secure ? await createClusterPki(paths.security, count) : undefined
    await domainFree
    if (this.aborter.signal.aborted) return undefined
    const manifest: Manifest = {
      version: 1,
      runDir: paths.runDir,
      domain,
      config: paths.config,
      startedAt: new Date(startedAt).toISOString(),
      clusterPid: process.pid,
      clusterStartTime: processStartTime(process.pid),
      mode: detach ? 'detached' : 'foreground',
      state: 'starting',
      instances: [],
      ...(security ? {security} : {}),
      ...(serveFlags?.length ? {serveFlags} : {}),
    }
    this.manifest = manifest
    const failed = new Promise<never>((_, reject) => (this.failStart = reject))
    failed.catch(() => {})
    try {
      for (let index = 0; index < count; index++) {
        const name = instanceName(index)
        const port = basePort + index
        const log = paths.log(name)
        const child = spawnInstance(instanceSpec(manifest, {name, port, log}, {detached: detach}))
        this.children.push(child)
        this.pids.push(child.pid)
        this.exited.push(false)
        manifest.instances.push({name, port, url: instanceUrl(port), pid: child.pid, log})
        void child.exited.then((exit) => this.onExit(index, child.pid, exit))
      }
      writeManifest(manifest)
      const timeout = this.timeout(range)
      try {
        await Promise.race([this.waitReady(), failed, timeout.expired])
      } finally {
        clearTimeout(timeout.timer)
      }
    } catch (error) {
      const stoppedByCaller = this.aborter.signal.aborted
      await this.stop()
      if (stoppedByCaller) return undefined
      throw error
    } finally {
      this.failStart = undefined
    }
    manifest.state = 'running'
    manifest.readyMs = Date.now() - startedAt
    writeManifest(manifest)
    if (!detach) this.adoptTimer = setInterval(() => this.adopt(), ADOPT_POLL_MS)
    return manifest as ReadyManifest
  }

  /** Starts emitting `line` for every line the instances log from now on. */
  follow(): void {
    if (!this.manifest || this.follower) return
    this.follower = new LogFollower(this.manifest.instances.map((instance) => ({file: instance.log}))).start()
    this.follower.on('line', (index, line) => this.emit('line', index, line))
  }

  /** Lets `cluster up --detach` exit while the instances keep running. */
  detach(): void {
    this.detached = true
    clearInterval(this.adoptTimer)
    for (const child of this.children) child.unref()
  }

  /** SIGTERM to every instance, SIGKILL to stragglers after STOP_GRACE_MS; marks the manifest stopped. Idempotent. */
  stop(end: ClusterEnd = 'stopped'): Promise<void> {
    this.endedBy ??= end
    this.stopping ??= this.shutdown().then(() => this.resolveEnded(this.endedBy!))
    return this.stopping
  }

  private async shutdown(): Promise<void> {
    this.aborter.abort()
    clearInterval(this.adoptTimer)
    // The manifest on disk also names what `cluster restart` / `scale` started since the last poll.
    const onDisk = this.children.length > 0 ? this.readOwnManifest() : undefined
    const recorded = onDisk?.instances.filter((instance) => isClusterInstance(onDisk, instance)).map((instance) => instance.pid) ?? []
    const live = [...new Set([...this.pids.filter((_, index) => !this.exited[index]), ...recorded])]
    for (const pid of live) signal(pid, 'SIGTERM')
    for (const pid of live) signal(pid, 'SIGCONT') // a paused instance handles its SIGTERM only once it runs
    const stragglers = await waitForExit(live, STOP_GRACE_MS)
    for (const pid of stragglers) signal(pid, 'SIGKILL')
    await waitForExit(stragglers, 1000)
    this.follower?.stop()
    if (this.manifest && this.children.length > 0) {
      this.manifest.state = 'stopped'
      this.manifest.stoppedAt = new Date().toISOString()
      writeManifest({...(onDisk ?? this.manifest), state: 'stopped', stoppedAt: this.manifest.stoppedAt})
    }
  }

  /** This cluster's manifest as on disk now, or undefined when it is unreadable or no longer ours. */
  private readOwnManifest(): Manifest | undefined {
    try {
      const manifest = readManifest(this.options.dir)
      return manifest?.clusterPid === process.pid ? manifest : undefined
    } catch {
      return undefined
    }
  }

  /** Takes over the processes that `cluster restart` / `scale` recorded in the manifest, and notices when they end. */
  private adopt(): void {
    const onDisk = this.readOwnManifest()
    if (!onDisk || !this.manifest || this.stopping) return
    for (const record of onDisk.instances) {
      let index = this.manifest.instances.findIndex((instance) => instance.name === record.name)
      const added = index === -1 || this.pids[index] === 0
      if (index === -1) {
        index = this.manifest.instances.push(record) - 1
        this.pids.push(0)
        this.exited.push(true)
        this.follower?.add({file: record.log, offset: 0})
      }
      if (record.pid !== this.pids[index] && isClusterInstance(onDisk, record)) {
        this.manifest.instances[index] = record
        this.pids[index] = record.pid
        this.exited[index] = false
        this.emit('adopted', index, record, added)
      }
    }
    const children = new Set(this.children.map((child) => child.pid))
    for (const [index, pid] of this.pids.entries()) {
      const instance = this.manifest.instances[index]
      if (this.exited[index] || children.has(pid) || isClusterInstance(onDisk, instance)) continue
      // Not our child, so no exit status: `cluster kill` is the only SIGKILL we know of.
      const killed = onDisk.instances.find((record) => record.name === instance.name)?.killedAt !== undefined
      this.onExit(index, pid, {code: null, signal: killed ? 'SIGKILL' : null})
    }
    if (this.running === 0 && !this.restartPending()) void this.stop('exited') // a restart of the last one failed
  }

  /** `cluster restart` is replacing an instance (recently enough): having no instance left is not the end yet. */
  private restartPending(): boolean {
    const since = Date.now() - RESTART_PENDING_MS
    return this.readOwnManifest()?.instances.some((instance) => instance.restartingAt !== undefined && Date.parse(instance.restartingAt) > since) ?? false
  }

  private onExit(index: number, pid: number, exit: {code: number | null; signal: NodeJS.Signals | null}): void {
    if (this.pids[index] !== pid || this.exited[index]) return // an earlier process of a restarted instance
    this.exited[index] = true
    if (this.stopping || this.detached || !this.manifest) return
    const instance = this.manifest.instances[index]
    const lastLines = lastLogLines(instance.log, 10)
    if (this.failStart) {
      this.failStart(startFailure(instance, exit, lastLines))
      return
    }
    this.follower?.poll() // its last lines come out before the report
    this.emit('exit', index, {...exit, lastLines})
    if (this.running === 0 && !this.restartPending()) void this.stop('exited')
  }

  private timeout(range: string): {timer: NodeJS.Timeout; expired: Promise<never>} {
    let timer!: NodeJS.Timeout
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const waiting = this.notReady().join('; ')
        reject(
          new ChatddsError(
            'ETIMEDOUT',
            `The cluster on ${range} was not ready within ${this.options.timeoutMs / 1000} s (${waiting}); see the logs in ${this.manifest?.runDir} or raise --timeout.`,
          ),
        )
      }, this.options.timeoutMs)
    })
    return {timer, expired}
  }

  private notReady(): string[] {
    const count = this.options.instances
    const states = this.manifest!.instances.map((instance, index) => {
      const readyz = this.lastReadyz[index]
      if (!readyz) return `${instance.name} does not answer ${instance.url}readyz`
      if (readyz.matchedReaders < count) return `${instance.name} matched ${readyz.matchedReaders} of ${count} readers`
      if (!readyz.ready) return `${instance.name} is not ready (its /readyz answers 503, history hand-over ${readyz.historyHandOver ?? 'pending'})`
      return undefined
    })
    const waiting = states.filter((state): state is string => state !== undefined)
    if (waiting.length === 0 && this.probing) waiting.push('probe messages did not reach every instance')
    return waiting
  }

  /**
   * Ready has one meaning, the instances' own: every /readyz answers 200 (what `cluster status` reports).
   * Connected to every other: each writer matched all N readers, and a probe through each instance reached every instance.
   */
  private async waitReady(): Promise<void> {
    await waitReady(this.manifest!.instances, {
      signal: this.aborter.signal,
      progress: (status) => this.emit('progress', status),
      readyz: (answers) => (this.lastReadyz = answers),
      probing: (on) => (this.probing = on),
    })
  }
}
