/** What the cluster commands print for people (the --json output is the data itself). */
import {color, errColor, prefix, table} from '../ui.js'
import type {ClusterStatus} from './inspect.js'
import {DEFAULT_RUN_DIR, type Manifest} from './manifest.js'

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`
const secured = (securityDir: string | undefined) => (securityDir ? ` with DDS Security (authenticated and encrypted; PKI ${securityDir})` : '')
const dirFlag = (runDir: string, dir: string) => (dir === DEFAULT_RUN_DIR ? '' : ` --dir ${runDir}`)

/** The table of instances and what to try next, once `cluster up` is ready. */
/** `run` is how the user runs chatdds (invocation(config.bin), e.g. "npx chatdds"). */
export function readyReport(manifest: Manifest & {readyMs: number}, dir: string, detached: boolean, run = 'chatdds'): string {
  const rows = manifest.instances.map((i) => [i.name, i.url, String(i.pid), 'ready'])
  const [first] = manifest.instances
  const second = manifest.instances[1] ?? first
  const flag = dirFlag(manifest.runDir, dir)
  const tries: Array<[string, string]> = [
    [`${run} send${flag} --instance ${second.name} "hi"`, `send a message through ${second.name}`],
    [`${run} tail${flag}`, `watch it arrive at ${first.name}`],
    manifest.security
      ? [`${run} spy --dir ${manifest.runDir}`, "see the DDS samples themselves (as the PKI's spy identity)"]
      : [`${run} spy --domain ${manifest.domain}`, 'see the DDS samples themselves'],
    [`open ${first.url}`, 'the browser client'],
    [`${run} cluster top${flag}`, 'clients, message rates, latency and DDS peers per instance, live'],
  ]
  if (detached) tries.push([`${run} cluster logs${flag} -f`, 'follow the logs'], [`${run} cluster down${flag}`, 'stop the cluster'])
  const width = Math.max(...tries.map(([command]) => command.length))
  const n = manifest.instances.length
  return [
    table(['NAME', 'URL', 'PID', 'STATE'], rows),
    '',
    `${n} instance${n === 1 ? '' : 's'} ready and connected over DDS domain ${manifest.domain}${secured(manifest.security?.dir)} in ${seconds(manifest.readyMs)} (run directory ${manifest.runDir}).`,
    '',
    'Try:',
    ...tries.map(([command, what]) => `  ${color.cyan(command.padEnd(width))}  ${color.dim(what)}`),
    ...(detached ? [] : ['', color.dim('Instance logs follow. Ctrl-C stops the cluster.')]),
  ].join('\n')
}

/** One instance's log line as `cluster up` and `cluster logs` print it. */
export function logLine(name: string, index: number, width: number, line: string): string {
  return `${prefix(name, index, width)} ${line}`
}

/** Stderr report of an instance that died while the cluster ran. */
export function exitReport(name: string, exit: {code: number | null; signal: string | null; lastLines: string[]}, running: number): string {
  const how = exit.signal ? `was killed by ${exit.signal}` : exit.code === null ? 'has exited' : `exited with code ${exit.code}`
  const rest = running > 0 ? `${running} instance${running === 1 ? ' keeps' : 's keep'} running.` : 'No instance is left.'
  return [
    errColor.red(`${name} ${how}. ${rest}`),
    ...(exit.lastLines.length > 0 ? [`Last log lines of ${name}:`, ...exit.lastLines.map((line) => `  ${line}`)] : []),
  ].join('\n')
}

/** Stderr line of a foreground `cluster up` that adopts an instance started by `cluster restart` or `cluster scale`. */
export function adoptedReport(instance: {name: string; port: number; pid: number}, added: boolean, running: number): string {
  const how = added ? `joined the cluster (\`cluster scale\`)` : `runs again (\`cluster restart\`)`
  return `${instance.name} ${how} as pid ${instance.pid} on port ${instance.port}; ${running} instance${running === 1 ? '' : 's'} running.`
}

export function lastLinesReport(name: string, lines: string[]): string {
  return [`Last log lines of ${name}:`, ...lines.map((line) => `  ${line}`)].join('\n')
}

/** Peer names, or just their count when the names would not fit a table cell. */
function peerList(peers: string[]): string {
  const names = [...peers].sort((a, b) => a.localeCompare(b, 'en', {numeric: true})).join(',')
  if (names === '') return 'none'
  return names.length <= 40 ? names : `${peers.length} peers`
}

/** "2 (alice,bob)", or just the count when the names would not fit a table cell. */
function userList(users: string[] | undefined): string {
  if (users === undefined) return '-'
  const names = users.join(',')
  return users.length === 0 || names.length > 30 ? String(users.length) : `${users.length} (${names})`
}

export function statusReport(status: ClusterStatus): string {
  const rows = status.instances.map((i) => [
    i.name,
    i.url,
    String(i.pid),
    i.state,
    i.clients === undefined ? '-' : String(i.clients),
    i.alive ? userList(i.users) : '-',
    i.messagesIn === undefined ? '-' : String(i.messagesIn),
    i.messagesOut === undefined ? '-' : String(i.messagesOut),
    i.alive && i.state !== 'paused' ? peerList(i.peers) : '-', // a paused instance was not asked
  ])
  const alive = status.instances.filter((i) => i.alive).length
  return [
    table(['NAME', 'URL', 'PID', 'STATE', 'CLIENTS', 'USERS', 'IN', 'OUT', 'DDS PEERS'], rows),
    '',
    `${alive} of ${status.instances.length} instances running on DDS domain ${status.domain}${secured(status.securityDir)} (${status.mode}, started ${status.startedAt}, run directory ${status.runDir}).`,
  ].join('\n')
}
