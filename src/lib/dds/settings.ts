/** Turns the DDS command-line options shared by `serve` and `spy` into a domain and a DdsConfig. */
import {securityFiles} from '../security/layout.js'
import {validateSecurityFiles} from '../security/validate.js'
import {assertHostInterface, parsePeer, resolveConfig, validateDomain} from './config.js'
import {formatWarning, loadRtpsIni, type RtpsIniSecurity} from './rtpsIni.js'
import {OPENDDS_SECURITY_KEYS, securityProperties, type SecurityFiles} from './security.js'
import {DdsError, DEFAULT_DOMAIN, type DdsConfig} from './types.js'

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
  /**
   * --dds-security DIR with the identity NAME (serve's --name, spy's): join with DIR's PKI files for NAME
   * (security/layout.ts); overrides the rtps.ini's dds.sec.* keys. `flag` names the identity's flag in messages.
   */
  security?: {dir: string; name?: string; flag: string}
}

export interface DdsSettings {
  domain: number
  config: Partial<DdsConfig>
  /** Present when the participant joins with DDS Security: its files, checked. */
  security?: SecurityFiles
}

/** rtps.ini warnings shown one by one; the rest are counted in one line. */
export const MAX_CONFIG_WARNINGS = 10

/**
 * Throws DdsError: code EINVAL for a bad flag value or setting (bad usage), EINI for an rtps.ini that cannot be read,
 * is not a regular file, is too large or is malformed, EADDRNOTAVAIL for an interface this host does not have.
 */
export function resolveDdsSettings(options: DdsSettingsOptions): DdsSettings {
  let config: Partial<DdsConfig> = {}
  let domain = options.domain
  let iniSecurity: RtpsIniSecurity | undefined
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
    iniSecurity = ini.security
  }
  if (options.interface) config = {...config, interface: options.interface}
  if (options.peers?.length) config = {...config, initialPeers: [...(config.initialPeers ?? []), ...options.peers.map(parsePeer)]}
  // Validates addresses and numbers now, so that a bad value is a usage error, not a crash later, and an interface
  // this host does not have is refused before anything joins DDS.
  assertHostInterface(resolveConfig(config).interface)
  const settings = {domain: validateDomain(domain ?? DEFAULT_DOMAIN), config}
  // Checked last and before anything joins: the files' checks run openssl, and a usage error comes first.
  const security = securitySettings(options, iniSecurity)
  if (!security) return settings
  validateSecurityFiles(security.files, {source: security.source})
  return {...settings, config: {...config, properties: securityProperties(security.files)}, security: security.files}
}

/** Which security files apply: --dds-security's, else a DCPSSecurity=1 rtps.ini's, else none. */
function securitySettings(options: DdsSettingsOptions, ini: RtpsIniSecurity | undefined): {files: SecurityFiles; source: string} | undefined {
  if (options.security) {
    const {dir, name, flag} = options.security
    if (name === undefined) throw new DdsError('EINVAL', `--dds-security needs ${flag} NAME: the identity (${dir}/identities/NAME) to join with.`)
    return {files: securityFiles(dir, name), source: `--dds-security ${dir} ${flag} ${name}`}
  }
  if (!ini) return undefined
  const file = options.ddsConfig!
  const keys = Object.entries(OPENDDS_SECURITY_KEYS) as Array<[keyof SecurityFiles, string]>
  const missing = keys.filter(([field]) => ini.files[field] === undefined).map(([, key]) => key)
  if (missing.length === keys.length) {
    throw new DdsError(
      'EINI',
      `${file}:${ini.line}: DCPSSecurity=1 asks for DDS Security but no security files are given; add the dds.sec.* keys (${keys.map(([, key]) => key).join(', ')}) to [common], or pass --dds-security DIR with the identity's name.`,
    )
  }
  if (missing.length > 0)
    throw new DdsError(
      'EINI',
      `${file}:${ini.line}: DCPSSecurity=1 needs every DDS Security file, and ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing; add ${missing.length === 1 ? 'it' : 'them'} to [common].`,
    )
  return {files: ini.files as SecurityFiles, source: `the dds.sec.* keys of ${file}`}
}
