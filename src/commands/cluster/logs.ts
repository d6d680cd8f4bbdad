import {Command, Flags} from '@oclif/core'

import {runDirFlag} from '../../lib/cluster/flags.js'
import {clusterLogs, followClusterLogs, logLine} from '../../lib/cluster/index.js'
import {ChatddsError} from '../../lib/errors.js'
import {exitOnEpipe} from '../../lib/ui.js'

export default class ClusterLogs extends Command {
  static summary = 'Print the logs of a local cluster\'s instances.'

  static description = `Prints each instance's log file (stdout and stderr of its \`chatdds serve\`), every line \
prefixed with the instance's name. With -f, then follows the logs as they grow, interleaved, until Ctrl-C or until no \
instance is left running. No cluster in --dir: says so and exits 0.`

  static examples = [
    {description: 'Every instance\'s log so far', command: '<%= config.bin %> <%= command.id %>'},
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
    exitOnEpipe()
    const {flags} = await this.parse(ClusterLogs)
    let logs
    try {
      logs = clusterLogs(flags.dir, {instance: flags.instance, lines: flags.lines})
    } catch (error) {
      if (error instanceof ChatddsError) this.error(error.message, {exit: error.exit, code: error.code})
      throw error
    }
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
    const stop = () => following.close()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    try {
      await following.ended
    } finally {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
    }
  }
}
