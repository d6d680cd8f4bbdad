/** Turns the DDS command-line options shared by `serve` and `spy` into a domain and a DdsConfig. */
import {parsePeer, resolveConfig, validateDomain} from './config.js'
import {formatWarning, loadRtpsIni} from './rtpsIni.js'
import {DEFAULT_DOMAIN, type DdsConfig} from './types.js'

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

/**
 * Throws DdsError: code EINVAL for a bad flag value or setting (bad usage), EINI for an rtps.ini that cannot be read
 * or is malformed.
 */
export function resolveDdsSettings(options: DdsSettingsOptions): {domain: number; config: Partial<DdsConfig>} {
  let config: Partial<DdsConfig> = {}
  let domain = options.domain
  if (options.ddsConfig) {
    const ini = loadRtpsIni(options.ddsConfig)
    for (const warning of ini.warnings) options.onWarning?.(formatWarning(warning))
    config = ini.config
    domain ??= ini.domain
  }
  if (options.interface) config = {...config, interface: options.interface}
  if (options.peers?.length) config = {...config, initialPeers: [...(config.initialPeers ?? []), ...options.peers.map(parsePeer)]}
  resolveConfig(config) // validates addresses and numbers now, so a bad value is a usage error, not a crash later
  return {domain: validateDomain(domain ?? DEFAULT_DOMAIN), config}
}
