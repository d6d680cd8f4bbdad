import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/baseCommand.js'
import {hostFlag, nameFlag, nonNegativeIntegerFlag, portsFlag, positiveIntegerFlag, roomsFlag, secondsFlag, tokenFlag} from '../cli/flags.js'
import {type MessageFrame, messageRecord} from '../lib/wire/index.js'
import {tail, type TailResult} from '../lib/client/tail.js'
import {clock, color, errColor, printable} from '../lib/ui.js'

export default class Tail extends BaseCommand {
  static summary = 'Print chat messages as they arrive.'

  static description = `Joins the rooms on a chatdds server (chatdds.v1) and prints every message, one per line: \
"HH:MM:SS.mmm #room sender: text" (sender "-" for plain messages from non-chatdds clients).

When the connection drops, tail reconnects (backoff 100 ms up to 2 s), trying the next --port in the list, and resumes \
every room from the last message it printed: nothing missed, nothing printed twice. Status lines go to stderr.

Ending: with --count, tail exits 0 after N messages and exits 1 if --timeout passes first. Without --count, --timeout \
simply ends it (exit 0). Ctrl-C exits 0.

--json prints NDJSON, one object per message as it arrives ({"id","room","from","text","ts","origin"}), instead of \
one JSON document at exit, because a stream is only useful while it streams (pipe it into jq, or head -n).`

  static flags = {
    port: portsFlag({
      char: 'p',
      description: 'Port(s) of chatdds servers: 7000 or 7000,7001,7002; reconnects rotate through them.',
      required: true,
    }),
    host: hostFlag,
    room: roomsFlag({char: 'r', description: 'Room to follow (repeat for several).', default: ['general']}),
    count: positiveIntegerFlag({char: 'n', description: 'Exit 0 after this many messages.'}),
    timeout: secondsFlag({description: 'Stop after this many seconds (exit 1 if --count was not reached, else 0).'}),
    history: nonNegativeIntegerFlag({description: 'First print the last N messages of each room.'}),
    name: nameFlag,
    token: tokenFlag,
    json: Flags.boolean({description: 'Print NDJSON: one JSON object per message, as it arrives.'}),
  }

  static examples = [
    {description: 'Follow #general on the instance on port 7000', command: '<%= config.bin %> <%= command.id %> --port 7000'},
    {
      description: 'Follow two rooms across a 3-instance cluster, surviving the loss of an instance',
      command: '<%= config.bin %> <%= command.id %> -p 7000,7001,7002 --room general --room random',
    },
    {description: 'Wait (10 s at most) for the next 3 messages, as NDJSON', command: '<%= config.bin %> <%= command.id %> -p 7000 --count 3 --timeout 10 --json'},
    {description: 'The last 20 messages, then live ones, into jq', command: '<%= config.bin %> <%= command.id %> -p 7000 --history 20 --json | jq -r .text'},
  ]

  async run(): Promise<TailResult> {
    const {flags} = await this.parse(Tail)
    const print = flags.json
      ? (message: MessageFrame) => process.stdout.write(JSON.stringify(messageRecord(message)) + '\n')
      : (message: MessageFrame) => process.stdout.write(render(message) + '\n')

    const session = tail(
      {
        host: flags.host,
        ports: flags.port,
        rooms: flags.room,
        count: flags.count,
        timeoutMs: flags.timeout === undefined ? undefined : flags.timeout * 1000,
        history: flags.history,
        name: flags.name,
        token: flags.token,
      },
      print,
      (notice) => process.stderr.write(errColor.yellow(notice) + '\n'),
    )
    this.stopSignal().addEventListener('abort', () => void session.close())
    return session.done
  }
}

function render(message: MessageFrame): string {
  const time = clock(typeof message.ts === 'number' ? message.ts : Date.now())
  return `${color.dim(time)} ${color.cyan('#' + printable(message.room))} ${color.bold(message.from === null ? '-' : printable(message.from))}: ${printable(message.text)}`
}
