// The one place where library errors become exits, and signals become an AbortSignal.
import assert from 'node:assert/strict'
import {Errors} from '@oclif/core'

import {toCliError} from '../../dist/cli/baseCommand.js'
import {stopSignal, stopped} from '../../dist/cli/signals.js'
import {DdsError} from '../../dist/lib/dds/types.js'
import {ChatddsError} from '../../dist/lib/errors.js'
import {runCli} from '../helpers.js'
import {unwrap} from '../commands/serveSupport.js'

describe('BaseCommand: library errors as exits', () => {
  const exitOf = (error) => {
    const cli = toCliError(error)
    assert.ok(cli instanceof Errors.CLIError)
    return {message: cli.message, exit: cli.oclif.exit, code: cli.code}
  }

  it('a ChatddsError exits with its own exit code, message and code', () => {
    assert.deepEqual(exitOf(new ChatddsError('ECONNREFUSED', 'No chatdds server at ws://127.0.0.1:1/; start one.')), {
      message: 'No chatdds server at ws://127.0.0.1:1/; start one.',
      exit: 1,
      code: 'ECONNREFUSED',
    })
    assert.equal(exitOf(new ChatddsError('EUSAGE', '-n must be from 1 to 32 instances (got 0).', 2)).exit, 2)
  })

  it('commands a library names are printed the way the user runs chatdds (npx chatdds under npx)', async () => {
    const error = new ChatddsError('ENOCLUSTER', 'No cluster in /x; start one with `chatdds cluster up`, or give the run directory it used.')
    assert.equal(toCliError(error, 'npx chatdds').message, 'No cluster in /x; start one with `npx chatdds cluster up`, or give the run directory it used.')
    assert.equal(toCliError(error).message, error.message)
    const {code, stderr} = await runCli(['spy', '--dir', '/nonexistent-chatdds-run-dir'], {env: {npm_command: 'exec'}})
    assert.equal(code, 1, stderr)
    assert.match(unwrap(stderr), /start one with `npx chatdds cluster up`/)
  })

  it('a DdsError is bad usage (exit 2) when its code is EINVAL, a runtime failure (exit 1) otherwise', () => {
    assert.deepEqual(exitOf(new DdsError('EINVAL', 'DDS domain 999 is out of range; use an integer from 0 to 232.')), {
      message: 'DDS domain 999 is out of range; use an integer from 0 to 232.',
      exit: 2,
      code: 'EINVAL',
    })
    assert.equal(exitOf(new DdsError('EDDS', 'Fast DDS refused.')).exit, 1)
    assert.equal(exitOf(new DdsError('ENOBINDING', 'The native binding is not built.')).exit, 1)
  })

  it('leaves every other error as it is (oclif errors keep their exit, a bug keeps its stack)', () => {
    const usage = new Errors.CLIError('No text to send; pass TEXT or pipe lines on stdin.', {exit: 2})
    assert.equal(toCliError(usage), usage)
    const bug = new TypeError('x is undefined')
    assert.equal(toCliError(bug), bug)
  })
})

describe('stop signal', () => {
  const listeners = () => process.listenerCount('SIGINT') + process.listenerCount('SIGTERM')

  it('aborts on the first SIGTERM with the signal as reason, then lets a second one through', async () => {
    const before = listeners()
    const stop = stopSignal()
    assert.equal(stop.signal.aborted, false)
    process.emit('SIGTERM', 'SIGTERM')
    assert.equal(await stopped(stop.signal), 'SIGTERM')
    assert.equal(listeners(), before)
  })

  it('with ignoreRepeats keeps catching signals until disposed', async () => {
    const before = listeners()
    const stop = stopSignal({ignoreRepeats: true})
    process.emit('SIGINT', 'SIGINT')
    assert.equal(await stopped(stop.signal), 'SIGINT')
    assert.equal(listeners(), before + 2)
    stop.dispose()
    assert.equal(listeners(), before)
  })
})
