/** The `openssl` command (Debian's `openssl` package): the only crypto chatdds runs that Node's own crypto lacks (X.509 issuing, S/MIME). */
import {execa, execaSync} from 'execa'
import {ChatddsError} from '../errors.js'

export interface OpensslResult {
  ok: boolean
  stdout: string
  stderr: string
}

const notInstalled = () => new ChatddsError('ENOOPENSSL', 'The openssl command is not installed; install it (apt-get install -y openssl) and run this again.')

/** Runs `openssl ARGS` (stdin: `input`); resolves with its output, throws only when openssl cannot be run at all. */
export async function openssl(args: string[], input?: string): Promise<OpensslResult> {
  const result = await execa('openssl', args, {input: input ?? '', reject: false, stripFinalNewline: false})
  if (result.failed && result.exitCode === undefined) throw notInstalled()
  return {ok: result.exitCode === 0, stdout: result.stdout, stderr: result.stderr}
}

/** The same, blocking: for the checks `serve` and `spy` make before they join DDS, when nothing else runs yet. */
export function opensslSync(args: string[], input?: string): OpensslResult {
  const result = execaSync('openssl', args, {input: input ?? '', reject: false, stripFinalNewline: false})
  if (result.failed && result.exitCode === undefined) throw notInstalled()
  return {ok: result.exitCode === 0, stdout: result.stdout, stderr: result.stderr}
}

/** Runs openssl for a step that must succeed; throws naming the step and openssl's own reason. */
export async function opensslStep(what: string, args: string[], input?: string): Promise<string> {
  const result = await openssl(args, input)
  if (!result.ok)
    throw new ChatddsError('EOPENSSL', `openssl could not ${what} (${firstError(result.stderr)}); check that openssl 3 is installed and the directory is writable.`)
  return result.stdout
}

/** openssl's most telling line of stderr, for an error message. */
export function firstError(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
  // Library error lines look like `40A7…:error:16000069:STORE routines:…:reason:file.c:237:detail`.
  const library = lines.find((line) => /:error:/.test(line))
  if (library) {
    const parts = library.split(':')
    return parts.length > 5 ? parts[5] : library
  }
  return lines[0] ?? 'no reason given'
}
