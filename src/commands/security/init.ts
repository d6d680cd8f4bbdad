import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/baseCommand.js'
import {DEFAULT_CA_DAYS, initPki, type PkiSummary} from '../../lib/security/index.js'

export default class SecurityInit extends BaseCommand {
  static summary = 'Create a cluster PKI for DDS Security: an identity CA, a permissions CA and a signed governance document.'

  static description = `Writes into DIR (created if needed): identity_ca.pem and permissions_ca.pem, two self-signed ECDSA \
P-256 CAs (the identity CA vouches for who a participant is, the permissions CA signs what it may do), governance.p7s \
(the governance document, signed by the permissions CA as S/MIME; governance.xml is the same unsigned) and, in \
DIR/private (mode 0700), the two CA keys (mode 0600).

The governance protects every domain: only authenticated participants take part, and discovery, liveliness, every \
RTPS message and every topic's metadata and payload are encrypted (AES-GCM), with read and write access control on \
every topic. Then issue one identity per instance and tool with \`chatdds security issue DIR NAME\`.

Keep DIR/private where identities are issued and copy it nowhere else. Refuses a DIR that already holds a PKI.`

  static examples = [
    {description: 'A PKI in ./pki', command: '<%= config.bin %> <%= command.id %> pki'},
    {description: 'Then an identity per instance', command: '<%= config.bin %> security issue pki chat-1'},
  ]

  static enableJsonFlag = true

  static args = {
    dir: Args.string({description: 'Directory to create the PKI in.', required: true}),
  }

  static flags = {
    days: Flags.integer({description: `Validity of the two CAs in days [default: ${DEFAULT_CA_DAYS}].`, min: 1, max: 36_500}),
  }

  async run(): Promise<PkiSummary> {
    const {args, flags} = await this.parse(SecurityInit)
    const pki = await initPki(args.dir, {days: flags.days})
    this.log(`Created a cluster PKI in ${pki.dir}, valid until ${pki.notAfter}:`)
    this.log(`  ${pki.identityCa}, ${pki.permissionsCa}, ${pki.governance}  (copy to every host)`)
    this.log(`  ${pki.privateKeys.join(', ')}  (keep here, copy nowhere)`)
    this.log(`Next: \`chatdds security issue ${args.dir} NAME\` for every instance and tool.`)
    return pki
  }
}
