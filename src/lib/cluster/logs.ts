/** Reading and following the instances' log files (the children write to them directly). */
import {EventEmitter} from 'node:events'
import {closeSync, openSync, readFileSync, readSync, statSync} from 'node:fs'
import {StringDecoder} from 'node:string_decoder'

/** Every complete or partial line of `file` ([] when it does not exist). */
export function readLogLines(file: string): string[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return []
  }
  const lines = text.split(/\r?\n/)
  if (lines.at(-1) === '') lines.pop()
  return lines
}

export function lastLogLines(file: string, count = 10): string[] {
  return readLogLines(file).slice(-count)
}

export interface FollowedLog {
  file: string
  /** Byte offset to start from; default the current end of the file. */
  offset?: number
}

/**
 * Emits `line` (index of the log in the list, line text) for every line appended to the files.
 * Polls: the writers are other processes, and polling works the same on every filesystem.
 */
export class LogFollower extends EventEmitter<{line: [index: number, line: string]}> {
  private readonly offsets: number[]
  private readonly partial: string[]
  // One decoder per file: a read may end inside a multi-byte character.
  private readonly decoders: StringDecoder[]
  private timer?: NodeJS.Timeout

  constructor(
    private readonly logs: FollowedLog[],
    private readonly intervalMs = 100,
  ) {
    super()
    this.offsets = logs.map((log) => log.offset ?? fileSize(log.file))
    this.partial = logs.map(() => '')
    this.decoders = logs.map(() => new StringDecoder('utf8'))
  }

  /** Follows one more log (an instance added by `cluster scale`); its index is the next one. */
  add(log: FollowedLog): void {
    this.logs.push(log)
    this.offsets.push(log.offset ?? fileSize(log.file))
    this.partial.push('')
    this.decoders.push(new StringDecoder('utf8'))
  }

  start(): this {
    this.timer ??= setInterval(() => this.poll(), this.intervalMs)
    return this
  }

  /** Reads whatever is new now (call before reporting an instance's exit, so its last lines come first). */
  poll(): void {
    for (const [index, log] of this.logs.entries()) {
      const size = fileSize(log.file)
      if (size < this.offsets[index]) this.offsets[index] = 0 // truncated: a new run
      if (size === this.offsets[index]) continue
      const chunk = readRange(log.file, this.offsets[index], size)
      this.offsets[index] += chunk.length
      const lines = (this.partial[index] + this.decoders[index].write(chunk)).split(/\r?\n/)
      this.partial[index] = lines.pop() ?? ''
      for (const line of lines) this.emit('line', index, line)
    }
  }

  /** Stops polling; a last unterminated line is flushed. */
  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    this.poll()
    for (const [index, rest] of this.partial.entries()) {
      if (rest !== '') this.emit('line', index, rest)
      this.partial[index] = ''
    }
  }
}

function fileSize(file: string): number {
  try {
    return statSync(file).size
  } catch {
    return 0
  }
}

function readRange(file: string, start: number, end: number): Buffer {
  const fd = openSync(file, 'r')
  try {
    const buffer = Buffer.alloc(end - start)
    const read = readSync(fd, buffer, 0, buffer.length, start)
    return buffer.subarray(0, read)
  } finally {
    closeSync(fd)
  }
}
