/** The flag by which `cluster status`, `logs` and `down` find a cluster started by `cluster up`. */
import {Flags} from '@oclif/core'
import {DEFAULT_RUN_DIR} from './manifest.js'

export const runDirFlag = Flags.string({description: 'Run directory given to `cluster up`.', default: DEFAULT_RUN_DIR})
