import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/baseCommand.js'
import {ddsFlags, logLevelFlag} from '../cli/flags.js'
import {rateLimitFlags, rateLimitOf} from '../cli/rateFlags.js'
import {isStdoutOpen, stopped} from '../cli/signals.js'
import {exposureWarning, loadSecurity} from '../lib/chat/auth.js'
import {startInstance} from '../lib/chat/instance.js'
import {createLogger, LOG_LEVELS, timestamped} from '../lib/chat/log.js'

/** Shutdown must finish well within 2 s of the signal. */
const SHUTDOWN_BUDGET_MS = 1500

export default class Serve extends BaseCommand {
  static summary = 'Run one chat instance: a websocket server whose messages travel to the other instances over DDS.'

  static description = `Serves on one port: the browser page (GET /), the live dashboard (GET /dashboard), /healthz, /readyz, /metrics, /presence and websockets. \
A client without subprotocol speaks the plain protocol of the OpenDDS node-websocket-chat example (a text frame is a message, \
every message comes back as a text frame); a client asking for chatdds.v1 gets rooms, acks, history, resume and presence \
(docs/protocol.md).

Every message is written to the DDS topic "User Messages" and every sample read from it goes to the clients, so \
instances on the same DDS domain form one chat without a broker. DDS stays on this host (loopback) unless --dds-config, \
--interface or --peer say otherwise; --dds-security DIR --name NAME joins with DDS Security, as identity NAME of the PKI \
in DIR (\`chatdds security init\`), and every file is checked first (exit 1 naming a missing, expired, mismatched or badly \
signed one). Two more topics, "chatdds History" and "chatdds Presence", carry the cluster's state: \
a new instance gets its peers' recent messages (it is ready, /readyz 200, once they answered, 15 s at most), and every \
instance knows who is in which room on every other one.

Instance names are unique in the DDS domain. Before it serves, an instance waits one DDS announcement period plus 0.1 s \
(0.6 s by default, 1.1 s at most) for the live participants to answer: a --name that another one already has is refused \
(exit 1, naming that participant's GUID prefix); the default name, chat-<short hostname>-<port>, takes a random suffix \
instead (chat-web1-7000-3f2a) and says so in a warning. An --interface address this host does not have is refused too \
(exit 1, listing the host's addresses), and /readyz is never 200 while it is missing.

Logs go to stdout, one line per event, each after its ISO 8601 time (2026-01-02T03:04:05.678Z; \`cluster logs --since\` \
reads it). "Writing message" / "Received a message" lines show a message as #room sender: text (control characters \
escaped, a plain reference message's sender as (plain)). At info level "Writing message" / "Received a message" lines are capped at 20 per \
second (a summary line counts the rest); --log-level debug shows every one. SIGINT, SIGTERM, or the end of the parent's \
IPC channel closes every client with 1001, leaves DDS and exits 0.`

  static examples = [
    {description: 'The reference setup: port 7000, DDS domain 10', command: '<%= config.bin %> <%= command.id %> --port 7000'},
    {description: "With the reference example's OpenDDS config file", command: '<%= config.bin %> <%= command.id %> --port 7001 -DCPSConfigFile rtps.ini'},
    {description: 'Reach an instance on another host by unicast', command: '<%= config.bin %> <%= command.id %> --interface 192.168.1.10 --peer 192.168.1.11'},
    {
      description: 'Only clients with a connect token, and a publish API for the backend',
      command: '<%= config.bin %> <%= command.id %> --auth-secret "$SECRET" --api-key "$API_KEY"',
    },
    {description: 'With DDS Security, as identity chat-1 of the PKI in ./pki', command: '<%= config.bin %> <%= command.id %> --dds-security pki --name chat-1'},
    {description: 'At most 50 frames/s per client, 100 at once', command: '<%= config.bin %> <%= command.id %> --rate-limit 50/s --rate-burst 100'},
    {
      description: 'Quiet, with a larger history and frame limit',
      command: '<%= config.bin %> <%= command.id %> -p 7002 --quiet --history 1000 --max-payload 1048576',
    },
  ]

  static flags = {
    port: Flags.integer({char: 'p', description: 'TCP port for HTTP and websockets (0: any free port).', default: 7000, min: 0, max: 65_535}),
    host: Flags.string({description: 'Address to listen on.', default: '127.0.0.1'}),
    ...ddsFlags,
    name: Flags.string({description: 'Instance name, unique in the DDS domain [default: chat-<short hostname>-<port>].'}),
    'max-payload': Flags.integer({description: 'Largest websocket frame in bytes; larger ones close the client with 1009.', default: 65_536, min: 1}),
    history: Flags.integer({description: 'Messages remembered per room for chatdds.v1 history and resume.', default: 100, min: 0}),
    'repair-depth': Flags.integer({
      description: 'Messages kept per DDS writer to repair peers after a stall or partition longer than the lease (100 s at 100 msg/s).',
      default: 10_000,
      min: 0,
    }),
    ...rateLimitFlags,
    'log-level': logLevelFlag({description: `Lowest level logged: ${LOG_LEVELS.join(', ')} [default: info].`, helpValue: LOG_LEVELS.join('|')}),
    quiet: Flags.boolean({char: 'q', description: 'Log warnings and errors only (--log-level warn).', exclusive: ['log-level']}),
    // ---- who may connect and publish (README, "Security") ----
    'auth-secret': Flags.string({
      description: 'Require connect tokens (JWT) signed with this HS256 secret (see `chatdds token`).',
      env: 'CHATDDS_AUTH_SECRET',
      helpValue: 'SECRET',
    }),
    'auth-public-key': Flags.string({description: 'Require connect tokens signed with the private key of this PEM public key (RS256/ES256).', helpValue: 'FILE'}),
    'allowed-origin': Flags.string({
      description: "Also accept browser pages from this origin (repeatable; * any, null pages opened as files) [default: the cluster's own pages].",
      multiple: true,
      helpValue: 'URL',
    }),
    'api-key': Flags.string({
      description: 'Serve /api/publish, /api/presence and /api/history to requests with "Authorization: Bearer KEY"; /dashboard/data then needs it too.',
      env: 'CHATDDS_API_KEY',
      helpValue: 'KEY',
    }),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Serve)
    // Installed before the (slow) start, so that a signal during it still shuts down cleanly.
    const stop = this.stopSignal({parentChannel: true, stdoutClosed: true})
    const security = loadSecurity({
      authSecret: flags['auth-secret'],
      authPublicKey: flags['auth-public-key'],
      allowedOrigins: flags['allowed-origin'],
      apiKey: flags['api-key'],
    })
    const exposed = exposureWarning(flags.host, flags.port, security)
    if (exposed) this.logToStderr(timestamped(`warning: ${exposed}`))
    const logger = createLogger(flags['log-level'] ?? (flags.quiet ? 'warn' : 'info'), (line) => isStdoutOpen() && this.log(timestamped(line)))
    const server = await startInstance({
      port: flags.port,
      host: flags.host,
      domain: flags.domain,
      ddsConfig: flags['dds-config'],
      interface: flags.interface,
      peers: flags.peer,
      ddsSecurity: flags['dds-security'],
      name: flags.name,
      maxPayload: flags['max-payload'],
      historyDepth: flags.history,
      repairDepth: flags['repair-depth'],
      rateLimit: rateLimitOf(flags),
      logger,
      security,
      onConfigWarning: (line) => this.logToStderr(timestamped(`warning: ${line}`)),
      signal: stop,
    })

    logger.info(`Shutting down (${await stopped(stop)})`)
    await Promise.race([server.close(), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_BUDGET_MS).unref())])
    this.exit(0)
  }
}
