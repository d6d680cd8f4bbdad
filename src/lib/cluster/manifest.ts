/** The run directory of a cluster: rtps.ini, one log per instance, and cluster.json (the manifest). */
import {mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {ChatddsError} from '../errors.js'
import {writableRunDir} from './runDir.js'

export const DEFAULT_RUN_DIR = '.chatdds/cluster'
export const MANIFEST_FILE = 'cluster.json'
export const CONFIG_FILE = 'rtps.ini'
/** `cluster up --secure`: the cluster's PKI. */
export const SECURITY_DIR = 'security'
/** The identity `cluster up --secure` issues for `chatdds spy --dir` and other tools. */
export const TOOL_IDENTITY = 'spy'

export interface InstanceRecord {
  name: string
  port: number
  url: string
  pid: number
  /** Absolute path of the file that receives the instance's stdout and stderr. */
  log: string
  /** `cluster kill` ended it at this time (cleared by `cluster restart`). */
  killedAt?: string
  /** The last `cluster restart` started the current pid at this time. */
  restartedAt?: string
  /** `cluster restart` is replacing its process (since this time): a foreground `cluster up` waits for the new one. */
  restartingAt?: string
}

export interface Manifest {
  version: 1
  runDir: string
  domain: number
  /** Absolute path of the rtps.ini every instance loads (also how `down` recognises our processes). */
  config: string
  startedAt: string
  /** Milliseconds from the start of `cluster up` until every instance was ready and connected to every other. */
  readyMs?: number
  /** The `cluster up` process; in detached mode it has exited once the cluster is ready. */
  clusterPid: number
  /** Start time of clusterPid (clock ticks after boot, /proc/PID/stat) so a reused pid is never mistaken for it. */
  clusterStartTime?: number
  mode: 'foreground' | 'detached'
  state: 'starting' | 'running' | 'stopped'
  stoppedAt?: string
  instances: InstanceRecord[]
  /** `cluster up --secure`: the PKI every instance joins with, and the identity issued for spy and other tools. */
  security?: ManifestSecurity
  /** More `serve` flags every instance runs with (`cluster up --rate-limit`), kept for `cluster restart` and `scale`. */
  serveFlags?: string[]
}

export interface ManifestSecurity {
  /** Absolute path of the PKI directory (`chatdds security init`), inside the run directory. */
  dir: string
  /** Identity in it for `chatdds spy --dir` (read-only permissions). */
  toolIdentity: string
}

export function runDirPaths(dir: string) {
  const runDir = path.resolve(dir)
  return {
    runDir,
    manifest: path.join(runDir, MANIFEST_FILE),
    config: path.join(runDir, CONFIG_FILE),
    security: path.join(runDir, SECURITY_DIR),
    log: (name: string) => path.join(runDir, `${name}.log`),
  }
}

export function instanceName(index: number): string {
  return `chat-${index + 1}`
}

export function instanceUrl(port: number): string {
  return `http://127.0.0.1:${port}/`
}

/** The manifest of the cluster in `dir`, or undefined when none was ever started there. */
export function readManifest(dir: string): Manifest | undefined {
  const file = runDirPaths(dir).manifest
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    // No such directory, or a file where a directory of the path should be: no cluster was ever started there.
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    if (code === 'EACCES' || code === 'EPERM' || code === 'EISDIR')
      throw new ChatddsError(code, `${file} cannot be read (${code === 'EISDIR' ? 'it is a directory' : 'permission denied'}); pick another --dir.`)
    throw error
  }
  const manifest = parseManifest(text)
  if (!manifest) throw new ChatddsError('EMANIFEST', `${file} is not a chatdds cluster manifest; remove it or pick another --dir.`)
  return manifest
}

const isInteger = (value: unknown): value is number => Number.isInteger(value)
const isText = (value: unknown): value is string => typeof value === 'string'

/** The manifest in `text`, or undefined when it is not one (bad JSON, another layout, a field of the wrong type). */
function parseManifest(text: string): Manifest | undefined {
  let manifest: Partial<Manifest> | null
  try {
    manifest = JSON.parse(text) as Partial<Manifest> | null
  } catch {
    return undefined
  }
  if (typeof manifest !== 'object' || manifest === null || manifest.version !== 1) return undefined
  const {runDir, config, domain, clusterPid, instances} = manifest
  if (!isText(runDir) || !isText(config) || !isInteger(domain) || !isInteger(clusterPid) || !Array.isArray(instances)) return undefined
  const valid = (instance: Partial<InstanceRecord> | null) =>
    typeof instance === 'object' &&
    instance !== null &&
    isText(instance.name) &&
    isInteger(instance.port) &&
    isText(instance.url) &&
    isInteger(instance.pid) &&
    isText(instance.log)
  return instances.every((instance) => valid(instance as Partial<InstanceRecord> | null)) ? (manifest as Manifest) : undefined
}

/** Writes atomically (rename), so `status` never reads half a file. */
export function writeManifest(manifest: Manifest): void {
  const file = runDirPaths(manifest.runDir).manifest
  const temporary = `${file}.${process.pid}.tmp`
  writableRunDir(manifest.runDir, () => {
    mkdirSync(manifest.runDir, {recursive: true})
    writeFileSync(temporary, JSON.stringify(manifest, null, 2) + '\n')
    renameSync(temporary, file)
  })
}

/** How a tool joins the DDS domain of the cluster in `dir` (`chatdds spy --dir`): its rtps.ini, domain and, when secure, PKI. */
export function clusterDdsOptions(dir: string): {domain: number; ddsConfig: string; ddsSecurity?: string; identity?: string} {
  const manifest = readManifest(dir)
  if (!manifest)
    throw new ChatddsError('ENOCLUSTER', `No cluster in ${runDirPaths(dir).runDir}; start one with \`chatdds cluster up\`, or give the run directory it used.`)
  const {domain, config, security} = manifest
  return security ? {domain, ddsConfig: config, ddsSecurity: security.dir, identity: security.toolIdentity} : {domain, ddsConfig: config}
}
