import {BaseCommand} from '../cli/baseCommand.js'
import {nameFlag, nonNegativeIntegerFlag, roomFlag, secondsFlag, tokenFlag} from '../cli/flags.js'
import {LineEditor} from '../cli/lineEditor.js'
import {invocation} from '../cli/notFound.js'
import {renderMessage} from '../cli/render.js'
import {resolveTarget, targetFlags} from '../cli/target.js'
import {CHAT_HELP, chat, type Chat as ChatSession, type ChatInput, parseChatInput} from '../lib/client/chat.js'
import type {Member} from '../lib/wire/index.js'
import {color, printable} from '../lib/ui.js'

export default class Chat extends BaseCommand {
  static summary = 'Chat in a terminal: messages appear as they arrive, and what you type is sent.'

  static description = `A line editor like redis-cli or wscat: messages of the rooms you follow are shown as they arrive \
("HH:MM:SS.mmm #room sender: text", like tail) above the line you are typing, and each line you type is sent to the \
current room (the prompt shows it). Commands: /join ROOM, /leave [ROOM], /room ROOM, /who [ROOM], /help, /quit.

Without --port, chat connects to the cluster that \`cluster up\` started in this directory or the nearest parent \
(.chatdds/cluster; --dir names another), on chat-1 or --instance. When the connection drops it reconnects to the \
cluster's other instances, like tail, and resumes every room: nothing missed, nothing shown twice.

Exit status 0 on /quit, Ctrl-D or Ctrl-C; 1 when no server can be reached.`

  static flags = {
    ...targetFlags,
    room: roomFlag({char: 'r', description: 'Room to join first and send to.', default: 'general'}),
    name: nameFlag,
    token: tokenFlag,
    history: nonNegativeIntegerFlag({description: 'Show the last N messages of each room you join.', default: 0}),
    timeout: secondsFlag({description: 'Seconds to wait for the connection, and for each answer of the server.', default: 5}),
  }

  static examples = [
    {description: 'Chat in #general of the cluster started here (or in a parent directory)', command: '<%= config.bin %> <%= command.id %> --name alice'},
    {
      description: 'Through instance chat-2, in #random, with the last 20 messages',
      command: '<%= config.bin %> <%= command.id %> --instance chat-2 -r random --history 20',
    },
    {description: 'On the instance on port 7000', command: '<%= config.bin %> <%= command.id %> --port 7000 --name bob'},
  ]

  async run(): Promise<void> {
    const {flags} = await this.parse(Chat)
    const target = resolveTarget(flags, invocation(this.config.bin))
    const editor = new LineEditor()
    const print = (line: string) => editor.print(line)
    const session = chat(
      {host: target.host, ports: target.ports, room: flags.room, name: flags.name, token: flags.token, history: flags.history, timeoutMs: flags.timeout * 1000},
      {
        message: (message) => print(renderMessage(message)),
        notice: (notice) => print(color.yellow(notice)),
        presenceChange: ({change, name, instance, room}) =>
          print(color.dim(`* ${printable(name)} (${printable(instance)}) ${change === 'join' ? 'joined' : 'left'} #${printable(room)}`)),
      },
    )
    this.stopSignal().addEventListener('abort', () => editor.close())
    let failure: Error | undefined
    session.done.catch((error: Error) => {
      failure = error
      editor.close()
    })

    try {
      const {instance, url, name} = await session.ready
      print(color.dim(`Connected to ${printable(instance)} at ${url} as ${printable(name)}, in #${flags.room}; /help lists the commands, /quit leaves.`))
      editor.prompt(promptOf(session))
      for await (const line of editor.lines()) {
        const input = parseChatInput(line)
        if (input.kind === 'quit') break
        try {
          await perform(session, input, print)
        } catch (error) {
          print(color.red(printable((error as Error).message)))
        }

        editor.prompt(promptOf(session))
      }
    } finally {
      editor.close()
      await session.close()
    }

    if (failure) throw failure
  }
}

const promptOf = (session: ChatSession) => (session.room === undefined ? '(no room)> ' : `#${printable(session.room)}> `)

const membersOf = (members: Member[]) => members.map((member) => `${printable(member.name)} (${printable(member.instance)})`).join(', ')

/** Does what one typed line asks; throws with the sentence to show when it could not. */
async function perform(session: ChatSession, input: ChatInput, print: (line: string) => void): Promise<void> {
  switch (input.kind) {
    case 'send':
      await session.send(input.text)
      return
    case 'join': {
      const members = await session.join(input.room!)
      print(color.dim(`Now sending to #${printable(input.room!)}${members ? `; in it: ${membersOf(members)}` : ''}.`))
      return
    }
    case 'leave': {
      const room = input.room ?? session.room
      if (room === undefined) throw new Error('You follow no room; /join one first.')
      await session.leave(room)
      print(color.dim(`Left #${printable(room)}; ${session.room === undefined ? '/join a room to send again' : `now sending to #${printable(session.room)}`}.`))
      return
    }
    case 'room':
      session.switchTo(input.room!)
      print(color.dim(`Now sending to #${printable(input.room!)}.`))
      return
    case 'who': {
      const room = input.room ?? session.room
      if (room === undefined) throw new Error('You follow no room; /who ROOM names one.')
      const members = await session.who(room)
      print(members.length === 0 ? `Nobody is in #${printable(room)}.` : `In #${printable(room)}: ${membersOf(members)}`)
      return
    }
    case 'help':
      for (const line of CHAT_HELP) print(line)
      return
    case 'bad':
      throw new Error(input.message)
    default:
  }
}
