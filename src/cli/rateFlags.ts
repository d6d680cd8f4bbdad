/** `serve` and `cluster up`: the per-client rate limit (server.ts DEFAULTS.rateLimit), a flooding client's bound. */
import {Errors, Flags} from '@oclif/core'

import {parseRatePerSecond, UNLIMITED} from '../lib/chat/rateLimit.js'

// Not async: oclif awaits parse inside its own async parser, so a throw here is still a usage error (exit 2).
const rateFlag = Flags.custom<number>({
  parse(input) {
    const value = parseRatePerSecond(input)
    if (value === undefined) throw new Errors.CLIError(`${input} is not a rate; use frames per second (10000 or 10000/s), or off.`, {exit: 2})
    return Promise.resolve(value)
  },
})

export const rateLimitFlags = {
  'rate-limit': rateFlag({
    description:
      'Frames per second one client may send (N or N/s; off: no limit) [default: 10000/s]; over it a plain client is paused, a chatdds.v1 frame refused with rate_limited.',
    helpValue: 'N/s',
  }),
  'rate-burst': Flags.integer({description: 'Frames one client may send at once above the rate [default: twice --rate-limit, 20000].', min: 1}),
}

/** The server's `rateLimit` option from the flags: a burst of twice the rate unless --rate-burst says otherwise. */
export function rateLimitOf(flags: {'rate-limit'?: number; 'rate-burst'?: number}): {perSecond?: number; burst?: number} {
  const perSecond = flags['rate-limit']
  const burst = flags['rate-burst'] ?? (perSecond === undefined || perSecond === UNLIMITED ? undefined : 2 * perSecond)
  return {...(perSecond === undefined ? {} : {perSecond}), ...(burst === undefined ? {} : {burst})}
}
