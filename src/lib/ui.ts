/** The one module that knows about colours and terminals. Respects NO_COLOR and non-TTY output. */
import chalk, {Chalk, type ChalkInstance} from 'chalk'

const useColor = (stream: NodeJS.WriteStream = process.stdout): boolean => !process.env.NO_COLOR && Boolean(stream.isTTY) && process.env.TERM !== 'dumb'

export const color: ChalkInstance = useColor() ? chalk : new Chalk({level: 0})
export const errColor: ChalkInstance = useColor(process.stderr) ? chalk : new Chalk({level: 0})

const PREFIX_COLORS = ['cyan', 'magenta', 'yellow', 'green', 'blue', 'red'] as const

/** A stable colour per instance index, for `cluster up` log prefixes. */
export function prefix(name: string, index: number, width = name.length): string {
  const paint = color[PREFIX_COLORS[index % PREFIX_COLORS.length]]
  return paint(name.padEnd(width) + ' |')
}

/** Local wall-clock time HH:MM:SS.mmm of a ms timestamp. */
export function clock(ms: number): string {
  const d = new Date(ms)
  const pad = (n: number, w = 2) => String(n).padStart(w, '0')
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
}

/** Renders rows as an aligned plain-text table (header first). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (c ?? '').padEnd(widths[i]))
      .join('  ')
      .trimEnd()
  return [color.bold(line(header)), ...rows.map(line)].join('\n')
}

const ESCAPES: Record<string, string> = {'\n': '\\n', '\r': '\\r', '\t': '\\t', '\x1b': '\\e'}

/**
 * Text from other people, made safe to print on one terminal line: control characters (C0, DEL,
 * C1 — the escape sequences that recolour or retitle a terminal) and bidirectional overrides are
 * shown escaped (`\n`, `\e`, `\x07`, `\u202e`), so a message is always one line and only itself.
 */
export function printable(text: string): string {
  // Matching control characters is the point here.
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (char) => {
    const code = char.charCodeAt(0)
    return ESCAPES[char] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`)
  })
}
