/** Turns the DDS command-line options shared by `serve` and `spy` into a domain and a DdsConfig. */
import {assertHostInterface, parsePeer, resolveConfig, validateDomain} from './config.js'
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
  /**
   * Called once per rtps.ini key that is not applied, as `file:line: message`, for the first MAX_CONFIG_WARNINGS;
   * then once more with `file: N more warnings not shown; …` when there were more.
   */
  onWarning?: (line: string) => void
}

/** rtps.ini warnings shown one by one; the rest are counted in one line. */
export const MAX_CONFIG_WARNINGS = 10

/**
 * Throws DdsError: code EINVAL for a bad flag value or setting (bad usage), EINI for an rtps.ini that cannot be read,
 * is not a regular file, is too large or is malformed, EADDRNOTAVAIL for an interface this host does not have.
 */
export function resolveDdsSettings(options: DdsSettingsOptions): {domain: number; config: Partial<DdsConfig>} {
  let config: Partial<DdsConfig> = {}
  let domain = options.domain
  if (options.ddsConfig) {
    const ini = loadRtpsIni(options.ddsConfig)
    for (const warning of ini.warnings.slice(0, MAX_CONFIG_WARNINGS)) options.onWarning?.(formatWarning(warning))
    const rest = ini.warnings.length - MAX_CONFIG_WARNINGS
    if (rest > 0) {
      options.onWarning?.(
        `${options.ddsConfig}: ${rest} more warning${rest === 1 ? '' : 's'} not shown (${ini.warnings.length} in all); fix the ones above and run again to see the next.`,
      )
    }
    config = ini.config
    domain ??= ini.domain
  }
  if (options.interface) config = {...config, interface: options.interface}
  if (options.peers?.length) config = {...config, initialPeers: [...(config.initialPeers ?? []), ...options.peers.map(parsePeer)]}
  // Validates addresses and numbers now, so that a bad value is a usage error, not a crash later, and an interface
  // this host does not have is refused before anything joins DDS.
  assertHostInterface(resolveConfig(config).interface)
  return {domain: validateDomain(domain ?? DEFAULT_DOMAIN), config}
}
