import {Args, Flags, loadHelpClass} from '@oclif/core'

import {BaseCommand} from '../cli/baseCommand.js'

/** @oclif/plugin-help's `help`, without its `-n` (in chatdds, -n is always a count). */
export default class Help extends BaseCommand {
  static summary = 'Display help for <%= config.bin %>.'

  static examples = [
    {description: 'Every command', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'One command', command: '<%= config.bin %> <%= command.id %> cluster up'},
    {description: 'Every command of every topic', command: '<%= config.bin %> <%= command.id %> --nested-commands'},
  ]

  static args = {
    command: Args.string({description: 'Command to show help for.', required: false}),
  }

  static flags = {
    'nested-commands': Flags.boolean({description: 'Include all nested commands in the output.'}),
  }

  // `help cluster up`: the command's words are arguments.
  static strict = false

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Help)
    const HelpClass = await loadHelpClass(this.config)
    await new HelpClass(this.config, {all: flags['nested-commands']}).showHelp(argv as string[])
  }
}
