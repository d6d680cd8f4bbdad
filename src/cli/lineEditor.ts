/**
 * One terminal line editor (node:readline) that other output can interleave with: a printed line goes above the line
 * being typed, which is redrawn as it was (text and cursor). Without a terminal it reads plain lines and prints plainly.
 */
import readline from 'node:readline'

export class LineEditor {
  /** True when both ends are a terminal: then there is a prompt and lines are edited in place. */
  readonly terminal: boolean
  private readonly rl: readline.Interface
  /** Made at once, so that lines (and the end of input) that come before anyone reads them are kept, not lost. */
  private readonly typed: AsyncIterableIterator<string>
  private prompting = false
  private closed = false

  constructor(
    private readonly input: NodeJS.ReadStream = process.stdin,
    private readonly output: NodeJS.WriteStream = process.stdout,
  ) {
    this.terminal = Boolean(input.isTTY && output.isTTY)
    this.rl = readline.createInterface({input, output, terminal: this.terminal, historySize: 200, crlfDelay: Infinity})
    // Ctrl-C at the prompt ends the session like Ctrl-D (readline would otherwise only pause).
    this.rl.on('SIGINT', () => this.close())
    this.rl.on('close', () => (this.closed = true))
    this.typed = this.rl[Symbol.asyncIterator]()
  }

  /** The typed lines, until Ctrl-D / Ctrl-C / close(). */
  lines(): AsyncIterableIterator<string> {
    return this.typed
  }

  /** Shows the prompt (only on a terminal) and keeps it shown under printed lines. */
  prompt(text: string): void {
    if (!this.terminal || this.closed) return
    this.rl.setPrompt(text)
    this.prompting = true
    this.rl.prompt(true)
  }

  /** Prints one line above the line being typed. */
  print(line: string): void {
    if (!this.terminal || !this.prompting || this.closed) {
      this.output.write(line + '\n')
      return
    }

    // The typed line may wrap: go back to the row where the prompt starts, clear to the end, print, redraw.
    const {rows} = this.rl.getCursorPos()
    readline.moveCursor(this.output, 0, -rows)
    readline.cursorTo(this.output, 0)
    readline.clearScreenDown(this.output)
    this.output.write(line + '\n')
    this.rl.prompt(true)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    // Leave the cursor on a fresh line, not after the prompt.
    if (this.terminal && this.prompting) this.output.write('\n')
    this.rl.close()
  }
}
