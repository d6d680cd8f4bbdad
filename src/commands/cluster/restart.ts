import {ux} from '@oclif/core'

import {BaseCommand} from '../../cli/baseCommand.js'
import {drillFlags, instanceArg, readyTimeoutFlag} from '../../cli/drill.js'
import {invocation} from '../../cli/notFound.js'
import {drillReport} from '../../lib/cluster/drillRender.js'
import {type DrillResult, restartInstance} from '../../lib/cluster/drills.js'

export default class ClusterRestart extends BaseCommand {
  static summary = 'Restart one instance of a running cluster with its name, port and options; it gets its history from its peers.'

  static description = `Stops instance NAME of the cluster in --dir if it still runs (SIGTERM, SIGKILL after 2 s; only if \
its pid still is this cluster's \`chatdds serve\`), then starts a new \`chatdds serve\` exactly as \`cluster up\` did: same \
name, port, rtps.ini, DDS Security identity and log file (appended to). It waits until the instance is ready and \
connected to every ready instance (the same readiness as \`cluster up\`: /readyz 200 with every reader matched, which \
includes the history hand-over, and a probe message through each), and records the new pid in the manifest. The rooms' \
history, messages sent while it was down included, comes from its peers. Works for an instance killed by \`cluster kill\` \
or dead on its own.

The new process runs detached. Under a foreground \`cluster up\`, that process adopts it from the manifest: it follows its \
log, reports its exit and stops it on Ctrl-C (but, having no IPC channel to it, cannot take it along if \`cluster up\` \
itself is SIGKILLed: stop it then with \`cluster down\`).

Exit 1 when it could not be made ready (its last log lines are named) or the cluster is stopped; exit 2 for an unknown NAME.`

  static examples = [
    {description: 'Bring back chat-2 after `cluster kill chat-2`', command: '<%= config.bin %> <%= command.id %> chat-2'},
    {description: 'Restart it and read its history', command: '<%= config.bin %> <%= command.id %> chat-2 && <%= config.bin %> tail --instance chat-2 --history 20'},
  ]

  static enableJsonFlag = true

  static args = {name: instanceArg}

  static flags = {...drillFlags, timeout: readyTimeoutFlag}

  async run(): Promise<DrillResult> {
    const {args, flags} = await this.parse(ClusterRestart)
    const run = invocation(this.config.bin)
    const spinner = !this.jsonEnabled() && Boolean(process.stderr.isTTY)
    if (spinner) ux.action.start(`Restarting ${args.name}`)
    try {
      const result = await restartInstance(flags.dir, args.name, {bin: run, timeoutMs: flags.timeout * 1000, signal: this.stopSignal()})
      if (spinner) ux.action.stop('ready')
      this.log(drillReport(result, run, flags.dir))
      return result
    } catch (error) {
      if (spinner) ux.action.stop('failed')
      throw error
    }
  }
}
