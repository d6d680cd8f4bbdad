/** File-system failures in a run directory, as one sentence that names the path and says what to do. */
import path from 'node:path'
import {ChatddsError} from '../errors.js'

const REASONS: Record<string, string> = {
  EROFS: 'is on a read-only file system',
  EACCES: 'is not writable by this user',
  EPERM: 'is not writable by this user',
  ENOTDIR: 'has a file, not a directory, in its path',
  ENOENT: 'has a missing directory in its path',
  EEXIST: 'has a file, not a directory, in its path',
  ENOSPC: 'is on a full file system',
  EDQUOT: 'is on a full file system (quota)',
}

/** A ChatddsError for `error` (a Node file-system error) met while writing run directory `runDir`; other errors unchanged. */
export function runDirError(runDir: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  const reason = code === undefined ? undefined : REASONS[code]
  if (reason === undefined) return error
  const elsewhere = path.join('/tmp', `chatdds-${path.basename(runDir) || 'cluster'}`)
  return new ChatddsError(code!, `The run directory ${runDir} ${reason}; pass --dir with a writable directory, e.g. --dir ${elsewhere}.`)
}

/** Runs `write` (a write in `runDir`), turning a file-system failure into runDirError's sentence. */
export function writableRunDir<T>(runDir: string, write: () => T): T {
  try {
    return write()
  } catch (error) {
    throw runDirError(runDir, error)
  }
}
