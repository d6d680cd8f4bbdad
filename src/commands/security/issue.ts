import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/baseCommand.js'
import {DEFAULT_IDENTITY_DAYS, issueIdentity, type IdentitySummary} from '../../lib/security/index.js'

export default class SecurityIssue extends BaseCommand {
  static summary = 'Issue a DDS Security identity: a key, a certificate from the identity CA, and signed permissions.'

  static description = `Writes DIR/identities/NAME: identity.key (ECDSA P-256, mode 0600), identity.pem (its certificate, \
subject CN=NAME,O=chatdds, signed by the identity CA of \`chatdds security init DIR\`) and permissions.p7s (the \
permissions document, signed by the permissions CA as S/MIME; permissions.xml is the same unsigned): NAME may publish \
and subscribe to "User Messages", "chatdds History" and "chatdds Presence" in every domain, and nothing else. \
--read-only grants subscribe only (what \`chatdds spy\` needs).

An instance joins with \`chatdds serve --dds-security DIR --name NAME\`: its name is its identity. Copy \
DIR/identities/NAME to NAME's host only, with the CA certificates and governance.p7s (README, "Security").`

  static examples = [
    {description: 'An identity for instance chat-1', command: '<%= config.bin %> <%= command.id %> pki chat-1'},
    {description: 'A read-only one for spy', command: '<%= config.bin %> <%= command.id %> pki spy --read-only'},
  ]

  static enableJsonFlag = true

  static args = {
    dir: Args.string({description: 'PKI directory made by `chatdds security init`.', required: true}),
    name: Args.string({description: 'Identity name: the instance name (`serve --name`), 1-64 letters, digits, dots, dashes, underscores.', required: true}),
  }

  static flags = {
    days: Flags.integer({
      description: `Validity of the certificate and permissions in days, at most the CA's [default: ${DEFAULT_IDENTITY_DAYS}].`,
      min: 1,
      max: 36_500,
    }),
    'read-only': Flags.boolean({description: 'Subscribe only: may read every chatdds topic, write none.'}),
  }

  async run(): Promise<IdentitySummary> {
    const {args, flags} = await this.parse(SecurityIssue)
    const identity = await issueIdentity(args.dir, args.name, {days: flags.days, readOnly: flags['read-only']})
    this.log(`Issued ${identity.subject}${identity.readOnly ? ' (read-only)' : ''} in ${identity.dir}, valid until ${identity.notAfter}.`)
    this.log(`Join with: chatdds serve --dds-security ${args.dir} --name ${identity.name}`)
    return identity
  }
}
