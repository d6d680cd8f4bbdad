/** `chatdds serve` wiring: rtps.ini and flags → DDS settings, a DdsBus, the chat server. */
import {ChatddsError} from '../errors.js'
import {resolveDdsSettings} from '../dds/settings.js'
import type {SecurityOptions} from './auth.js'
import type {Logger} from './log.js'
import {DEFAULTS, startChatServer, type ChatServer} from './server.js'

export interface InstanceOptions {
  port: number
  host?: string
  /** Overrides the domain of the rtps.ini; default 10. */
  domain?: number
  /** OpenDDS rtps.ini (`--dds-config`, `-DCPSConfigFile`). */
  ddsConfig?: string
  /** Interface DDS binds to (overrides the rtps.ini). */
  interface?: string
  /** Extra unicast discovery peers, `host[:port]`. */
  peers?: string[]
  name?: string
  maxPayload?: number
  historyDepth?: number
  logger: Logger
  /** Connect tokens, Origin policy, API key (auth.ts). */
  security?: SecurityOptions
  /** One line per rtps.ini key that is not applied: `file:line: message`. */
  onConfigWarning?: (line: string) => void
}

/** Starts one chat instance on DDS. Throws ChatddsError with exit 2 for bad settings, 1 for runtime failures. */
export async function startInstance(options: InstanceOptions): Promise<ChatServer> {
  const {domain, config} = resolveDdsSettings({
    domain: options.domain,
    ddsConfig: options.ddsConfig,
    interface: options.interface,
    peers: options.peers,
    onWarning: options.onConfigWarning,
  })
  // The DDS bus loads the native binding: import it only when a real instance starts.
  const [{DdsError}, {DdsBus}] = await Promise.all([import('../dds/index.js'), import('./ddsBus.js')])
  const {logger} = options
  return startChatServer({
    port: options.port,
    host: options.host ?? DEFAULTS.host,
    name: options.name,
    maxPayload: options.maxPayload,
    historyDepth: options.historyDepth,
    logger,
    security: options.security,
    bus({name}) {
      try {
        const bus = new DdsBus({domain, name, config})
        logger.info(`Joined DDS domain ${domain} as ${name} (interface ${config.interface ?? '127.0.0.1'})`)
        return bus
      } catch (error) {
        if (error instanceof DdsError) throw new ChatddsError(error.code, `Cannot join DDS domain ${domain}: ${error.message}`, error.code === 'EINVAL' ? 2 : 1)
        throw error
      }
    },
  })
}
