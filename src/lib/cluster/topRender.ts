/** The frame `cluster top` draws (the --json output is the frame itself). */
import {clock, color, table} from '../ui.js'
import type {TopFrame, TopInstance, TopState} from './top.js'

const dash = '-'
const perSecond = (value: number | null) => (value === null ? dash : value.toFixed(1))
const millis = (value: number | null) => (value === null ? dash : value < 10 ? value.toFixed(2) : value.toFixed(1))
const count = (value: number | null | undefined) => (value === null || value === undefined ? dash : String(value))
const mebibytes = (bytes: number | null) => (bytes === null ? dash : `${(bytes / 1024 / 1024).toFixed(0)} MiB`)

function uptime(seconds: number | null): string {
  if (seconds === null) return dash
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`
}

/** What STATE shows: `cluster status`'s words, and down for a dead instance. */
export function stateLabel(state: TopState): string {
  return state === 'dead' ? 'down' : state
}

function paintState(state: TopState, text: string): string {
  if (state === 'ready') return color.green(text)
  if (state === 'dead') return color.red(text)
  return color.yellow(text)
}

function row(instance: TopInstance): string[] {
  return [
    instance.name,
    stateLabel(instance.state),
    count(instance.alive ? instance.clients : null),
    count(instance.rooms),
    perSecond(instance.messagesInPerSecond),
    perSecond(instance.messagesOutPerSecond),
    millis(instance.latencyP50Ms),
    millis(instance.latencyP99Ms),
    instance.alive ? String(instance.peers.length) : dash,
    mebibytes(instance.rssBytes),
    uptime(instance.uptimeSeconds),
  ]
}

/** Header line, one row per instance, and the TOTAL line. */
export function topReport(frame: TopFrame, options: {refreshing: boolean}): string {
  const header = ['NAME', 'STATE', 'CLIENTS', 'ROOMS', 'IN/s', 'OUT/s', 'P50 ms', 'P99 ms', 'PEERS', 'RSS', 'UPTIME']
  const rows = frame.instances.map(row)
  // The state is padded before it is painted, so that colour codes do not shift the columns.
  const lines = table(header, rows).split('\n')
  const width = Math.max(header[1].length, ...rows.map((cells) => cells[1].length))
  const painted = lines.map((line, i) => {
    if (i === 0) return line
    const instance = frame.instances[i - 1]
    const start = line.indexOf(stateLabel(instance.state), instance.name.length)
    return line.slice(0, start) + paintState(instance.state, stateLabel(instance.state).padEnd(width)) + line.slice(start + width)
  })
  const t = frame.totals
  const window = frame.latencyWindow === 'all' ? 'latency since start' : `latency over the last ${frame.intervalSeconds} s`
  const quit = options.refreshing ? ' · q quits' : ''
  return [
    color.dim(`cluster ${frame.runDir} · domain ${frame.domain ?? dash} · ${clock(Date.parse(frame.at))} · rates over ${frame.intervalSeconds} s, ${window}${quit}`),
    ...painted,
    color.bold(
      `TOTAL ${t.ready}/${t.instances} ready · ${t.clients} clients · in ${perSecond(t.messagesInPerSecond)}/s (${t.messagesIn}) · out ${perSecond(t.messagesOutPerSecond)}/s (${t.messagesOut}) · p50 ${millis(t.latencyP50Ms)} ms · p99 ${millis(t.latencyP99Ms)} ms · RSS ${mebibytes(t.rssBytes)}`,
    ),
  ].join('\n')
}
