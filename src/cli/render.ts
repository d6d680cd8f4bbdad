/** How `tail` and `chat` show one message: "HH:MM:SS.mmm #room sender: text", other people's text escaped onto one line. */
import type {MessageFrame} from '../lib/wire/index.js'
import {clock, color, printable} from '../lib/ui.js'

export function renderMessage(message: MessageFrame): string {
  const time = clock(typeof message.ts === 'number' ? message.ts : Date.now())
  return `${color.dim(time)} ${color.cyan('#' + printable(message.room))} ${color.bold(message.from === null ? '-' : printable(message.from))}: ${printable(message.text)}`
}
