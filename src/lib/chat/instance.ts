/** `chatdds serve` wiring: rtps.ini and flags → DDS settings, a DdsBus, the chat server. */
import {ChatddsError} from '../errors.js'
import type {DdsConfig} from '../dds/types.js'
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
  /** One line per rtps.ini key that is not applied: `file:line: message`. */
  onConfigWarning?: (line: string) => void
}

/** Starts one chat instance on DDS. Throws ChatddsError with exit 2 for bad settings, 1 for runtime failures. */
export async function startInstance(options: InstanceOptions): Promise<ChatServer> {
  // The DDS modules load the native binding: import them only when a real instance starts.
  const [{DEFAULT_DOMAIN, DdsError, parsePeer}, {loadRtpsIni, formatWarning}, {DdsBus}] = await Promise.all([
    import('../dds/index.js'),
    import('../dds/rtpsIni.js'),
    import('./ddsBus.js'),
  ])
  let config: Partial<DdsConfig> = {}
  let domain = options.domain
  if (options.ddsConfig) {
    const ini = loadRtpsIni(options.ddsConfig)
    for (const warning of ini.warnings) options.onConfigWarning?.(formatWarning(warning))
    config = ini.config
    domain ??= ini.domain
  }
  domain ??= DEFAULT_DOMAIN
  const usage = (error: unknown): never => {
    if (error instanceof DdsError && error.code === 'EINVAL') throw new ChatddsError('EINVAL', error.message, 2)
    throw error
  }
  if (options.interface) config = {...config, interface: options.interface}
  if (options.peers?.length) {
    const extra = options.peers.map((peer) => {
      try {
        return parsePeer(peer)
      } catch (error) {
        return usage(error)
      }
    })
    config = {...config, initialPeers: [...(config.initialPeers ?? []), ...extra]}
  }
  const {logger} = options
  return startChatServer({
    port: options.port,
    host: options.host ?? DEFAULTS.host,
    name: options.name,
    maxPayload: options.maxPayload,
    historyDepth: options.historyDepth,
    logger,
    bus({name}) {
      try {
        const bus = new DdsBus({domain: domain!, name, config})
        logger.info(`Joined DDS domain ${domain} as ${name} (interface ${config.interface ?? '127.0.0.1'})`)
        return bus
      } catch (error) {
        if (error instanceof DdsError && error.code === 'EINVAL') usage(error)
        if (error instanceof DdsError) throw new ChatddsError(error.code, `Cannot join DDS domain ${domain}: ${error.message}`)
        throw error
      }
    },
  })
}
