import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/baseCommand.js'
import {nameFlag, nonNegativeIntegerFlag, positiveIntegerFlag, roomsFlag, secondsFlag, tokenFlag} from '../cli/flags.js'
import {invocation} from '../cli/notFound.js'
import {renderMessage} from '../cli/render.js'
import {resolveTarget, targetFlags} from '../cli/target.js'
import {type MessageFrame, messageRecord} from '../lib/wire/index.js'
import {tail, type TailResult} from '../lib/client/tail.js'
import {errColor} from '../lib/ui.js'

export default class Tail extends BaseCommand {
  static summary = 'Print chat messages as they arrive.'

  static description = `Joins the rooms on a chatdds server (chatdds.v1) and prints every message, one per line: \
"HH:MM:SS.mmm #room sender: text" (sender "-" for plain messages from non-chatdds clients).

Without --port, tail follows the cluster that \`cluster up\` started in this directory or the nearest parent \
(.chatdds/cluster; --dir names another), on chat-1 or --instance.

When the connection drops, tail reconnects (backoff 100 ms up to 2 s), trying the next server in turn: the other --port \
values, then the cluster's other instances that the server named when tail connected (so one --port is enough). It resumes \
every room from the last message it printed: nothing missed, nothing printed twice. Status lines go to stderr \
(on a terminal, one at start saying what it follows).

Ending: with --count, tail exits 0 after N messages and exits 1 if --timeout passes first. Without --count, --timeout \
simply ends it (exit 0). Ctrl-C exits 0.

--json prints NDJSON, one object per message as it arrives ({"id","room","from","text","ts","origin"}), instead of \
one JSON document at exit, because a stream is only useful while it streams (pipe it into jq, or head -n).`

  static flags = {
    ...targetFlags,
    room: roomsFlag({char: 'r', description: 'Room to follow (repeat for several).', default: ['general']}),
    count: positiveIntegerFlag({char: 'n', description: 'Exit 0 after this many messages.'}),
    timeout: secondsFlag({description: 'Stop after this many seconds (exit 1 if --count was not reached, else 0).'}),
    history: nonNegativeIntegerFlag({description: 'First print the last N messages of each room.'}),
    name: nameFlag,
    token: tokenFlag,
    json: Flags.boolean({description: 'Print NDJSON: one JSON object per message, as it arrives.'}),
  }

  static examples = [
    {description: 'Follow #general of the cluster started here (or in a parent directory) by `cluster up`', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'The same through its instance chat-2', command: '<%= config.bin %> <%= command.id %> --instance chat-2'},
    {description: 'Follow #general on the instance on port 7000, failing over to its cluster', command: '<%= config.bin %> <%= command.id %> --port 7000'},
    {description: 'Follow two rooms', command: '<%= config.bin %> <%= command.id %> --room general --room random'},
    {description: 'Wait (10 s at most) for the next 3 messages, as NDJSON', command: '<%= config.bin %> <%= command.id %> -p 7000 --count 3 --timeout 10 --json'},
    {description: 'The last 20 messages, then live ones, into jq', command: '<%= config.bin %> <%= command.id %> -p 7000 --history 20 --json | jq -r .text'},
  ]

  async run(): Promise<TailResult> {
    const {flags} = await this.parse(Tail)
    const target = resolveTarget(flags, invocation(this.config.bin))
    const print = flags.json
      ? (message: MessageFrame) => process.stdout.write(JSON.stringify(messageRecord(message)) + '\n')
      : (message: MessageFrame) => process.stdout.write(renderMessage(message) + '\n')
    const notice = (line: string) => process.stderr.write(errColor.yellow(line) + '\n')
    const rooms = flags.room.map((room) => `#${room}`).join(', ')

    const session = tail(
      {
        host: target.host,
        ports: target.ports,
        rooms: flags.room,
        count: flags.count,
        timeoutMs: flags.timeout === undefined ? undefined : flags.timeout * 1000,
        history: flags.history,
        name: flags.name,
        token: flags.token,
        // For the person watching; scripts that read stderr get only what went wrong.
        onConnect: ({url, instance, resumed}) => {
          if (!resumed && process.stderr.isTTY) process.stderr.write(errColor.dim(`Following ${rooms} on ${url} (${instance}; Ctrl-C to stop)`) + '\n')
        },
      },
      print,
      notice,
    )
    this.stopSignal().addEventListener('abort', () => void session.close())
    return session.done
  }
}
