#!/usr/bin/env node
import {execute} from '@oclif/core'
import {normalizeArgv} from '../dist/cli/argv.js'

// The reference servers take OpenDDS's single-dash -DCPSConfigFile; oclif only knows --flags.
process.argv.splice(2, Infinity, ...normalizeArgv(process.argv.slice(2)))
await execute({dir: import.meta.url})
