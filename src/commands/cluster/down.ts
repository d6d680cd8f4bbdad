import {BaseCommand} from '../../cli/baseCommand.js'
import {runDirFlag} from '../../cli/flags.js'
import {type DownResult, stopCluster} from '../../lib/cluster/index.js'

export default class ClusterDown extends BaseCommand {
  static summary = 'Stop a local cluster started with `cluster up`.'

  static description = `Sends SIGTERM to every instance listed in the manifest in --dir (and to a foreground \
\`cluster up\`), waits until they are gone, SIGKILLs any still running after 5 s, and marks the manifest stopped (the \
run directory and its logs stay for \`cluster logs\`). A pid is only signalled after checking that it still is this \
cluster's \`chatdds serve\` (its command line names the cluster's rtps.ini), so a reused pid is never touched.

Running it again, or with no cluster in --dir, says so and exits 0.`

  static examples = [
    {description: 'Stop the cluster in .chatdds/cluster', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Stop another one', command: '<%= config.bin %> <%= command.id %> --dir .chatdds/second'},
  ]

  static enableJsonFlag = true

  static flags = {
    dir: runDirFlag,
  }

  async run(): Promise<DownResult> {
    const {flags} = await this.parse(ClusterDown)
    const result = await stopCluster(flags.dir)
    if (!result.found) {
      this.log(`No cluster in ${result.runDir}; nothing to stop.`)
    } else if (result.stopped.length === 0) {
      this.log(`No instance of the cluster in ${result.runDir} is running; nothing to stop.`)
    } else {
      const killed = result.killed.length > 0 ? ` (${result.killed.join(', ')} needed SIGKILL)` : ''
      this.log(`Stopped ${result.stopped.join(', ')}${killed}; logs stay in ${result.runDir}.`)
    }
    if (result.skipped.length > 0) this.warn(`Left alone: the pids of ${result.skipped.join(', ')} now belong to other programs.`)
    return result
  }
}
