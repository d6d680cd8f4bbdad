/**
 * `cluster up` refuses a DDS domain that other chatdds instances (another cluster, a `serve`) already use: it would
 * merge with them. A short-lived participant joins the domain and lists who answers within one discovery window.
 */
import {readdirSync} from 'node:fs'
import path from 'node:path'
import {ChatddsError} from '../errors.js'
import {readManifest, runDirPaths, type Manifest} from './manifest.js'
import {isClusterInstance} from './processes.js'

/** Participants named `chatdds-…` are tools (spy, bench, this check): they watch a domain, they do not use it. */
const TOOL_PREFIX = 'chatdds-'

/** How many domains after a taken one are tried for the suggestion (in parallel, only once the domain is known taken). */
const SUGGESTION_TRIES = 3

/** The names of the non-tool participants in `domain` (sorted, unnamed ones as `(unnamed)`), after one discovery window. */
export async function domainOccupants(domain: number, signal?: AbortSignal): Promise<string[]> {
  const {Participant, discoveryWindowMs, DEFAULT_CONFIG} = await import('../dds/index.js')
  const participant = new Participant({domain, name: `${TOOL_PREFIX}cluster-up-${process.pid}`})
  try {
    // The whole window, also once someone answered: the sentence names every instance there.
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, discoveryWindowMs(DEFAULT_CONFIG))
      signal?.addEventListener('abort', done, {once: true})
    })
    return [...participant.participants.values()]
      .filter((name) => !name.startsWith(TOOL_PREFIX))
      .map((name) => name || '(unnamed)')
      .sort()
  } finally {
    participant.close()
  }
}

/** Running clusters of other run directories beside `dir` (its parent's subdirectories) on `domain`: cheap, and names them. */
export function clustersOnDomain(dir: string, domain: number): Manifest[] {
  const {runDir} = runDirPaths(dir)
  const parent = path.dirname(runDir)
  let entries: string[]
  try {
    entries = readdirSync(parent, {withFileTypes: true})
      .filter((entry) => entry.isDirectory())
      .map((entry) => path.join(parent, entry.name))
  } catch {
    return []
  }
  const found: Manifest[] = []
  for (const other of entries) {
    if (other === runDir) continue
    try {
      const manifest = readManifest(other)
      if (manifest && manifest.domain === domain && manifest.state !== 'stopped' && manifest.instances.some((i) => isClusterInstance(manifest, i))) {
        found.push(manifest)
      }
    } catch {
      // Not a run directory of ours: nothing to name.
    }
  }
  return found
}

/**
 * Throws EDOMAININUSE (exit 1) when chatdds instances already use `domain`: one sentence naming them (and their run
 * directory when one beside `dir` is theirs), a free domain to pass with --domain when one of the next few is, and --force.
 */
export async function assertDomainFree(domain: number, dir: string, maxDomain: number, signal?: AbortSignal): Promise<void> {
  const occupants = await domainOccupants(domain, signal)
  if (occupants.length === 0 || signal?.aborted) return
  const candidates = Array.from({length: SUGGESTION_TRIES}, (_, i) => domain + 1 + i).filter((candidate) => candidate <= maxDomain)
  const taken = await Promise.all(candidates.map(async (candidate) => (await domainOccupants(candidate, signal)).length > 0))
  const free = candidates.find((_, i) => !taken[i])
  const where = clustersOnDomain(dir, domain)
    .map((manifest) => manifest.runDir)
    .join(', ')
  const who = `${occupants.join(', ')}${where ? ` (the cluster in ${where})` : ''}`
  const next = free === undefined ? 'pass another --domain' : `pass --domain ${free} (free)`
  throw new ChatddsError(
    'EDOMAININUSE',
    `DDS domain ${domain} is already in use by ${who}, and this cluster would merge with them; ${next}, or --force to join them anyway.`,
  )
}
