/** Starting one `chatdds serve` instance of a cluster (the only module that knows execa). */
import {closeSync, openSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {execa} from 'execa'
import type {InstanceRecord, Manifest} from './manifest.js'

/** bin/run.js of this very installation, so the instances run the same chatdds as `cluster up`. */
export const CLI_ENTRY = fileURLToPath(new URL('../../../bin/run.js', import.meta.url))

export interface InstanceSpec {
  name: string
  port: number
  domain: number
  config: string
  log: string
  /** Detached: own session, no IPC, survives `cluster up`. Foreground: IPC channel, ends with `cluster up`. */
  detached: boolean
  /** `cluster up --secure`: the PKI directory; the instance joins as identity `name` of it. */
  security?: string
  /** More `serve` flags, the same for every instance (`cluster up --rate-limit`). */
  serveFlags?: string[]
  /** Append to the log (`cluster restart`) instead of starting it afresh. */
  append?: boolean
}

/** The one definition of how a cluster's instance runs, shared by `cluster up`, `restart` and `scale`. */
export function instanceSpec(
  manifest: Pick<Manifest, 'domain' | 'config' | 'security' | 'serveFlags'>,
  instance: Pick<InstanceRecord, 'name' | 'port' | 'log'>,
  options: {detached: boolean; append?: boolean},
): InstanceSpec {
  const {name, port, log} = instance
  return {name, port, log, domain: manifest.domain, config: manifest.config, security: manifest.security?.dir, serveFlags: manifest.serveFlags, ...options}
}

export interface RunningInstance {
  pid: number
  /** Resolves once the process has exited (never rejects). */
  exited: Promise<{code: number | null; signal: NodeJS.Signals | null}>
  /** Lets `cluster up` exit while the instance keeps running (detached mode). */
  unref(): void
}

/**
 * Node flags of every instance: V8's young generation capped at 4 MiB per semi-space (Node 20's default grows to
 * 16 MiB): idle connections then cost ≈ 4.7 KB each from the first one instead of ≈ 8.3 KB for the first
 * thousands (bench/memory.js), at no throughput cost bench/peers could measure (bench/MEMORY-NOTES.md). Left out
 * when NODE_OPTIONS sets the size itself.
 */
export function instanceNodeFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  return /--max-semi-space-size/.test(env.NODE_OPTIONS ?? '') ? [] : ['--max-semi-space-size=4']
}

export function serveArgs(spec: InstanceSpec): string[] {
  const args = [CLI_ENTRY, 'serve', '--port', String(spec.port), '--name', spec.name, '--domain', String(spec.domain), '--dds-config', spec.config]
  if (spec.security !== undefined) args.push('--dds-security', spec.security)
  return [...args, ...(spec.serveFlags ?? [])]
}

export function spawnInstance(spec: InstanceSpec): RunningInstance {
  // stdout and stderr go straight to the log file: nothing is lost if `cluster up` dies, and no pipe can break.
  const logFd = openSync(spec.log, spec.append ? 'a' : 'w')
  // execa's types name only fds 1-9, but it hands any other fd number to child_process.spawn unchanged.
  const logTarget = logFd as 3
  let subprocess
  try {
    subprocess = execa(process.execPath, [...instanceNodeFlags(), ...serveArgs(spec)], {
      stdin: 'ignore',
      stdout: logTarget,
      stderr: logTarget,
      detached: spec.detached,
      // Foreground: serve shuts down when this channel disconnects, i.e. when `cluster up` dies, even by SIGKILL.
      ipc: !spec.detached,
      cleanup: !spec.detached,
      forceKillAfterDelay: false,
      reject: false,
    })
  } finally {
    closeSync(logFd)
  }
  const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) => {
    subprocess.once('exit', (code, signal) => resolve({code, signal}))
    subprocess.once('error', () => resolve({code: subprocess.exitCode, signal: null}))
  })
  subprocess.catch(() => {}) // outcome is reported through `exited`
  if (subprocess.pid === undefined) throw new Error(`could not start ${spec.name}`)
  return {
    pid: subprocess.pid,
    exited,
    unref() {
      subprocess.unref()
      subprocess.channel?.unref()
    },
  }
}
