/** What the fault-drill commands (`cluster kill / pause / resume / restart`) share: the NAME argument and flags. */
import {Args, Flags} from '@oclif/core'

import {runDirFlag} from './flags.js'

export const instanceArg = Args.string({name: 'NAME', description: 'Instance of the cluster, e.g. chat-2 (see `cluster status`); without it, the error lists them.'})

export const drillFlags = {dir: runDirFlag}

/** `restart` and `scale`: how long to wait for the new processes to be ready. */
export const readyTimeoutFlag = Flags.integer({description: 'Seconds to wait for the instances to be ready.', default: 60, min: 1})
