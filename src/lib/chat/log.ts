/** Levelled one-line logging for the chat server. The library formats lines; the command decides where they go. */
import {printable} from '../ui.js'
import {decodeMessage} from '../wire/index.js'

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export interface Logger {
  error(message: string): void
  warn(message: string): void
  info(message: string): void
  debug(message: string): void
  /** True when lines of `level` are written (lets callers skip building costly lines). */
  enabled(level: LogLevel): boolean
}

const RANK: Record<LogLevel, number> = {error: 0, warn: 1, info: 2, debug: 3}
const PREFIX: Record<LogLevel, string> = {error: 'error: ', warn: 'warning: ', info: '', debug: ''}

/** A logger that writes lines of `level` and above through `write` (one call per line, no newline). */
export function createLogger(level: LogLevel, write: (line: string) => void): Logger {
  const enabled = (l: LogLevel) => RANK[l] <= RANK[level]
  const at = (l: LogLevel) => (message: string) => {
    if (enabled(l)) write(PREFIX[l] + message)
  }
  return {error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), enabled}
}

/** A log line as `serve` writes it: after its ISO 8601 time, which `cluster logs --since` reads back. */
export function timestamped(line: string, at: Date = new Date()): string {
  return `${at.toISOString()} ${line}`
}

/** The ISO time at the start of a `timestamped` line (ms since the epoch), or undefined when it has none. */
export function lineTime(line: string): number | undefined {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) /.exec(line)
  return match ? Date.parse(match[1]) : undefined
}

/** A chat message (a DDS `message` string) for a log line, read once: `#room sender: text`, control characters escaped. */
export function messageForLog(message: string): string {
  const decoded = decodeMessage(message)
  const from = decoded.envelope ? (decoded.from === null ? '-' : printable(decoded.from)) : '(plain)'
  return `#${printable(decoded.room)} ${from}: ${printable(decoded.text)}`
}

export const silentLogger: Logger = createLogger('error', () => {})

/**
 * Per-message lines (`Writing message …`, `Received a message …`) at info level, like the reference
 * server, but capped so a burst cannot flood stdout: past `perSecond` lines in a one-second window
 * the rest are counted and summarised in one line. At debug level every line is written.
 */
export class MessageLog {
  private windowStart = 0
  private written = 0
  private suppressed = 0
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly logger: Logger,
    private readonly perSecond = 20,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when a line would be written now; callers use it to avoid JSON.stringify under load. */
  wants(): boolean {
    if (this.logger.enabled('debug')) return true
    if (!this.logger.enabled('info')) return false
    const now = this.now()
    if (now - this.windowStart >= 1000) this.rollWindow(now)
    if (this.written < this.perSecond) return true
    this.suppressed++
    this.scheduleSummary()
    return false
  }

  /** Writes a line that `wants()` allowed. */
  line(message: string): void {
    this.written++
    if (this.logger.enabled('debug')) this.logger.debug(message)
    else this.logger.info(message)
  }

  /** Writes the pending summary, if any (on shutdown). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    this.rollWindow(this.now())
  }

  private rollWindow(now: number): void {
    if (this.suppressed > 0) {
      this.logger.info(`… ${this.suppressed} more message lines not shown (--log-level debug shows every one)`)
    }
    this.windowStart = now
    this.written = 0
    this.suppressed = 0
  }

  private scheduleSummary(): void {
    if (this.timer) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      if (this.suppressed > 0) this.rollWindow(this.now())
    }, 1000)
    this.timer.unref()
  }
}
