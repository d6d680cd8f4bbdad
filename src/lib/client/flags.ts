/** Flag parsers shared by `chatdds send` and `chatdds tail`; a bad value is a usage error (exit 2). */
import {Errors, Flags} from '@oclif/core'

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

/** One port. */
export const port = Flags.custom<number>({parse: async (input) => parsePort(input)})

/** One or more ports: `--port 7000,7001` or `--port 7000 --port 7001`. */
export const ports = Flags.custom<number>({multiple: true, delimiter: ',', parse: async (input) => parsePort(input)})

/** A positive duration in seconds (decimals allowed), e.g. `--timeout 2.5`. */
export const seconds = Flags.custom<number>({
  async parse(input) {
    const value = Number(input)
    if (input.trim() === '' || !Number.isFinite(value) || value <= 0) throw usage(`${input} is not a positive number of seconds.`)
    return value
  },
})

/** An integer >= 1 (`--count`). */
export const positiveInteger = Flags.custom<number>({parse: async (input) => parseInteger(input, 1)})

/** An integer >= 0 (`--history`). */
export const nonNegativeInteger = Flags.custom<number>({parse: async (input) => parseInteger(input, 0)})

export const host = Flags.string({description: 'Host of the chatdds server.', default: '127.0.0.1'})

export const name = Flags.string({description: 'Your name in the chat (the server says "anonymous" when omitted).'})
