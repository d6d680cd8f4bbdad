/** Errors that libraries throw; commands turn them into one sentence and an exit code. */
export class ChatddsError extends Error {
  constructor(
    /** Stable machine-readable code, e.g. EADDRINUSE, ECONNREFUSED, ETIMEDOUT, EINI. */
    public readonly code: string,
    /** One sentence that says what went wrong and what to do next. */
    message: string,
    /** Exit status the command should end with: 1 runtime failure, 2 bad usage. */
    public readonly exit: 1 | 2 = 1,
  ) {
    super(message)
    this.name = 'ChatddsError'
  }
}
