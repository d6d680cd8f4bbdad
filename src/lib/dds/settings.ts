/** Turns the DDS command-line options shared by `serve` and `spy` into a domain and a DdsConfig. */
import {ChatddsError} from '../errors.js'
import {parsePeer, resolveConfig, validateDomain} from './config.js'
import {formatWarning, loadRtpsIni} from './rtpsIni.js'
import {DEFAULT_DOMAIN, DdsError, type DdsConfig} from './types.js'

export interface DdsSettingsOptions {
  /** --domain; overrides the rtps.ini's. */
  domain?: number
  /** --dds-config / -DCPSConfigFile. */
  ddsConfig?: string
  /** --interface; overrides the rtps.ini's. */
  interface?: string
  /** --peer host[:port], added to the rtps.ini's peers. */
  peers?: string[]
  /** Called once per rtps.ini key that is not applied, as `file:line: message`. */
  onWarning?: (line: string) => void
}

/** Throws ChatddsError: exit 2 for a bad flag value, exit 1 (code EINI) for a broken rtps.ini. */
export function resolveDdsSettings(options: DdsSettingsOptions): {domain: number; config: Partial<DdsConfig>} {
  let config: Partial<DdsConfig> = {}
  let domain = options.domain
  if (options.ddsConfig) {
    const ini = loadRtpsIni(options.ddsConfig)
    for (const warning of ini.warnings) options.onWarning?.(formatWarning(warning))
    config = ini.config
    domain ??= ini.domain
  }
  try {
    if (options.interface) config = {...config, interface: options.interface}
    if (options.peers?.length) config = {...config, initialPeers: [...(config.initialPeers ?? []), ...options.peers.map(parsePeer)]}
    resolveConfig(config) // validates addresses and numbers now, so a bad value is a usage error, not a crash later
    return {domain: validateDomain(domain ?? DEFAULT_DOMAIN), config}
  } catch (error) {
    if (error instanceof DdsError) throw new ChatddsError(error.code, error.message, 2)
    throw error
  }
}
