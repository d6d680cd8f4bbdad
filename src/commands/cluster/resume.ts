import {BaseCommand} from '../../cli/baseCommand.js'
import {drillFlags, instanceArg} from '../../cli/drill.js'
import {invocation} from '../../cli/notFound.js'
import {drillReport} from '../../lib/cluster/drillRender.js'
import {type DrillResult, pauseInstance} from '../../lib/cluster/drills.js'

export default class ClusterResume extends BaseCommand {
  static summary = 'Resume an instance paused by `cluster pause` (SIGCONT).'

  static description = `Sends SIGCONT to instance NAME of the cluster in --dir, after checking that its pid still is this \
cluster's \`chatdds serve\`. It runs again, rejoins its peers over DDS and reconciles what it missed by message id; \
\`cluster status\` shows it ready again once its /readyz says so.

Resuming an instance that is not paused says so and exits 0. Exit 1 when the instance is not running or the cluster is \
stopped; exit 2 for an unknown NAME.`

  static examples = [
    {description: 'Let chat-2 run again', command: '<%= config.bin %> <%= command.id %> chat-2'},
    {description: 'And show its state', command: '<%= config.bin %> <%= command.id %> chat-2 --json | jq -r .instance.state'},
  ]

  static enableJsonFlag = true

  static args = {name: instanceArg}

  static flags = drillFlags

  async run(): Promise<DrillResult> {
    const {args, flags} = await this.parse(ClusterResume)
    const run = invocation(this.config.bin)
    const result = await pauseInstance(flags.dir, args.name, false, {bin: run})
    this.log(drillReport(result, run, flags.dir))
    return result
  }
}
