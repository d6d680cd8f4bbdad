/**
 * The base of every chatdds command (oclif's custom base class): library errors become exits in one
 * `catch()`, a closed stdout is a normal end, and SIGINT/SIGTERM arrive as one AbortSignal.
 */
import {Command, Errors, type Interfaces} from '@oclif/core'

import {DdsError} from '../lib/dds/types.js'
import {ChatddsError} from '../lib/errors.js'
import {invocation} from './notFound.js'
import {handleEpipe, type StopOptions, stopSignal} from './signals.js'

/**
 * A library error as the CLI error oclif prints and exits with; anything else unchanged. Libraries name commands as
 * "`chatdds …`"; `run` is how this user runs chatdds (invocation(), e.g. "npx chatdds"), which those names then use.
 */
export function toCliError(error: Error, run = 'chatdds'): Error {
  const message = run === 'chatdds' ? error.message : error.message.replaceAll('`chatdds ', `\`${run} `)
  // By name too: a second copy of the library module (another build, a linked package) has another class of the same name,
  // and oclif would print an unconverted one as "ChatddsError: …".
  if (error instanceof ChatddsError || (error.name === 'ChatddsError' && 'code' in error)) {
    const {code, exit} = error as ChatddsError
    return new Errors.CLIError(message, {exit: exit === 2 ? 2 : 1, code})
  }
  // The DDS library knows no exit codes: a bad argument is bad usage, anything else a runtime failure.
  if (error instanceof DdsError) return new Errors.CLIError(message, {exit: error.code === 'EINVAL' ? 2 : 1, code: error.code})
  return error
}

export abstract class BaseCommand extends Command {
  private readonly disposers: Array<() => void> = []

  public async init(): Promise<void> {
    await super.init()
    handleEpipe()
  }

  /** Aborts on SIGINT/SIGTERM (and what `options` adds), its reason naming which; released when the command ends. */
  protected stopSignal(options?: StopOptions): AbortSignal {
    const stopper = stopSignal(options)
    this.disposers.push(stopper.dispose)
    return stopper.signal
  }

  protected async catch(error: Interfaces.CommandError): Promise<unknown> {
    return super.catch(toCliError(error, invocation(this.config.bin)))
  }

  protected async finally(error: Error | undefined): Promise<unknown> {
    for (const dispose of this.disposers.splice(0)) dispose()
    return super.finally(error)
  }
}
