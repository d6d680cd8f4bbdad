import {Flags, ux} from '@oclif/core'

import {invocation} from '../../cli/notFound.js'
import {BaseCommand} from '../../cli/baseCommand.js'
import {secondsFlag} from '../../cli/flags.js'
import {type StopReason} from '../../cli/signals.js'
import {rateLimitFlags} from '../../cli/rateFlags.js'
import {rateLimitArgs} from '../../lib/chat/rateLimit.js'
import {
  adoptedReport,
  Cluster,
  ClusterStartError,
  DEFAULT_RUN_DIR,
  exitReport,
  lastLinesReport,
  logLine,
  MAX_INSTANCES,
  readyReport,
  type ReadyManifest,
  validateClusterOptions,
} from '../../lib/cluster/index.js'

export default class ClusterUp extends BaseCommand {
  static summary = 'Start a local chat cluster: N `chatdds serve` instances that exchange messages over DDS.'

  static description = `Writes a run directory (--dir): rtps.ini (OpenDDS format, loopback only, loaded by every instance \
with --dds-config), cluster.json (the manifest: instances, ports, pids, logs) and one log file per instance. Then starts \
chat-1 … chat-N on ports --base-port … --base-port+N-1 and waits until every instance is ready and connected to every \
other: each /readyz answers 200 (the instance's own readiness, what \`cluster status\` shows) and reports that its DDS \
writer matched all N readers, and a probe message written through each instance (room chatdds.probe) has reached \
every instance. The rtps.ini's SpdpSendAddrs lists 127.0.0.1 at the SPDP \
port of participant ids 0 … max(N, 8)+7 (RTPS formula 7400 + 250·domain + 10 + 2·id): every instance plus 8 more \
participants, such as \`chatdds spy\`.

Foreground (default): prints the instances, then streams their logs with a coloured name prefix. Ctrl-C or SIGTERM \
stops every instance (SIGTERM, SIGKILL after 2 s) and exits 0. Ctrl-C during start-up (before "ready") stops the \
instances started so far, says "interrupted" and exits 130 (SIGTERM: 143). If \`cluster up\` itself dies, even by SIGKILL, its \
instances shut down too (they watch their IPC channel). An instance that dies while the cluster runs is reported at \
once with its exit code and last log lines; the others keep running (kill one to see the rest carry on), and \
\`cluster up\` exits 1 once no instance is left. Instances that \`cluster restart\` or \`cluster scale\` start are \
adopted: their logs are followed and Ctrl-C stops them too.

--detach returns once the cluster is ready and leaves it running; see \`cluster status\`, \`cluster logs\`, \`cluster down\`.

--secure joins every instance with DDS Security (README, "Security"): a fresh PKI in the run directory's security/ \
(\`chatdds security init\`), an identity per instance (chat-1 … chat-N) and a read-only one, spy, with which \
\`chatdds spy --dir <run dir>\` reads the cluster; only these participants can read or write its topics, and all its DDS \
traffic is encrypted.

The DDS domain must be free: when other chatdds instances (another cluster, a \`chatdds serve\`) already use it, \
\`cluster up\` names them and exits 1 (pass another --domain, or --force to merge with them); \`chatdds spy\` and other \
tools in the domain do not count. It looks for them while it checks the ports, in one DDS discovery window (0.6 s).

Errors: a DDS domain in use (exit 1), a port already in use (exit 1, pick another --base-port), a run directory that \
cannot be written (exit 1, pass another --dir), an instance that fails to start (exit 1, its last \
log lines are shown and the others are stopped), -n outside 1-${MAX_INSTANCES} (exit 2).`

  static examples = [
    {description: 'Three instances on ports 7000-7002, DDS domain 10; Ctrl-C stops them', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Five instances in the background (stop them with `chatdds cluster down`)', command: '<%= config.bin %> <%= command.id %> -n 5 --detach'},
    {
      description: 'Another cluster beside the first one',
      command: '<%= config.bin %> <%= command.id %> --base-port 7100 --domain 11 --dir .chatdds/second --detach',
    },
    {description: 'Three instances with DDS Security (authenticated, encrypted)', command: '<%= config.bin %> <%= command.id %> --secure'},
    {description: 'No per-client rate limit on any instance (benchmarks)', command: '<%= config.bin %> <%= command.id %> --rate-limit off'},
    {description: 'Start in the background and read the manifest', command: '<%= config.bin %> <%= command.id %> --detach --json | jq .instances'},
  ]

  static enableJsonFlag = true

  static flags = {
    instances: Flags.integer({char: 'n', description: `Number of instances (1-${MAX_INSTANCES}).`, default: 3}),
    'base-port': Flags.integer({description: 'Port of chat-1; chat-i listens on base-port + i - 1.', default: 7000}),
    domain: Flags.integer({description: 'DDS domain id.', default: 10}),
    dir: Flags.string({description: 'Run directory: rtps.ini, cluster.json, one log per instance.', default: DEFAULT_RUN_DIR}),
    detach: Flags.boolean({description: 'Return once the cluster is ready and leave it running.'}),
    timeout: secondsFlag({description: 'Seconds to wait for the cluster to be ready (decimals allowed).', default: 60}),
    force: Flags.boolean({description: 'Start even when other chatdds instances already use the DDS domain (this cluster then merges with them).'}),
    secure: Flags.boolean({description: 'DDS Security: a PKI in the run directory, an identity per instance and one for `chatdds spy --dir`.'}),
    ...rateLimitFlags,
  }

  async run(): Promise<ReadyManifest | undefined> {
    const {flags} = await this.parse(ClusterUp)
    const options = {
      instances: flags.instances,
      basePort: flags['base-port'],
      domain: flags.domain,
      dir: flags.dir,
      detach: flags.detach,
      timeoutMs: flags.timeout * 1000,
      secure: flags.secure,
      force: flags.force,
      serveFlags: rateLimitArgs({perSecond: flags['rate-limit'], burst: flags['rate-burst']}),
    }
    validateClusterOptions(options)
    const cluster = new Cluster(options)
    // A second Ctrl-C must not cut short the stopping of the instances.
    const stop = this.stopSignal({ignoreRepeats: true})
    stop.addEventListener('abort', () => void cluster.stop())
    const manifest = await this.start(cluster, flags.instances)
    if (!manifest) {
      // Stopped by a signal before it was ready: the instances started so far are stopped; exit as the shell would.
      const reason = stop.reason as StopReason
      this.logToStderr(`Start-up interrupted by ${reason}; the instances started so far are stopped.`)
      this.exit(reason === 'SIGTERM' ? 143 : 130)
    }
    if (flags.detach) {
      cluster.detach()
      if (!this.jsonEnabled()) this.log(readyReport(manifest, flags.dir, true, invocation(this.config.bin)))
      return manifest
    }
    if (this.jsonEnabled()) {
      this.logJson(manifest)
    } else {
      this.log(readyReport(manifest, flags.dir, false, invocation(this.config.bin)))
      const width = Math.max(...manifest.instances.map((instance) => instance.name.length))
      // manifest.instances grows when `cluster scale` adds instances (the cluster adopts them).
      cluster.on('line', (index, line) => this.log(logLine(manifest.instances[index].name, index, width, line)))
      cluster.follow()
    }
    cluster.on('exit', (index, exit) => this.logToStderr(exitReport(manifest.instances[index].name, exit, cluster.running)))
    cluster.on('adopted', (_, instance, added) => this.logToStderr(adoptedReport(instance, added, cluster.running)))
    if ((await cluster.ended) === 'exited') this.error(`Every instance has exited; their logs are in ${manifest.runDir}.`, {exit: 1})
    return undefined
  }

  /** Starts the cluster with a spinner on a terminal; undefined when a signal stopped it first. */
  private async start(cluster: Cluster, count: number): Promise<ReadyManifest | undefined> {
    const spinner = !this.jsonEnabled() && Boolean(process.stderr.isTTY)
    if (spinner) {
      ux.action.start(`Starting ${count} instance${count === 1 ? '' : 's'}`)
      cluster.on('progress', (status) => (ux.action.status = status))
    }
    try {
      const manifest = await cluster.start()
      if (spinner) ux.action.stop(manifest ? `ready in ${(manifest.readyMs / 1000).toFixed(1)} s` : 'interrupted')
      return manifest
    } catch (error) {
      if (spinner) ux.action.stop('failed')
      if (error instanceof ClusterStartError && error.instance && error.lastLines.length > 0) {
        this.logToStderr(lastLinesReport(error.instance, error.lastLines))
      }
      throw error
    }
  }
}
