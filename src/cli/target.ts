/**
 * Which chatdds server(s) a client command (`send`, `tail`, `chat`, `bench`) talks to: the --port list, or else the
 * cluster of a run directory (--dir, or `.chatdds/cluster` found by walking up from the current directory), optionally
 * narrowed to one of its instances with --instance.
 */
import {existsSync} from 'node:fs'
import path from 'node:path'

import {Errors, Flags} from '@oclif/core'

import {DEFAULT_RUN_DIR, type InstanceRecord, readManifest, runDirPaths} from '../lib/cluster/manifest.js'
import {hostFlag, portsFlag} from './flags.js'

/** The flags that pick the server: --port, --host, --dir, --instance. */
export const targetFlags = {
  port: portsFlag({
    char: 'p',
    description: 'Port(s) of chatdds servers: 7000 or 7000,7001,7002 [default: the ports of the cluster in --dir].',
    // One value per --port: `send -p 7000 hello` must leave "hello" to the TEXT argument.
    multipleNonGreedy: true,
  }),
  host: hostFlag,
  dir: Flags.string({
    description: `Run directory of a \`cluster up\` cluster [default: ${DEFAULT_RUN_DIR} in this directory or the nearest parent that has one].`,
    exclusive: ['port'],
  }),
  instance: Flags.string({description: 'Instance of that cluster to connect to first, e.g. chat-2 [default: chat-1].', exclusive: ['port'], helpValue: 'NAME'}),
}

export interface TargetFlags {
  port?: number[]
  host: string
  dir?: string
  instance?: string
}

export interface Target {
  host: string
  /** The chosen instance first, then the cluster's others (for fail-over); exactly --port when given. */
  ports: number[]
  /** The cluster's run directory, when the ports came from one. */
  runDir?: string
  /** The cluster's instances, first the chosen one, when the ports came from a run directory. */
  instances?: InstanceRecord[]
}

const usage = (message: string) => new Errors.CLIError(message, {exit: 2})

/** The nearest `.chatdds/cluster` holding a manifest, from `start` up to the filesystem root. */
export function findRunDir(start: string = process.cwd()): string | undefined {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, DEFAULT_RUN_DIR)
    if (existsSync(runDirPaths(candidate).manifest)) return candidate
    if (path.dirname(dir) === dir) return undefined
  }
}

/**
 * Resolves the flags to ports. Errors: no --port and no cluster found, a stopped cluster, an unknown --instance —
 * each exit 2 with the flag to pass (`bin` is how the user runs chatdds, e.g. "npx chatdds").
 */
export function resolveTarget(flags: TargetFlags, bin = 'chatdds'): Target {
  if (flags.port?.length) return {host: flags.host, ports: flags.port}
  const runDir = flags.dir ?? findRunDir()
  if (runDir === undefined)
    throw usage(`No --port given and no cluster found in ./${DEFAULT_RUN_DIR} or any parent directory; pass --port, --dir, or start one with \`${bin} cluster up\`.`)
  const manifest = readManifest(runDir)
  const {runDir: absolute} = runDirPaths(runDir)
  if (!manifest) throw usage(`No cluster in ${absolute}; pass --port, or start one with \`${bin} cluster up --dir ${runDir}\`.`)
  if (manifest.state === 'stopped')
    throw new Errors.CLIError(`The cluster in ${absolute} is stopped; start it with \`${bin} cluster up\`, or pass --port.`, {exit: 1})
  const names = manifest.instances.map((instance) => instance.name)
  const first = flags.instance ?? names[0]
  const chosen = manifest.instances.find((instance) => instance.name === first)
  if (!chosen) throw usage(`The cluster in ${absolute} has no instance ${first}; its instances are ${names.join(', ')}.`)
  const instances = [chosen, ...manifest.instances.filter((instance) => instance !== chosen)]
  return {host: '127.0.0.1', ports: instances.map((instance) => instance.port), runDir: absolute, instances}
}
