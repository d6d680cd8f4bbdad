// Shared by the client and send/tail command tests.
import {killAll, startCli} from '../../helpers.js'
import {startFakeServer} from './fakeServer.js'

/** oclif wraps error lines at 80 columns behind " ›   "; joins them back into one sentence. */
export const unwrap = (stderr) => stderr.replace(/\s*\n\s*›\s+/g, ' ').replace(/^\s*›\s+/, '')

/** The non-empty lines of an output. */
export const lines = (text) => text.split('\n').filter(Boolean)

/**
 * Registers an afterEach hook that kills started processes and runs `cleanup(fn)` callbacks (newest first);
 * returns {fake, cleanup}: `fake(options)` starts a fake server that is closed after the test.
 */
export function useCleanup() {
  const cleanups = []
  afterEach(async () => {
    await killAll()
    while (cleanups.length > 0) await cleanups.pop()()
  })
  const cleanup = (fn) => cleanups.push(fn)
  const fake = async (options) => {
    const server = await startFakeServer(options)
    cleanup(() => server.close())
    return server
  }

  return {fake, cleanup}
}

/**
 * Starts `chatdds tail <args>`, keeping stdout and stderr apart (stdoutText, stderrText).
 * @param {string[]} args
 */
export function startTail(args) {
  const child = /** @type {import('../../helpers.js').Started & {stdoutText: string, stderrText: string}} */ (startCli(['tail', ...args]))
  child.stdoutText = ''
  child.stderrText = ''
  child.stdout.on('data', (d) => (child.stdoutText += d))
  child.stderr.on('data', (d) => (child.stderrText += d))
  return child
}
