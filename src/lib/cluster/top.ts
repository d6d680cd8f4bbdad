/** `cluster top`: the cluster's instances as `cluster status` shows them, with rates and latency from two /metrics scrapes. */
import {bucketDelta, bucketSum, histogramQuantile, type Buckets} from '../chat/histogram.js'
import {metricsSample, type MetricsSample} from '../chat/metricsSample.js'
import {getText} from './http.js'
import {clusterStatus, type ClusterStatus, type InstanceState, type InstanceStatus} from './inspect.js'

/** `cluster status`'s states (paused: the process is stopped, SIGSTOP, /proc state T). */
export type TopState = InstanceState

/** An instance of `cluster status --json` with the live fields; null where there is nothing to show (dead, or no answer). */
export interface TopInstance extends Omit<InstanceStatus, 'state'> {
  state: TopState
  rooms: number | null
  messagesInPerSecond: number | null
  messagesOutPerSecond: number | null
  latencyP50Ms: number | null
  latencyP99Ms: number | null
  rssBytes: number | null
  uptimeSeconds: number | null
}

export interface TopTotals {
  instances: number
  /** Instances whose state is ready. */
  ready: number
  clients: number
  messagesIn: number
  messagesOut: number
  messagesInPerSecond: number
  messagesOutPerSecond: number
  /** From the sum of every instance's latency histogram. */
  latencyP50Ms: number | null
  latencyP99Ms: number | null
  rssBytes: number
}

export interface TopFrame {
  runDir: string
  domain?: number
  /** When the frame was taken (ISO 8601). */
  at: string
  /** Seconds between the two scrapes the rates come from. */
  intervalSeconds: number
  /** `interval`: latency of the messages delivered between the two scrapes; `all`: since each instance started. */
  latencyWindow: 'interval' | 'all'
  instances: TopInstance[]
  totals: TopTotals
}

interface Scrape {
  atMs: number
  pid: number
  sample: MetricsSample
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits
const ms = (seconds: number | undefined) => (seconds === undefined ? null : round(seconds * 1000, 3))
const rate = (now: number, before: number, seconds: number) => (seconds > 0 ? round(Math.max(0, now - before) / seconds, 2) : 0)

/** Scrapes the cluster in `dir` each time `frame()` is called; rates and latency are over the time since the previous call. */
export class ClusterTop {
  private previous = new Map<string, Scrape>()
  private previousAt = 0

  constructor(private readonly dir: string) {}

  /** The first scrape (rates need two): the status without live fields; `found` is false when there is no cluster. */
  async start(): Promise<ClusterStatus> {
    const status = await clusterStatus(this.dir)
    await this.scrape(status)
    return status
  }

  /** A frame: latency over the interval since the last call, or over everything with `latencyWindow: 'all'`. */
  async frame(latencyWindow: TopFrame['latencyWindow'] = 'interval'): Promise<TopFrame> {
    const before = this.previous
    const beforeAt = this.previousAt
    const status = await clusterStatus(this.dir)
    const scrapes = await this.scrape(status)
    const instances = status.instances.map((instance) => live(instance, scrapes.get(instance.name), before.get(instance.name), latencyWindow))
    const windows = status.instances
      .map((instance) => {
        const now = scrapes.get(instance.name)
        if (!now) return undefined
        const then = before.get(instance.name)
        return latencyWindow === 'all' || then?.pid !== now.pid ? now.sample.latency : bucketDelta(now.sample.latency, then.sample.latency)
      })
      .filter((buckets): buckets is Buckets => buckets !== undefined)
    const cluster = bucketSum(windows)
    const sum = (pick: (instance: TopInstance) => number | null | undefined) => instances.reduce((total, instance) => total + (pick(instance) ?? 0), 0)
    const totals: TopTotals = {
      instances: instances.length,
      ready: instances.filter((instance) => instance.state === 'ready').length,
      clients: sum((i) => i.clients),
      messagesIn: sum((i) => i.messagesIn),
      messagesOut: sum((i) => i.messagesOut),
      messagesInPerSecond: sum((i) => i.messagesInPerSecond),
      messagesOutPerSecond: sum((i) => i.messagesOutPerSecond),
      latencyP50Ms: cluster ? ms(histogramQuantile(0.5, cluster)) : null,
      latencyP99Ms: cluster ? ms(histogramQuantile(0.99, cluster)) : null,
      rssBytes: sum((i) => i.rssBytes),
    }
    const at = Date.now()
    return {
      runDir: status.runDir,
      domain: status.domain,
      at: new Date(at).toISOString(),
      intervalSeconds: beforeAt ? Math.round((at - beforeAt) / 100) / 10 : 0,
      latencyWindow,
      instances,
      totals,
    }
  }

  /** GET /metrics of every instance that answered `cluster status`; remembered for the next frame. */
  private async scrape(status: ClusterStatus): Promise<Map<string, Scrape>> {
    const scrapes = new Map<string, Scrape>()
    await Promise.all(
      status.instances
        .filter((instance) => instance.state === 'ready' || instance.state === 'not ready')
        .map(async (instance) => {
          try {
            const {status: code, body} = await getText(new URL('metrics', instance.url).href)
            if (code === 200) scrapes.set(instance.name, {atMs: Date.now(), pid: instance.pid, sample: metricsSample(body)})
          } catch {
            // It stopped answering since /readyz: shown without live fields.
          }
        }),
    )
    this.previous = scrapes
    this.previousAt = Date.now()
    return scrapes
  }
}

function live(instance: InstanceStatus, now: Scrape | undefined, before: Scrape | undefined, latencyWindow: TopFrame['latencyWindow']): TopInstance {
  const {state} = instance
  if (!now)
    return {
      ...instance,
      state,
      rooms: null,
      messagesInPerSecond: null,
      messagesOutPerSecond: null,
      latencyP50Ms: null,
      latencyP99Ms: null,
      rssBytes: null,
      uptimeSeconds: null,
    }
  const {sample} = now
  const same = before !== undefined && before.pid === now.pid
  const seconds = same ? (now.atMs - before.atMs) / 1000 : 0
  const latency = latencyWindow === 'all' || !same ? sample.latency : bucketDelta(sample.latency, before.sample.latency)
  return {
    ...instance,
    state,
    // The same scrape as the rates, so that counts and rates agree.
    clients: sample.clients,
    messagesIn: sample.messagesIn,
    messagesOut: sample.messagesOut,
    rooms: sample.rooms,
    messagesInPerSecond: same ? rate(sample.messagesIn, before.sample.messagesIn, seconds) : null,
    messagesOutPerSecond: same ? rate(sample.messagesOut, before.sample.messagesOut, seconds) : null,
    latencyP50Ms: ms(histogramQuantile(0.5, latency)),
    latencyP99Ms: ms(histogramQuantile(0.99, latency)),
    rssBytes: sample.rssBytes ?? null,
    uptimeSeconds: sample.uptimeSeconds ?? null,
  }
}
