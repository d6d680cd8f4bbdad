import {BaseCommand} from '../../cli/baseCommand.js'
import {drillFlags, instanceArg} from '../../cli/drill.js'
import {invocation} from '../../cli/notFound.js'
import {drillReport} from '../../lib/cluster/drillRender.js'
import {type DrillResult, pauseInstance} from '../../lib/cluster/drills.js'

export default class ClusterPause extends BaseCommand {
  static summary = 'Pause one instance of a running cluster (SIGSTOP), as a stall would; `cluster resume` lets it run.'

  static description = `A fault drill: sends SIGSTOP to instance NAME of the cluster in --dir, after checking that its \
pid still is this cluster's \`chatdds serve\`. The process keeps its sockets but runs no code: its websocket clients get \
nothing, its peers stop hearing from it and, after the DDS lease, consider it gone. \`cluster status\` shows it paused \
(its /proc state is T). \`cluster resume NAME\` continues it; it then reconciles with its peers by message id.

Pausing a paused instance says so and exits 0. Exit 1 when the instance is not running or the cluster is stopped; \
exit 2 for an unknown NAME.`

  static examples = [
    {description: 'Stall chat-2', command: '<%= config.bin %> <%= command.id %> chat-2'},
    {description: 'Stall it for 30 s', command: '<%= config.bin %> <%= command.id %> chat-2 && sleep 30 && <%= config.bin %> cluster resume chat-2'},
  ]

  static enableJsonFlag = true

  static args = {name: instanceArg}

  static flags = drillFlags

  async run(): Promise<DrillResult> {
    const {args, flags} = await this.parse(ClusterPause)
    const run = invocation(this.config.bin)
    const result = await pauseInstance(flags.dir, args.name, true, {bin: run})
    this.log(drillReport(result, run, flags.dir))
    return result
  }
}
