/**
 * A view redrawn in place on a terminal (`cluster top`): log-update for the redraw, raw-mode keys for `q` and Ctrl-C.
 * The terminal is restored on every way out: close(), the end of the process, an uncaught error.
 */
import {createLogUpdate} from 'log-update'

export interface LiveView {
  /** Replaces the previous frame (on a terminal), or prints the frame after it (in a pipe). */
  draw(text: string): void
  /** Leaves the last frame on the screen, shows the cursor, takes the keyboard out of raw mode. Idempotent. */
  close(): void
}

const QUIT_KEYS = new Set(['q', 'Q', '\u0003'])

/** `quit` is called on q or Ctrl-C (raw mode turns Ctrl-C into a key, not a SIGINT). */
export function startLiveView(quit: () => void, output: NodeJS.WriteStream = process.stdout, input: NodeJS.ReadStream = process.stdin): LiveView {
  if (!output.isTTY) {
    return {
      draw: (text) => output.write(text + '\n\n'),
      close() {},
    }
  }
  const update = createLogUpdate(output)
  const raw = Boolean(input.isTTY)
  const onData = (data: Buffer) => {
    if ([...data.toString('utf8')].some((key) => QUIT_KEYS.has(key))) quit()
  }
  let closed = false
  const close = () => {
    if (closed) return
    closed = true
    process.off('exit', close)
    if (raw) {
      input.off('data', onData)
      input.setRawMode(false)
      input.pause()
    }
    update.done()
  }
  process.once('exit', close)
  if (raw) {
    input.setRawMode(true)
    input.on('data', onData)
    input.resume()
  }
  return {draw: (text) => update(text), close}
}
