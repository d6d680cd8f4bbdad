/**
 * `chatdds sned`: one sentence with the closest command, exit 2 (bad usage). Our own hook, because
 * @oclif/plugin-not-found suggests only through an interactive prompt and exits 127.
 */
import {type Hook, toConfiguredId} from '@oclif/core'
import {closest, distance} from 'fastest-levenshtein'

/** How this user runs chatdds, for the commands we suggest: through npx, or as installed. */
export function invocation(bin: string): string {
  return process.env.npm_command === 'exec' ? `npx ${bin}` : bin
}

// oclif's hook type is async; this one has nothing to wait for.
// eslint-disable-next-line @typescript-eslint/require-await
const hook: Hook.CommandNotFound = async function (options) {
  const ids = options.config.commands.filter((command) => !command.hidden).map((command) => command.id)
  const run = invocation(options.config.bin)
  const best = ids.length > 0 ? closest(options.id, ids) : undefined
  const near = best !== undefined && distance(options.id, best) <= Math.max(2, Math.floor(best.length / 3))
  const suggestion = near ? ` Did you mean \`${run} ${toConfiguredId(best, options.config)}\`?` : ''
  this.error(`${toConfiguredId(options.id, options.config)} is not a ${options.config.bin} command.${suggestion} Run \`${run} help\` for the list.`, {exit: 2})
}

export default hook
