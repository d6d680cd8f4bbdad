/** Every oclif flag definition that more than one command shares, and the custom parsers; libraries stay free of oclif. */
import {Errors, Flags} from '@oclif/core'

import {LOG_LEVELS, type LogLevel} from '../lib/chat/log.js'
import {parseDuration, splitPatterns} from '../lib/tokens.js'
import {MAX_NAME_LENGTH, MAX_ROOM_LENGTH} from '../lib/wire/index.js'
import {DEFAULT_RUN_DIR} from '../lib/cluster/manifest.js'
import {type Shape, SHAPES} from '../lib/bench/plan.js'

/** A bad flag value is a usage error (exit 2). */
const usage = (message: string) => new Errors.CLIError(message, {exit: 2})

function parsePort(input: string): number {
  const port = Number(input.trim())
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw usage(`${input} is not a TCP port (1-65535).`)
  return port
}

function parseInteger(input: string, min: number): number {
  const value = Number(input)
  if (!/^\s*\d+\s*$/.test(input) || value < min) throw usage(`${input} is not an integer of at least ${min}.`)
  return value
}

/** A room name as the server takes it (1-128 characters); `#general` is how rooms are shown, not named. */
function parseRoom(input: string): string {
  if (input.startsWith('#')) throw usage(`Room names have no leading #: use --room ${input.slice(1) || 'general'}.`)
  if (input.length === 0 || input.length > MAX_ROOM_LENGTH) throw usage(`--room must be 1 to ${MAX_ROOM_LENGTH} characters (got ${input.length}).`)
  return input
}

/** A sender name as the server takes it (1-64 characters): a longer one would be replaced by "anonymous". */
function parseName(input: string): string {
  if (input.length === 0 || input.length > MAX_NAME_LENGTH)
    throw usage(`--name must be 1 to ${MAX_NAME_LENGTH} characters (got ${input.length}); the server would call you "anonymous".`)
  return input
}

/** One room. */
export const roomFlag = Flags.custom<string>({parse: async (input) => parseRoom(input)})

/** One or more rooms (repeat the flag). */
export const roomsFlag = Flags.custom<string>({multiple: true, parse: async (input) => parseRoom(input)})

/** One port. */
export const portFlag = Flags.custom<number>({parse: async (input) => parsePort(input)})

/** One or more ports: `--port 7000,7001` or `--port 7000 --port 7001`. */
export const portsFlag = Flags.custom<number>({multiple: true, delimiter: ',', parse: async (input) => parsePort(input)})

/** A positive duration in seconds (decimals allowed), e.g. `--timeout 2.5`. */
export const secondsFlag = Flags.custom<number>({
  async parse(input) {
    const value = Number(input)
    if (input.trim() === '' || !Number.isFinite(value) || value <= 0) throw usage(`${input} is not a positive number of seconds.`)
    return value
  },
})

/** An integer >= 1 (`--count`). */
export const positiveIntegerFlag = Flags.custom<number>({parse: async (input) => parseInteger(input, 1)})

/** An integer >= 0 (`--history`). */
export const nonNegativeIntegerFlag = Flags.custom<number>({parse: async (input) => parseInteger(input, 0)})

/** `send` and `tail`: where the chatdds server is, and who we are. */
export const hostFlag = Flags.string({description: 'Host of the chatdds server.', default: '127.0.0.1'})
export const nameFlag = Flags.custom<string>({parse: async (input) => parseName(input)})({
  description: 'Your name in the chat (the server says "anonymous" when omitted).',
})
/** `send` and `tail`: the connect token of a server started with --auth-secret / --auth-public-key. */
export const tokenFlag = Flags.string({
  description: 'Connect token for a server that requires one (see `chatdds token`); the token decides your name.',
  env: 'CHATDDS_TOKEN',
})

/** `serve` and `spy`: how to join DDS. */
export const ddsFlags = {
  domain: Flags.integer({char: 'd', description: "DDS domain id [default: the --dds-config file's, else 10].", min: 0, max: 232}),
  'dds-config': Flags.string({description: 'OpenDDS rtps.ini to load, a regular file of at most 1 MiB (-DCPSConfigFile FILE does the same).'}),
  interface: Flags.string({description: "IPv4 address of the interface DDS uses, one of this host's [default: 127.0.0.1]."}),
  peer: Flags.string({description: 'Unicast DDS discovery peer host[:port] (repeatable); 127.0.0.1 stays a peer.', multiple: true}),
  'dds-security': Flags.string({
    description: 'Join with DDS Security: the PKI directory of `chatdds security init`, with the identity --name issued in it.',
    helpValue: 'DIR',
  }),
}

/** `cluster status`, `logs` and `down`: the run directory of a cluster started by `cluster up`. */
export const runDirFlag = Flags.string({description: 'Run directory given to `cluster up`.', default: DEFAULT_RUN_DIR})

// Not Flags.option: oclif exits 1 on a value outside `options`, and bad usage is exit 2.
export const logLevelFlag = Flags.custom<LogLevel>({
  async parse(input) {
    if ((LOG_LEVELS as readonly string[]).includes(input)) return input as LogLevel
    throw new Error(`Expected one of ${LOG_LEVELS.join(', ')}, got "${input}"`)
  },
})

/** `token --rooms/--publish`: comma-separated room patterns. */
export const patternsFlag = Flags.custom<string[]>({parse: async (input) => splitPatterns(input)})
/** `token --ttl`: 90s, 30m, 1h, 7d. */
export const ttlFlag = Flags.custom<number>({
  async parse(input) {
    const seconds = parseDuration(input)
    if (seconds === undefined) throw new Errors.CLIError(`${input} is not a duration; use 90s, 30m, 1h or 7d.`, {exit: 2})
    return seconds
  },
})

/** `cluster logs --since`: 10m (that long ago) or an ISO time such as 2026-01-02T03:04:05Z; ms since the epoch. */
export const sinceFlag = Flags.custom<number>({
  async parse(input) {
    const seconds = parseDuration(input)
    if (seconds !== undefined) return Date.now() - seconds * 1000
    const isoTime = /^\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?$/
    const time = isoTime.test(input.trim()) ? Date.parse(input) : Number.NaN
    if (Number.isNaN(time)) throw usage(`${input} is neither a duration (30s, 10m, 2h, 1d) nor an ISO time (2026-01-02T03:04:05Z); pass one of them to --since.`)
    return time
  },
})

/** `bench --clients/--messages`: an integer from 1 to `max`. */
export const boundedIntegerFlag = (max: number) =>
  Flags.custom<number>({
    async parse(input) {
      const value = Number(input)
      if (!/^\s*\d+\s*$/.test(input) || value < 1 || value > max) throw usage(`${input} is not an integer from 1 to ${max.toLocaleString('en-US')}.`)
      return value
    },
  })

/** `bench --shape` (not Flags.option, for exit 2). */
export const shapeFlag = Flags.custom<Shape>({
  async parse(input) {
    if ((SHAPES as readonly string[]).includes(input)) return input as Shape
    throw usage(`--shape is one of ${SHAPES.join(', ')}, not "${input}".`)
  },
})

/** `bench --rate`: messages per second, a positive number. */
export const rateFlag = Flags.custom<number>({
  async parse(input) {
    const value = Number(input)
    if (input.trim() === '' || !Number.isFinite(value) || value <= 0) throw usage(`${input} is not a positive number of messages per second.`)
    return value
  },
})
