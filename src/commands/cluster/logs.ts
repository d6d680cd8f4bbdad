import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/baseCommand.js'
import {runDirFlag} from '../../cli/flags.js'
import {clusterLogs, followClusterLogs, logLine} from '../../lib/cluster/index.js'

export default class ClusterLogs extends BaseCommand {
  static summary = "Print the logs of a local cluster's instances."

  static description = `Prints each instance's log file (stdout and stderr of its \`chatdds serve\`), every line \
prefixed with the instance's name. With -f, then follows the logs as they grow, interleaved, until Ctrl-C or until no \
instance is left running. No cluster in --dir: says so and exits 0.`

  static examples = [
    {description: "Every instance's log so far", command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Follow chat-2 only', command: '<%= config.bin %> <%= command.id %> --instance chat-2 -f'},
    {description: 'The last 20 lines of each, then follow', command: '<%= config.bin %> <%= command.id %> --lines 20 -f'},
  ]

  static flags = {
    dir: runDirFlag,
    instance: Flags.string({char: 'i', description: 'Only this instance (chat-1, chat-2…).'}),
    follow: Flags.boolean({char: 'f', description: 'Keep printing lines as they are logged.'}),
    lines: Flags.integer({description: 'Only the last N lines of each log (before following).', min: 0}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(ClusterLogs)
    const logs = clusterLogs(flags.dir, {instance: flags.instance, lines: flags.lines})
    if (!logs.manifest) {
      this.log(`No cluster in ${logs.runDir}; start one with \`chatdds cluster up\`.`)
      return
    }
    const width = Math.max(...logs.logs.map((log) => log.name.length))
    for (const log of logs.logs) for (const line of log.lines) this.log(logLine(log.name, log.index, width, line))
    if (!flags.follow) return
    const following = followClusterLogs(logs.manifest, logs.logs)
    following.follower.on('line', (position, line) => {
      const log = logs.logs[position]
      this.log(logLine(log.name, log.index, width, line))
    })
    this.stopSignal().addEventListener('abort', () => following.close())
    await following.ended
  }
}
