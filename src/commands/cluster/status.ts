import {BaseCommand} from '../../cli/baseCommand.js'
import {runDirFlag} from '../../cli/flags.js'
import {clusterStatus, type ClusterStatus, statusReport} from '../../lib/cluster/index.js'

export default class ClusterStatusCommand extends BaseCommand {
  static summary = 'Show the instances of a local cluster: alive/ready, clients, messages, DDS peers.'

  static description = `Reads the manifest in --dir (written by \`cluster up\`), then asks each instance for /readyz \
(ready, matched DDS readers and writers, discovered peers) and /metrics (connected clients, messages in from and out to \
websocket clients).

STATE (and "state" in --json) is ready (/readyz answers 200), not ready (it answers 503: DDS or the history hand-over \
is not done), no answer (the process runs but does not answer HTTP, e.g. hung), paused (stopped by SIGSTOP, e.g. \
\`cluster pause\`), killed (by \`cluster kill\`) or dead.

Exit status is 0 whenever the status could be read, also when there is no cluster in --dir (it says so; with --json, \
"found": false) or when instances are dead (STATE dead; "alive": false): status reports, it does not judge.`

  static examples = [
    {description: 'The cluster in .chatdds/cluster', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Count the ready instances', command: '<%= config.bin %> <%= command.id %> --json | jq "[.instances[] | select(.ready)] | length"'},
  ]

  static enableJsonFlag = true

  static flags = {
    dir: runDirFlag,
  }

  async run(): Promise<ClusterStatus> {
    const {flags} = await this.parse(ClusterStatusCommand)
    const status = await clusterStatus(flags.dir)
    if (!status.found) this.log(`No cluster in ${status.runDir}; start one with \`chatdds cluster up\`.`)
    else if (status.state === 'stopped' && !status.running)
      this.log(`The cluster in ${status.runDir} was stopped at ${status.stoppedAt}; start one with \`chatdds cluster up\`.`)
    else this.log(statusReport(status))
    return status
  }
}
