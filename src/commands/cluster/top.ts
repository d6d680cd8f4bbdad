import {setTimeout as sleep} from 'node:timers/promises'

import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/baseCommand.js'
import {secondsFlag} from '../../cli/flags.js'
import {invocation} from '../../cli/notFound.js'
import {findRunDir} from '../../cli/target.js'
import {DEFAULT_RUN_DIR} from '../../lib/cluster/index.js'
import {ClusterTop, type TopFrame} from '../../lib/cluster/top.js'
import {topReport} from '../../lib/cluster/topRender.js'
import {startLiveView} from '../../lib/liveView.js'

export default class ClusterTopCommand extends BaseCommand {
  static summary = 'A live view of a local cluster: state, clients, rooms, messages/s, latency, DDS peers, memory per instance.'

  static description = `Redraws every --interval seconds a table of the instances of the cluster in --dir, like top or \
docker stats; q or Ctrl-C quits. It reads each instance's /readyz and /metrics, as \`cluster status\` does, and computes \
rates and latency from two /metrics scrapes.

Columns (and the fields each instance of --json adds to those of \`cluster status --json\`; null where the instance \
does not answer):
  STATE    ready, not ready, paused (the process is stopped: SIGSTOP), no answer, or down ("dead" in --json)
  CLIENTS  connected websocket clients ("clients")
  ROOMS    rooms with a client on this instance ("rooms")
  IN/s     chat messages per second from its clients ("messagesInPerSecond"; the count since start is "messagesIn")
  OUT/s    chat messages per second to its clients ("messagesOutPerSecond"; "messagesOut")
  P50/P99  delivery latency in ms, sender to this instance, from the /metrics histogram interpolated like \
Prometheus' histogram_quantile: over the last interval, or since start with --once ("latencyP50Ms", "latencyP99Ms")
  PEERS    DDS participants this instance has discovered ("peers", their names)
  RSS      resident memory ("rssBytes")
  UPTIME   since the instance started ("uptimeSeconds")
The TOTAL line ("totals") sums clients, messages, rates and RSS over the instances, counts the ready ones, and takes \
the latency of the whole cluster from the sum of their histograms.

--once (and --json) waits one --interval, prints one frame and exits 0. A down instance is shown, not an error; no \
cluster in --dir is exit 1.`

  static examples = [
    {description: 'Watch the cluster in .chatdds/cluster', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'One frame, for a script or a log', command: '<%= config.bin %> <%= command.id %> --once'},
    {description: 'Messages per second into the whole cluster', command: '<%= config.bin %> <%= command.id %> --json | jq .totals.messagesInPerSecond'},
  ]

  static enableJsonFlag = true

  static flags = {
    dir: Flags.string({description: `Run directory given to \`cluster up\` [default: ${DEFAULT_RUN_DIR} here or in the nearest parent that has one].`}),
    once: Flags.boolean({description: 'Print one frame and exit (rates over one --interval, latency since start).'}),
    interval: secondsFlag({description: 'Seconds between two scrapes (decimals allowed).', default: 1}),
  }

  async run(): Promise<TopFrame> {
    const {flags} = await this.parse(ClusterTopCommand)
    const run = invocation(this.config.bin)
    const dir = flags.dir ?? findRunDir() ?? DEFAULT_RUN_DIR
    const top = new ClusterTop(dir)
    const first = await top.start()
    if (!first.found) this.error(`No cluster in ${first.runDir}; start one with \`${run} cluster up\`, or pass the --dir it used.`, {exit: 1})
    if (first.state === 'stopped' && !first.running)
      this.error(`The cluster in ${first.runDir} was stopped at ${first.stoppedAt}; start one with \`${run} cluster up\`.`, {exit: 1})
    const stop = new AbortController()
    const signal = AbortSignal.any([this.stopSignal(), stop.signal])
    const intervalMs = flags.interval * 1000

    if (flags.once || this.jsonEnabled()) {
      await sleep(intervalMs, undefined, {signal}).catch(() => {})
      const frame = await top.frame('all')
      if (!this.jsonEnabled()) this.log(topReport(frame, {refreshing: false}))
      return frame
    }

    const view = startLiveView(() => stop.abort())
    let last: TopFrame | undefined
    try {
      view.draw(`Reading ${first.runDir} every ${flags.interval} s…`)
      while (!signal.aborted) {
        await sleep(intervalMs, undefined, {signal}).catch(() => {})
        if (signal.aborted) break
        const frame = await top.frame()
        last = frame
        if (!signal.aborted) view.draw(topReport(frame, {refreshing: true}))
      }
    } finally {
      view.close()
    }
    return last ?? (await top.frame('all'))
  }
}
