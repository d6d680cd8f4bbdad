/** How a command is told to stop: SIGINT, SIGTERM, the end of the parent's IPC channel, a closed stdout. */

/** What stopped the command; `signal.reason` of a stop signal is one of these. */
export type StopReason = 'SIGINT' | 'SIGTERM' | 'parent process gone' | 'stdout closed'

export interface StopOptions {
  /** Also stop when the parent's IPC channel ends (`serve` under a foreground `cluster up`). */
  parentChannel?: boolean
  /** A closed stdout stops the command like a signal, instead of ending the process at once. */
  stdoutClosed?: boolean
  /** Keep catching SIGINT/SIGTERM after the first (a second Ctrl-C must not cut a cleanup short); default: a second one kills. */
  ignoreRepeats?: boolean
}

export interface Stopper {
  signal: AbortSignal
  /** Removes every listener; a plain function, so it can be passed around unbound. */
  dispose: () => void
}

let stdoutOpen = true
let onStdoutClosed: (() => void) | undefined
let epipeHandled = false

/**
 * `chatdds tail | head`: a closed stdout is the normal end of the process (exit 0), or of the command
 * whose stop signal asked for `stdoutClosed`. Installed once per process.
 */
export function handleEpipe(): void {
  if (epipeHandled) return
  epipeHandled = true
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error
    stdoutOpen = false
    if (onStdoutClosed) onStdoutClosed()
    else process.exit(0)
  })
}

/** False once a write to stdout failed with EPIPE: nothing more can be printed. */
export function isStdoutOpen(): boolean {
  return stdoutOpen
}

/** One AbortController that the stop events abort, with the event as its reason (like heroku's `logs`). */
export function stopSignal(options: StopOptions = {}): Stopper {
  const controller = new AbortController()
  const stop = (reason: StopReason) => {
    if (!options.ignoreRepeats) dispose()
    controller.abort(reason)
  }
  const onSigint = () => stop('SIGINT')
  const onSigterm = () => stop('SIGTERM')
  const onDisconnect = () => stop('parent process gone')
  const onStdout = () => stop('stdout closed')
  function dispose() {
    process.off('SIGINT', onSigint)
    process.off('SIGTERM', onSigterm)
    process.off('disconnect', onDisconnect)
    if (onStdoutClosed === onStdout) onStdoutClosed = undefined
  }
  process.on('SIGINT', onSigint)
  process.on('SIGTERM', onSigterm)
  if (options.stdoutClosed) {
    onStdoutClosed = onStdout
    if (!stdoutOpen) stop('stdout closed')
  }
  if (options.parentChannel) {
    // Started with an IPC channel: it ends when the parent dies, even by SIGKILL.
    if (process.channel) process.once('disconnect', onDisconnect)
    // The parent may have died while this process was still loading (the event is then long gone).
    if (process.send !== undefined && !process.connected) stop('parent process gone')
  }
  return {signal: controller.signal, dispose}
}

/** Resolves with the reason once `signal` is aborted (at once when it already is). */
export function stopped(signal: AbortSignal): Promise<StopReason> {
  if (signal.aborted) return Promise.resolve(signal.reason as StopReason)
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason as StopReason), {once: true}))
}
