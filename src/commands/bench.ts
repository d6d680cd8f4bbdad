import {BaseCommand} from '../cli/baseCommand.js'
import {boundedIntegerFlag, rateFlag, roomFlag, secondsFlag, shapeFlag, tokenFlag} from '../cli/flags.js'
import {invocation} from '../cli/notFound.js'
import {resolveTarget, targetFlags} from '../cli/target.js'
import {MAX_CLIENTS, MAX_MESSAGES, RATE_ROOM_SIZE, type Shape, SHAPES} from '../lib/bench/plan.js'
import {failure, progressBar, rateNote, renderReport} from '../lib/bench/render.js'
import {type BenchResult, DEFAULT_QUIET_MS, runBench} from '../lib/bench/run.js'

const DEFAULTS: Record<Shape, {clients: number; messages: number}> = {fanout: {clients: 100, messages: 1000}, rate: {clients: 30, messages: 1000}}

export default class Bench extends BaseCommand {
  static summary = 'Load-test a running cluster: count every delivery, measure deliveries/s and latency.'

  static description = `Connects chatdds.v1 clients to every instance of the cluster (those of --dir, or --port), sends \
numbered, timestamped messages and checks every delivery at every receiver: lost, duplicated, latency.

Shapes:
  fanout  one sender per instance, --clients receivers in one room dealt over the instances: each message reaches \
every receiver (deliveries = instances × --messages × --clients). Defaults: 100 clients, 1000 messages.
  rate    rooms of ${RATE_ROOM_SIZE} receivers with one sender each, receivers dealt over the instances after their sender's: \
few deliveries per message, so the per-message cost of the backplane dominates (deliveries = --messages × --clients). \
Defaults: 30 clients, 1000 messages.

Senders write as fast as their sockets and a window of unacknowledged messages allow, or --rate messages/s in total. \
A send the server refuses as rate_limited or busy is counted, shown, and sent again after a pause. After the last \
acknowledgement the run waits until every delivery arrived, ${DEFAULT_QUIET_MS / 1000} s pass without one, or --timeout.

Exit 0 when nothing was lost or duplicated, 1 otherwise (with the count), 2 on bad usage. Ctrl-C stops and reports \
what was measured for the messages acknowledged so far. One bench process drives up to ${MAX_CLIENTS} receivers (and their senders) in \
one thread; measured: 150 receivers at 270,000 deliveries/s took it about 0.7 of a core. It shares the machine with \
the servers when both run here: on a small machine, compare runs, not absolute figures.`

  static enableJsonFlag = true

  static flags = {
    ...targetFlags,
    shape: shapeFlag({description: `Load shape: ${SHAPES.join(' or ')}.`, default: 'fanout', helpValue: SHAPES.join('|')}),
    clients: boundedIntegerFlag(MAX_CLIENTS)({description: `Receiving clients (1-${MAX_CLIENTS}) [default: 100 for fanout, 30 for rate].`, helpValue: 'N'}),
    messages: boundedIntegerFlag(MAX_MESSAGES)({description: `Messages per sender (1-${MAX_MESSAGES.toLocaleString('en-US')}) [default: 1000].`, helpValue: 'M'}),
    rate: rateFlag({description: 'Messages per second, all senders together [default: as fast as the servers take them].', helpValue: 'R'}),
    room: roomFlag({description: 'Room to use (fanout), or prefix of the rooms (rate) [default: bench-<random>].'}),
    token: tokenFlag,
    timeout: secondsFlag({description: 'Seconds to wait for a connection, for an ack, and for the deliveries after the last ack.', default: 10}),
  }

  static examples = [
    {description: 'Fan-out load on the cluster of this directory (`cluster up`)', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Many small rooms: the per-message cost', command: '<%= config.bin %> <%= command.id %> --shape rate --clients 300 --messages 2000'},
    {description: 'A paced run against two servers, as JSON', command: '<%= config.bin %> <%= command.id %> --port 7000,7001 --rate 500 --messages 5000 --json'},
  ]

  /** One line, so that the result is the last line of stdout (`| tail -1 | jq`), also under --json errors. */
  logJson(json: unknown): void {
    process.stdout.write(JSON.stringify(json) + '\n')
  }

  async run(): Promise<BenchResult> {
    const {flags} = await this.parse(Bench)
    const bin = invocation(this.config.bin)
    const target = resolveTarget(flags, bin)
    const defaults = DEFAULTS[flags.shape]
    const bar = progressBar(!flags.json)
    let result: BenchResult
    try {
      result = await runBench({
        host: target.host,
        ports: target.ports,
        shape: flags.shape,
        clients: flags.clients ?? defaults.clients,
        messages: flags.messages ?? defaults.messages,
        rate: flags.rate,
        room: flags.room,
        token: flags.token,
        timeoutMs: flags.timeout * 1000,
        signal: this.stopSignal(),
        onProgress: (progress) => bar.update(progress),
      })
    } finally {
      bar.stop()
    }

    if (!flags.json) this.log(renderReport(result))
    const note = rateNote(result)
    // process.stderr, not logToStderr: oclif silences that under --json, and these sentences say why the figures are what they are.
    if (note) process.stderr.write(note + '\n')
    const failed = failure(result, bin, target.runDir)
    if (failed) {
      if (!flags.json) this.error(failed, {exit: 1})
      // --json: the result stays the last line of stdout, the sentence goes to stderr.
      process.stderr.write(`Error: ${failed}\n`)
      process.exitCode = 1
    }
    return result
  }
}
