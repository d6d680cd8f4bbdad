import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/baseCommand.js'
import {patternsFlag, ttlFlag} from '../cli/flags.js'
import {readKeyFile, signToken, type SignedToken} from '../lib/tokens.js'

export default class Token extends BaseCommand {
  static summary = 'Print a signed connect token (JWT) for a server started with --auth-secret or --auth-public-key.'

  static description = `The token names the user (--sub, shown as the sender unless --name is given) and the rooms it may join \
(--rooms) and send to (--publish, default the same as --rooms), as comma-separated patterns where * matches anything. \
Without --rooms every room is allowed. It expires after --ttl.

HS256 with --secret (the server's --auth-secret; env CHATDDS_AUTH_SECRET), or RS256/ES256 with --key, the private key \
(PEM) whose public key the server has in --auth-public-key. An application backend would sign the same claims with any \
JWT library: sub, exp, and optionally name, rooms and publish.`

  static enableJsonFlag = true

  static flags = {
    secret: Flags.string({description: "HS256 shared secret: the server's --auth-secret.", env: 'CHATDDS_AUTH_SECRET'}),
    key: Flags.string({description: 'RS256/ES256 private key file (PEM); the server has its public key in --auth-public-key.', helpValue: 'FILE'}),
    sub: Flags.string({description: 'The user (the "sub" claim); the sender name unless --name is given.', required: true}),
    name: Flags.string({description: 'The name shown as the sender (the "name" claim).'}),
    rooms: patternsFlag({description: 'Rooms the user may join, comma-separated, * as a wildcard [default: every room].', helpValue: 'general,team-*'}),
    publish: patternsFlag({description: 'Rooms the user may send to [default: --rooms].', helpValue: 'PATTERNS'}),
    ttl: ttlFlag({description: 'Lifetime: 90s, 30m, 1h, 7d.', default: 3600, defaultHelp: () => Promise.resolve('1h')}),
  }

  static examples = [
    {description: 'A token for alice, valid for an hour', command: '<%= config.bin %> <%= command.id %> --secret "$SECRET" --sub alice'},
    {
      description: 'Only #general and the team rooms, sending to the team rooms only, for a day',
      command: `<%= config.bin %> <%= command.id %> --secret "$SECRET" --sub u-42 --name "Alice" --rooms 'general,team-*' --publish 'team-*' --ttl 1d`,
    },
    {description: 'Signed with an RSA or EC private key', command: '<%= config.bin %> <%= command.id %> --key private.pem --sub alice'},
    {description: 'Send with it', command: '<%= config.bin %> send --port 7000 --token "$(<%= config.bin %> <%= command.id %> --sub alice)" "hi"'},
  ]

  async run(): Promise<SignedToken> {
    const {flags} = await this.parse(Token)
    // A secret that only came from the environment gives way to an explicit --key.
    const secretGiven = this.argv.some((arg) => arg === '--secret' || arg.startsWith('--secret='))
    const secret = flags.key !== undefined && !secretGiven ? undefined : flags.secret
    if (secret === undefined && flags.key === undefined) this.error("Pass --secret (the server's --auth-secret) or --key FILE (its private key).", {exit: 2})
    const signed = await signToken({
      secret,
      privateKeyPem: flags.key === undefined ? undefined : readKeyFile(flags.key, '--key'),
      sub: flags.sub,
      name: flags.name,
      rooms: flags.rooms,
      publish: flags.publish,
      ttlSeconds: flags.ttl,
    })
    if (!this.jsonEnabled()) this.log(signed.token)
    return signed
  }
}
