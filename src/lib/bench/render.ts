/** How `chatdds bench` shows a run: the progress bar (stderr, TTY only) and the report. */
import cliProgress from 'cli-progress'

import {color} from '../ui.js'
import {renderHistogram} from './histogram.js'
import type {BenchProgress, BenchResult} from './run.js'

const n = (value: number) => value.toLocaleString('en-US')
const ms = (value: number | null) => (value === null ? '-' : `${value} ms`)

export interface ProgressBar {
  update(progress: BenchProgress): void
  stop(): void
}

/** A bar of deliveries on stderr; nothing when stderr is not a terminal. */
export function progressBar(enabled: boolean): ProgressBar {
  if (!enabled || !process.stderr.isTTY) return {update() {}, stop() {}}
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'deliveries {bar} {percentage}% {value}/{total} | sent {acked}/{messages} | rate-limited {rateLimited}',
      hideCursor: true,
      clearOnComplete: true,
      barsize: 30,
      noTTYOutput: false,
    },
    cliProgress.Presets.shades_classic,
  )
  let started = false
  return {
    update(progress) {
      const payload = {acked: progress.acked, messages: progress.totalMessages, rateLimited: progress.rateLimited}
      if (!started) {
        started = true
        bar.start(progress.expected, progress.delivered, payload)
      } else bar.update(progress.delivered, payload)
    },
    stop() {
      if (started) bar.stop()
    },
  }
}

/** "fanout: 2 senders → 6 receivers in 1 room, over chat-1 (7000), chat-2 (7001)". */
export function describeRun(result: Pick<BenchResult, 'shape' | 'senders' | 'clients' | 'rooms' | 'instances' | 'ports'>): string {
  const over = result.instances.map((name, i) => `${name} (${result.ports[i]})`).join(', ')
  return `${result.shape}: ${result.senders} sender${result.senders === 1 ? '' : 's'} → ${result.clients} receivers in ${result.rooms} room${result.rooms === 1 ? '' : 's'}, over ${over}`
}

/** The report: counts, rates, latencies and the histogram. */
export function renderReport(result: BenchResult): string {
  const lines = [
    color.bold(describeRun(result)),
    `messages     ${n(result.totalMessages)} (${n(result.messages)} per sender${result.rate === null ? '' : `, paced at ${n(result.rate)}/s`})`,
    `delivered    ${n(result.delivered)} of ${n(result.expected)} in ${result.seconds} s = ${color.bold(n(result.deliveriesPerSecond))} deliveries/s`,
    `latency      p50 ${ms(result.p50Ms)}   p99 ${ms(result.p99Ms)}   max ${ms(result.maxMs)}`,
    `lost         ${result.lost > 0 ? color.red(n(result.lost)) : '0'}   duplicated ${result.duplicated > 0 ? color.red(n(result.duplicated)) : '0'}   out of order ${n(result.outOfOrder)}`,
    `refused      rate_limited ${n(result.rateLimited)}   busy ${n(result.busy)} (each sent again)`,
  ]
  if (result.unacked > 0) lines.push(`unacked      ${n(result.unacked)} messages were never acknowledged`)
  if (result.disconnected > 0) lines.push(`disconnected ${n(result.disconnected)} clients (${result.firstDisconnect ?? 'no reason'})`)
  if (result.ended === 'interrupted') lines.push(color.yellow('interrupted: the figures cover the messages acknowledged so far'))
  if (result.histogram.length > 0) lines.push('', `latency of ${n(result.delivered)} deliveries`, ...renderHistogram(result.histogram).map((line) => `  ${line}`))
  return lines.join('\n')
}

/** Why the run is a failure, as one sentence; undefined when nothing was lost or duplicated. `runDir`: the cluster's, when known. */
export function failure(result: BenchResult, bin: string, runDir?: string): string | undefined {
  if (result.lost === 0 && result.duplicated === 0) return undefined
  const why = [
    result.disconnected > 0 ? `${n(result.disconnected)} clients were disconnected (${result.firstDisconnect ?? 'no reason'})` : '',
    result.unacked > 0 ? `${n(result.unacked)} messages were never acknowledged` : '',
  ].filter(Boolean)
  const next = runDir === undefined ? "check the servers' logs" : `see the instances' logs (\`${bin} cluster logs --dir ${runDir}\`)`
  return `${n(result.lost)} of ${n(result.expected)} deliveries were lost and ${n(result.duplicated)} duplicated${why.length ? ` (${why.join('; ')})` : ''}; ${next}.`
}

/** When the servers capped the rate: say so, it is why the figure is what it is. */
export function rateNote(result: BenchResult): string | undefined {
  if (result.rateLimited === 0) return undefined
  return `The servers refused ${n(result.rateLimited)} sends as rate_limited (each connection may send only so many frames per second); every one was sent again, so deliveries/s is capped by that limit — more senders (--shape rate, or more instances) or a lower --rate avoid it.`
}
