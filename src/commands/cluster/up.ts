import {Flags, ux} from '@oclif/core'

import {BaseCommand} from '../../cli/baseCommand.js'
import {rateLimitFlags} from '../../cli/rateFlags.js'
import {rateLimitArgs} from '../../lib/chat/rateLimit.js'
import {
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
stops every instance (SIGTERM, SIGKILL after 2 s) and exits 0. If \`cluster up\` itself dies, even by SIGKILL, its \
instances shut down too (they watch their IPC channel). An instance that dies while the cluster runs is reported at \
once with its exit code and last log lines; the others keep running (kill one to see the rest carry on), and \
\`cluster up\` exits 1 once no instance is left.

--detach returns once the cluster is ready and leaves it running; see \`cluster status\`, \`cluster logs\`, \`cluster down\`.

--secure joins every instance with DDS Security (README, "Security"): a fresh PKI in the run directory's security/ \
(\`chatdds security init\`), an identity per instance (chat-1 … chat-N) and a read-only one, spy, with which \
\`chatdds spy --dir <run dir>\` reads the cluster; only these participants can read or write its topics, and all its DDS \
traffic is encrypted.

Errors: a port already in use (exit 1, pick another --base-port), an instance that fails to start (exit 1, its last \
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
    timeout: Flags.integer({description: 'Seconds to wait for the cluster to be ready.', default: 60, min: 1}),
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
      serveFlags: rateLimitArgs({perSecond: flags['rate-limit'], burst: flags['rate-burst']}),
    }
    validateClusterOptions(options)
    const cluster = new Cluster(options)
    // A second Ctrl-C must not cut short the stopping of the instances.
    this.stopSignal({ignoreRepeats: true}).addEventListener('abort', () => void cluster.stop())
    const manifest = await this.start(cluster, flags.instances)
    if (!manifest) return undefined
    if (flags.detach) {
      cluster.detach()
      if (!this.jsonEnabled()) this.log(readyReport(manifest, flags.dir, true))
      return manifest
    }
    if (this.jsonEnabled()) {
      this.logJson(manifest)
    } else {
      this.log(readyReport(manifest, flags.dir, false))
      const names = manifest.instances.map((instance) => instance.name)
      const width = Math.max(...names.map((name) => name.length))
      cluster.on('line', (index, line) => this.log(logLine(names[index], index, width, line)))
      cluster.follow()
    }
    cluster.on('exit', (index, exit) => this.logToStderr(exitReport(manifest.instances[index].name, exit, cluster.running)))
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
      if (spinner) ux.action.stop(manifest ? `ready in ${(manifest.readyMs / 1000).toFixed(1)} s` : 'failed')
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
