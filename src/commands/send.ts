import {Args} from '@oclif/core'

import {BaseCommand} from '../cli/baseCommand.js'
import {nameFlag, roomFlag, secondsFlag, tokenFlag} from '../cli/flags.js'
import {invocation} from '../cli/notFound.js'
import {resolveTarget, targetFlags} from '../cli/target.js'
import {readLines, type SentMessage, sendMessages} from '../lib/client/send.js'

export default class Send extends BaseCommand {
  static summary = 'Send a message and wait until it came back through the cluster.'

  static description = `Connects to a chatdds server with the chatdds.v1 protocol, joins the room, sends the message and \
waits for the message itself (the id the server acknowledged) to come back from DDS, like every member of the room gets it. \
Exit status 0 only when every message came back within --timeout.

Without --port, send goes to the cluster that \`cluster up\` started in this directory or the nearest parent \
(.chatdds/cluster; --dir names another), through chat-1 or --instance. With several --port values it uses the first.

With TEXT "-", or no TEXT and piped stdin, every non-empty line of stdin is one message.`

  static enableJsonFlag = true

  static args = {
    // ignoreStdin: oclif would otherwise slurp piped stdin (racing a 10 ms timer) into TEXT as one message.
    text: Args.string({description: 'The message; "-" reads one message per line from stdin.', ignoreStdin: true}),
  }

  static flags = {
    ...targetFlags,
    room: roomFlag({char: 'r', description: 'Room to send to.', default: 'general'}),
    name: nameFlag,
    token: tokenFlag,
    timeout: secondsFlag({description: 'Seconds to wait for the connection, and for each message to come back.', default: 5}),
  }

  static examples = [
    {description: 'Send one message to #general of the cluster started here (or in a parent directory)', command: '<%= config.bin %> <%= command.id %> "hello"'},
    {description: 'The same through its instance chat-2', command: '<%= config.bin %> <%= command.id %> --instance chat-2 "hello"'},
    {description: 'Send one message to #general of the instance on port 7000', command: '<%= config.bin %> <%= command.id %> --port 7000 "hello"'},
    {description: 'Send as alice to #random', command: '<%= config.bin %> <%= command.id %> -p 7001 --room random --name alice "hi all"'},
    {description: 'One message per line of a file, with JSON output', command: '<%= config.bin %> <%= command.id %> -p 7000 --json - < lines.txt'},
  ]

  async run(): Promise<SentMessage[]> {
    const {args, flags} = await this.parse(Send)
    const fromStdin = args.text === undefined || args.text === '-'
    if (args.text === '' || (args.text === undefined && process.stdin.isTTY)) this.error('No text to send; pass TEXT or pipe lines on stdin.', {exit: 2})
    if (args.text !== undefined && args.text !== '-' && args.text.trim() === '')
      this.error('The text is only whitespace; pass the text to send in quotes.', {exit: 2})

    const target = resolveTarget(flags, invocation(this.config.bin))
    return sendMessages({
      host: target.host,
      port: target.ports[0],
      room: flags.room,
      name: flags.name,
      token: flags.token,
      texts: fromStdin ? readLines(process.stdin) : [args.text!],
      timeoutMs: flags.timeout * 1000,
      onSent: (sent) => this.log(`sent ${sent.id} in ${sent.roundTripMs} ms`),
    })
  }
}
