/**
 * OpenDDS rtps.ini → chatdds's Partial<DdsConfig> and domain id (README, "Discovery and networks").
 * Hand-written parser so that every error and warning names file:line: a key chatdds does not
 * apply is a warning, a malformed file is an error, never a silent default.
 */
import {closeSync, fstatSync, openSync, readSync, statSync, type Stats} from 'node:fs'
import path from 'node:path'
import {OPENDDS_SECURITY_KEYS, type SecurityFiles} from './security.js'
import {DdsError, type DdsConfig, type Peer} from './types.js'

export interface RtpsIniWarning {
  file: string
  line: number
  message: string
}

/** DDS Security as the file asks for it: DCPSSecurity and OpenDDS's dds.sec.* file keys (settings.ts decides). */
export interface RtpsIniSecurity {
  /** DCPSSecurity=1. */
  enabled: boolean
  /** Line of DCPSSecurity, or of the first dds.sec.* key when there is none. */
  line: number
  /** The files the dds.sec.* keys name, absolute (relative paths are from the working directory, as OpenDDS reads them). */
  files: Partial<SecurityFiles>
}

export interface RtpsIniResult {
  domain?: number
  config: Partial<DdsConfig>
  warnings: RtpsIniWarning[]
  /** Present when the file mentions DDS Security at all. */
  security?: RtpsIniSecurity
}

interface Entry {
  key: string
  value: string
  line: number
}
/** Repeated headers merge into one Section, so `line` is the first header's. */
interface Section {
  kind: string
  name: string
  line: number
  entries: Entry[]
}

type Handler = (entry: Entry) => void

/** OpenDDS's built-in RTPS discovery, what a domain without DiscoveryConfig uses. */
const DEFAULT_RTPS = 'DEFAULT_RTPS'
/** Highest domain id the RTPS port formula allows (PB 7400 + DG 250·d must stay below 65536). */
const MAX_DOMAIN = 232
/** OpenDDS rejects these without a `/name`, so a bare [transport] is a typo, not an unknown section. */
const NAMED_KINDS = new Set(['domain', 'rtps_discovery', 'transport', 'config'])

/** Most addresses one SpdpSendAddrs may list (`cluster up` writes 40 at most). */
export const MAX_SEND_ADDRS = 256
/** Largest rtps.ini read: the reference's is 300 bytes, a generated 40-instance one about 2 KiB. */
export const MAX_RTPS_INI_BYTES = 1024 * 1024

export function formatWarning(warning: RtpsIniWarning): string {
  return `${warning.file}:${warning.line}: ${warning.message}`
}

export function loadRtpsIni(file: string): RtpsIniResult {
  return parseRtpsIni(readRtpsIni(file), file)
}

/**
 * The file's text, refusing at once what is not a regular file of at most MAX_RTPS_INI_BYTES: /dev/zero or a FIFO
 * would otherwise be read forever (or block), a huge file parsed for minutes.
 */
function readRtpsIni(file: string): string {
  const cannotRead = (error: unknown): never => {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error)
    throw new DdsError('EINI', `Cannot read the DDS config file ${file} (${reason}); check the path given to --dds-config or -DCPSConfigFile.`)
  }
  const check = (stats: Stats) => {
    if (stats.isDirectory()) cannotRead({code: 'EISDIR'})
    if (!stats.isFile()) {
      throw new DdsError(
        'EINI',
        `The DDS config file ${file} is not a regular file (it is ${fileKind(stats)}); give --dds-config or -DCPSConfigFile the path of an rtps.ini file.`,
      )
    }
    if (stats.size > MAX_RTPS_INI_BYTES) throw tooLarge()
  }
  const tooLarge = () =>
    new DdsError(
      'EINI',
      `The DDS config file ${file} is larger than ${MAX_RTPS_INI_BYTES / 1024 / 1024} MiB, far more than any rtps.ini; check that --dds-config or -DCPSConfigFile names the right file.`,
    )
  // stat before open: opening a FIFO blocks until someone writes to it.
  let stats: Stats
  try {
    stats = statSync(file)
  } catch (error) {
    return cannotRead(error)
  }
  check(stats)
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch (error) {
    return cannotRead(error)
  }
  try {
    check(fstatSync(fd)) // the path may name another file by now
    // One byte more than the bound: a file that grew since fstat is refused, not cut short.
    const buffer = Buffer.alloc(MAX_RTPS_INI_BYTES + 1)
    let length = 0
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null)
      length += read
      if (read === 0 || length === buffer.length) break
    }
    if (length > MAX_RTPS_INI_BYTES) throw tooLarge()
    return buffer.toString('utf8', 0, length)
  } catch (error) {
    if (error instanceof DdsError) throw error
    return cannotRead(error)
  } finally {
    closeSync(fd)
  }
}

function fileKind(stats: Stats): string {
  if (stats.isFIFO()) return 'a named pipe'
  if (stats.isCharacterDevice()) return 'a character device'
  if (stats.isBlockDevice()) return 'a block device'
  if (stats.isSocket()) return 'a socket'
  return 'neither a file nor a directory'
}

export function parseRtpsIni(text: string, file: string): RtpsIniResult {
  const fail: (line: number, what: string) => never = (line, what) => {
    throw new DdsError('EINI', `${file}:${line}: ${what}.`)
  }
  const warnings: RtpsIniWarning[] = []
  const warn = (line: number, message: string) => warnings.push({file, line, message})
  const notApplied = (entry: Entry) =>
    warn(entry.line, `key ${entry.key} is not applied by chatdds (it has no Fast DDS equivalent here); remove it to silence this warning`)
  const sections = parseSections(text, fail)
  const find = (kind: string, name: string) => sections.find((s) => s.kind === kind && s.name === name)
  const lookup = (section: Section | undefined, key: string) => section?.entries.find((e) => e.key.toLowerCase() === key)

  // chatdds joins exactly one domain; the first [domain/N] wins, later ones only warn.
  const domains = sections.filter((s) => s.kind === 'domain')
  for (const s of domains) {
    if (!/^\d+$/.test(s.name) || Number(s.name) > MAX_DOMAIN)
      fail(s.line, `domain id "${s.name}" is not a number from 0 to ${MAX_DOMAIN}; write the section as [domain/10]`)
  }
  const domain = domains.length > 0 ? Number(domains[0].name) : undefined
  for (const s of domains.slice(1))
    warn(s.line, `section [domain/${s.name}] is not applied by chatdds (it joins one domain, the first in the file: ${domain}); use --domain to pick another`)

  // Which [rtps_discovery/NAME] applies: the domain's DiscoveryConfig, else [common] DCPSDefaultDiscovery.
  const discoveryOf = (entry: Entry | undefined): string | undefined => {
    if (entry && entry.value !== DEFAULT_RTPS && !find('rtps_discovery', entry.value)) {
      fail(
        entry.line,
        `${entry.key}=${entry.value} names no [rtps_discovery/${entry.value}] section (chatdds only does RTPS discovery); add that section or use ${DEFAULT_RTPS}`,
      )
    }
    return entry?.value
  }
  const common = sections.find((s) => s.kind === 'common')
  const defaultDiscovery = discoveryOf(lookup(common, 'dcpsdefaultdiscovery')) ?? DEFAULT_RTPS
  const discovery = discoveryOf(lookup(domains[0], 'discoveryconfig')) ?? defaultDiscovery

  const config: Partial<DdsConfig> = {}
  const setAt = new Map<keyof DdsConfig, number>()
  // Several keys can feed one field (local_address and SpdpLocalAddress): last one wins, loudly.
  const set = <K extends keyof DdsConfig>(field: K, value: DdsConfig[K], entry: Entry) => {
    const previous = setAt.get(field)
    if (previous !== undefined && JSON.stringify(config[field]) !== JSON.stringify(value)) {
      warn(entry.line, `key ${entry.key} overrides the ${field} set at line ${previous}`)
    }
    config[field] = value
    setAt.set(field, entry.line)
  }

  const number = (entry: Entry, what: string, example: string, valid: (value: number) => boolean): number => {
    const value = /^\d+(\.\d+)?$/.test(entry.value) ? Number(entry.value) : Number.NaN
    if (!valid(value)) fail(entry.line, `${entry.key}=${entry.value} is not ${what}; write e.g. ${entry.key}=${example}`)
    return value
  }
  const seconds = (entry: Entry) => number(entry, 'a positive number of seconds', '30', (value) => value > 0)
  const flag = (entry: Entry): boolean => {
    if (!/^(0|1|true|false)$/i.test(entry.value)) fail(entry.line, `${entry.key}=${entry.value} is not 0 or 1; write ${entry.key}=0 or ${entry.key}=1`)
    return /^(1|true)$/i.test(entry.value)
  }
  const address = (entry: Entry, text: string): Peer => {
    // OpenDDS also writes `host:` (empty port = the RTPS formula's), e.g. local_address=127.0.0.1:
    const match = /^([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(\d{1,5})?)?$/.exec(text)
    if (!match || (match[2] !== undefined && Number(match[2]) > 65535)) {
      return fail(entry.line, `"${text}" in ${entry.key} is not host or host:port; write e.g. ${entry.key}=127.0.0.1:9910`)
    }
    return match[2] === undefined ? {address: match[1]} : {address: match[1], port: Number(match[2])}
  }
  const setInterface: Handler = (entry) => {
    const {address: host, port} = address(entry, entry.value)
    // Fast DDS picks its ports by the RTPS formula, so only the host part has a meaning for us.
    if (port) warn(entry.line, `port ${port} of key ${entry.key} is not applied by chatdds (ports follow the RTPS formula); only the interface ${host} is`)
    set('interface', host, entry)
  }
  // OpenDDS turns SPDP/SEDP/transport multicast on by default; chatdds does not follow that default
  // (this host only unless told otherwise). config.multicast is true only when some applied
  // key explicitly says 1 (Fast DDS has one switch, so any explicit "on" wins over an explicit "off"),
  // false when multicast keys are present but all say 0, and left unset when no key mentions it.
  // Turning it on never removes the 127.0.0.1 unicast peers, and the engine keeps it on `interface`.
  let multicast: boolean | undefined
  const setMulticast: Handler = (entry) => {
    multicast = (multicast ?? false) || flag(entry)
  }
  const ttl: Handler = (entry) =>
    set(
      'ttl',
      number(entry, 'a TTL from 0 to 255', '1', (value) => Number.isInteger(value) && value <= 255),
      entry,
    )
  const ignore: Handler = () => {}
  let security: RtpsIniSecurity | undefined
  const securityOf = (entry: Entry) => (security ??= {enabled: false, line: entry.line, files: {}})
  const dcpsSecurity: Handler = (entry) => {
    const state = securityOf(entry)
    state.enabled = flag(entry)
    state.line = entry.line
  }
  // OpenDDS's dds.sec.* keys name files as `file:PATH` URIs; Fast DDS's `file://PATH` form is taken too.
  const securityKeys: Record<string, Handler> = Object.fromEntries(
    (Object.entries(OPENDDS_SECURITY_KEYS) as Array<[keyof SecurityFiles, string]>).map(([field, key]) => [
      key,
      (entry: Entry) => {
        const match = /^file:(?:\/\/)?(.+)$/.exec(entry.value)
        if (!match)
          fail(
            entry.line,
            `${entry.key}=${entry.value} is not a file: URI (chatdds reads DDS Security files only from files); write e.g. ${entry.key}=file:${path.join('security', 'identity_ca.pem')}`,
          )
        securityOf(entry).files[field] = path.resolve(match[1])
      },
    ]),
  )

  // Accepted silently: each only selects a transport or discovery config, and chatdds has exactly
  // one of each (RTPS/UDP transport, RTPS discovery); discovery names were validated above.
  // DCPSDebugLevel is deliberately not here: it asks for logs we do not produce, so it warns.
  const handlers: Record<string, Record<string, Handler>> = {
    common: {
      dcpsglobaltransportconfig: ignore,
      dcpsdefaultdiscovery: ignore,
      dcpssecurity: dcpsSecurity,
      ...securityKeys,
    },
    domain: {discoveryconfig: ignore, ...securityKeys},
    rtps_discovery: {
      // OpenDDS separates these by commas or whitespace; an empty item ("a,,b") is a typo, not a skip.
      spdpsendaddrs: (entry) => {
        const items = entry.value.split(/\s*,\s*|\s+/)
        // Each address without a port is announced to on every participant id: thousands would flood the network.
        if (items.length > MAX_SEND_ADDRS)
          fail(
            entry.line,
            `${entry.key} lists ${items.length} addresses, more than the ${MAX_SEND_ADDRS} chatdds accepts; list one address per peer host (without a port, every participant id on it is reached)`,
          )
        set(
          'initialPeers',
          items.map((text) => address(entry, text)),
          entry,
        )
      },
      sedpmulticast: setMulticast,
      spdplocaladdress: setInterface,
      resendperiod: (entry) => set('announcementPeriod', seconds(entry), entry),
      leaseduration: (entry) => set('leaseDuration', seconds(entry), entry),
      ttl,
      interopmulticastoverride: (entry) => {
        const octets = entry.value.split('.').map(Number)
        const ok = /^\d{1,3}(\.\d{1,3}){3}$/.test(entry.value) && octets[0] >= 224 && octets[0] <= 239 && octets.every((o) => o <= 255)
        if (!ok) fail(entry.line, `${entry.key}=${entry.value} is not an IPv4 multicast group; write e.g. ${entry.key}=239.255.0.1`)
        set('multicastAddress', entry.value, entry)
      },
    },
    transport: {transport_type: ignore, use_multicast: setMulticast, local_address: setInterface, ttl},
    config: {transports: ignore},
  }

  for (const section of sections) {
    if (section.kind === 'domain' && section !== domains[0]) continue // warned above
    if (section.kind === 'rtps_discovery' && section.name !== discovery) {
      warn(section.line, `section [rtps_discovery/${section.name}] is not applied by chatdds (no domain uses it; the domain uses ${discovery})`)
      continue
    }
    if (section.kind === 'transport') {
      const type = lookup(section, 'transport_type')
      if (!type) fail(section.line, `section [transport/${section.name}] has no transport_type; add transport_type=rtps_udp`)
      if (type.value !== 'rtps_udp') {
        warn(type.line, `section [transport/${section.name}] is not applied by chatdds (transport_type=${type.value}; chatdds only speaks rtps_udp)`)
        continue
      }
    }
    const known = handlers[section.kind]
    if (!known) {
      warn(section.line, `section [${section.kind}${section.name ? '/' + section.name : ''}] is not applied by chatdds; remove it to silence this warning`)
      continue
    }
    for (const entry of section.entries) (known[entry.key.toLowerCase()] ?? notApplied)(entry)
  }
  if (multicast !== undefined) config.multicast = multicast
  if (security && !security.enabled) {
    if (Object.keys(security.files).length > 0)
      warn(
        security.line,
        'DDS Security keys are not applied by chatdds without DCPSSecurity=1 (as in OpenDDS); add DCPSSecurity=1 to [common] to join securely, or remove the dds.sec.* keys',
      )
    security = undefined
  }
  return security ? {domain, config, warnings, security} : {domain, config, warnings}
}

/** Lines → sections, merging repeated headers as OpenDDS does; syntax errors throw via `fail`. */
function parseSections(text: string, fail: (line: number, what: string) => never): Section[] {
  const sections: Section[] = []
  // By `kind/name`: a file of many headers must not cost a scan of every earlier section per header.
  const byHeader = new Map<string, Section>()
  let current: Section | undefined
  for (const [index, raw] of text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .entries()) {
    const line = index + 1
    const content = raw.trim()
    if (content === '' || content.startsWith('#') || content.startsWith(';')) continue
    if (content.startsWith('[')) {
      const header = /^\[([^[\]]+)\]$/.exec(content)?.[1].trim()
      if (!header) fail(line, `broken section header "${content}"; write it as [common] or [kind/name], e.g. [domain/10]`)
      const slash = header.indexOf('/')
      const kind = (slash < 0 ? header : header.slice(0, slash)).trim().toLowerCase()
      const name = slash < 0 ? '' : header.slice(slash + 1).trim()
      if (NAMED_KINDS.has(kind) && name === '') fail(line, `section [${header}] needs a name; write it as [${kind}/NAME]`)
      current = byHeader.get(`${kind}/${name}`)
      if (!current) {
        sections.push((current = {kind, name, line, entries: []}))
        byHeader.set(`${kind}/${name}`, current)
      }
      continue
    }
    const equals = content.indexOf('=')
    if (equals <= 0) fail(line, `"${content}" is neither a [section] header nor key=value; fix it or comment it out with #`)
    const key = content.slice(0, equals).trim()
    if (!current) fail(line, `key ${key} comes before any [section]; put it under [common] or the section it belongs to`)
    current.entries.push({key, value: content.slice(equals + 1).trim(), line})
  }
  return sections
}
