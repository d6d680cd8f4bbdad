import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/baseCommand.js'
import {runDirFlag, sinceFlag} from '../../cli/flags.js'
import {clusterLogs, followClusterLogs, logLine} from '../../lib/cluster/index.js'

export default class ClusterLogs extends BaseCommand {
  static summary = "Print the logs of a local cluster's instances."

  static description = `Prints each instance's log file (stdout and stderr of its \`chatdds serve\`), every line \
prefixed with the instance's name; each line starts with the ISO time it was logged at, which --since filters on (a \
line without one, such as a stack trace, goes with the line before it). --lines 0 prints none of the past. With -f, then follows the logs as they grow, interleaved, until Ctrl-C or until no \
instance is left running. No cluster in --dir: says so and exits 0.`

  static examples = [
    {description: "Every instance's log so far", command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Follow chat-2 only', command: '<%= config.bin %> <%= command.id %> --instance chat-2 -f'},
    {description: 'The last 20 lines of each, then follow', command: '<%= config.bin %> <%= command.id %> --lines 20 -f'},
    {description: 'What the last 10 minutes logged', command: '<%= config.bin %> <%= command.id %> --since 10m'},
    {description: 'Only what is logged from now on', command: '<%= config.bin %> <%= command.id %> --lines 0 -f'},
  ]

  static flags = {
    dir: runDirFlag,
    instance: Flags.string({char: 'i', description: 'Only this instance (chat-1, chat-2…).'}),
    follow: Flags.boolean({char: 'f', description: 'Keep printing lines as they are logged.'}),
    lines: Flags.integer({description: 'Only the last N lines of each log (before following); 0: none.', min: 0}),
    since: sinceFlag({description: 'Only lines logged since then: a duration ago (30s, 10m, 2h, 1d) or an ISO time.', helpValue: '10m|ISO-TIME'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(ClusterLogs)
    const logs = clusterLogs(flags.dir, {instance: flags.instance, lines: flags.lines, since: flags.since})
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
