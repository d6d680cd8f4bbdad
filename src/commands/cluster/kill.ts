import {BaseCommand} from '../../cli/baseCommand.js'
import {drillFlags, instanceArg} from '../../cli/drill.js'
import {invocation} from '../../cli/notFound.js'
import {drillReport} from '../../lib/cluster/drillRender.js'
import {type DrillResult, killInstance} from '../../lib/cluster/drills.js'

export default class ClusterKill extends BaseCommand {
  static summary = 'Kill one instance of a running cluster (SIGKILL), as a crash would; the others keep running.'

  static description = `A fault drill: sends SIGKILL to instance NAME of the cluster in --dir (started by \`cluster up\`, \
in the foreground or with --detach), after checking that its pid still is this cluster's \`chatdds serve\`, and records \
the kill in the manifest: \`cluster status\` shows it killed. The other instances keep running and keep exchanging \
messages; a foreground \`cluster up\` reports the exit and carries on. \`cluster restart NAME\` brings it back.

Exit 1 when the instance is not running or the cluster is stopped; exit 2 for an unknown NAME (the error lists the names).`

  static examples = [
    {description: 'Kill chat-2 and watch the others carry on', command: '<%= config.bin %> <%= command.id %> chat-2'},
    {description: 'The same in another run directory, as JSON', command: '<%= config.bin %> <%= command.id %> chat-1 --dir .chatdds/second --json'},
  ]

  static enableJsonFlag = true

  static args = {name: instanceArg}

  static flags = drillFlags

  async run(): Promise<DrillResult> {
    const {args, flags} = await this.parse(ClusterKill)
    const run = invocation(this.config.bin)
    const result = await killInstance(flags.dir, args.name, {bin: run})
    this.log(drillReport(result, run, flags.dir))
    return result
  }
}
