import {Flags, ux} from '@oclif/core'

import {BaseCommand} from '../../cli/baseCommand.js'
import {drillFlags, readyTimeoutFlag} from '../../cli/drill.js'
import {invocation} from '../../cli/notFound.js'
import {MAX_INSTANCES} from '../../lib/cluster/cluster.js'
import {scaleReport} from '../../lib/cluster/drillRender.js'
import {type ScaleResult, scaleCluster} from '../../lib/cluster/drills.js'

export default class ClusterScale extends BaseCommand {
  static summary = 'Grow or shrink a running cluster to N instances.'

  static description = `Growing: starts chat-(k+1) … chat-N on the next ports (chat-i on chat-1's port + i - 1, as \
\`cluster up\` numbers them), with the cluster's rtps.ini (regenerated first when its SpdpSendAddrs must list more \
participant ids) and, on a \`--secure\` cluster, an identity issued from its PKI for each; waits until every new instance \
is ready and connected to every ready instance (the same readiness as \`cluster up\`), and adds them to the manifest. \
They run detached; a foreground \`cluster up\` adopts them (see \`cluster restart --help\`).

Shrinking: stops the highest-numbered instances (SIGTERM, SIGKILL after 2 s) and removes them from the manifest.

N is from 1 to ${MAX_INSTANCES}. Exit 1 when a port is taken, an instance cannot be made ready, or the cluster is \
stopped; exit 2 for a bad N.`

  static examples = [
    {description: 'Add a fourth instance to a cluster of three', command: '<%= config.bin %> <%= command.id %> -n 4'},
    {description: 'Back to two', command: '<%= config.bin %> <%= command.id %> -n 2'},
    {description: 'The instances afterwards, as JSON', command: '<%= config.bin %> <%= command.id %> -n 5 --json | jq ".instances[].name"'},
  ]

  static enableJsonFlag = true

  static flags = {
    ...drillFlags,
    instances: Flags.integer({char: 'n', description: `Number of instances afterwards (1-${MAX_INSTANCES}).`, required: true}),
    timeout: readyTimeoutFlag,
  }

  async run(): Promise<ScaleResult> {
    const {flags} = await this.parse(ClusterScale)
    const run = invocation(this.config.bin)
    const spinner = !this.jsonEnabled() && Boolean(process.stderr.isTTY)
    if (spinner) ux.action.start(`Scaling to ${flags.instances} instances`)
    try {
      const result = await scaleCluster(flags.dir, flags.instances, {bin: run, timeoutMs: flags.timeout * 1000, signal: this.stopSignal()})
      if (spinner) ux.action.stop('done')
      this.log(scaleReport(result, run, flags.dir))
      return result
    } catch (error) {
      if (spinner) ux.action.stop('failed')
      throw error
    }
  }
}
