/** Default DDS settings: this host only (README, "Discovery and networks"). */
import net from 'node:net'
import os from 'node:os'
import {DdsError, type DdsConfig, type Peer} from './types.js'

export const LOOPBACK = '127.0.0.1'

export const DEFAULT_CONFIG: DdsConfig = {
  interface: LOOPBACK,
  multicast: false,
  // No port: Fast DDS probes the well-known SPDP port of every participant id up to maxParticipantId.
  initialPeers: [{address: LOOPBACK}],
  // Fast DDS's default range is 4; a local cluster may hold 32 instances plus spies.
  maxParticipantId: 40,
  // Half a second: a running peer is always discovered by a newcomer within it, even when it missed
  // the newcomer's initial burst of announcements (the history hand-over waits on discovery).
  announcementPeriod: 0.5,
  // A killed instance disappears from its peers (and from presence) within this many seconds.
  leaseDuration: 5,
  ttl: 1,
  // Only used when multicast is on (an rtps.ini's InteropMulticastOverride names another).
  multicastAddress: '239.255.0.1',
  // 4 MiB socket buffers (the kernel cap here): the biggest single win for a reliable stream; Fast DDS
  // defaults lose bursts in a ~200 KiB receive buffer and repair them only at the next heartbeat (bench/dds-throughput).
  socketBufferSize: 4 * 1024 * 1024,
  // DDS Security's come from security.ts when security files are given.
  properties: [],
}

/** A few quick announcements at start so that peers find each other in well under a second. */
export const INITIAL_ANNOUNCEMENTS = {count: 5, period: 0.05}

/**
 * How long a new participant waits before it may conclude that no live participant of the domain has some property
 * (its name): one announcement period, at most 1 s, plus 0.1 s. A running participant answers a newcomer's first
 * announcement at once (~3 ms on loopback, whatever its period), so the period only matters when those are lost.
 */
export function discoveryWindowMs(config: Pick<DdsConfig, 'announcementPeriod'>): number {
  return Math.round(Math.min(config.announcementPeriod, 1) * 1000) + 100
}

/** Merges a partial configuration over the defaults and validates it before native code sees it. */
export function resolveConfig(partial: Partial<DdsConfig> = {}): DdsConfig {
  const given = stripUndefined(partial)
  const config: DdsConfig = {...DEFAULT_CONFIG, ...given}
  // A file that slows announcements down (the reference's ResendPeriod=30) without naming a lease
  // gets one that outlives three missed announcements, as OpenDDS's own default (300 s) would.
  if (given.leaseDuration === undefined && config.leaseDuration <= 3 * config.announcementPeriod) {
    config.leaseDuration = 3 * config.announcementPeriod
  }
  if (typeof config.interface !== 'string' || !net.isIPv4(config.interface))
    throw new DdsError('EINVAL', `DDS interface "${config.interface}" is not an IPv4 address; pass one such as 127.0.0.1.`)
  // Peers on loopback stay on even when the user names other peers or interfaces, so a local cluster always finds itself.
  const peers: Peer[] = [...config.initialPeers]
  if (!peers.some((peer) => peer.address === LOOPBACK && peer.port === undefined)) peers.push({address: LOOPBACK})
  if (typeof config.multicastAddress !== 'string' || !net.isIPv4(config.multicastAddress)) {
    throw new DdsError('EINVAL', `DDS multicast address "${config.multicastAddress}" is not an IPv4 address; pass one such as 239.255.0.1.`)
  }
  for (const peer of peers) {
    if (typeof peer.address !== 'string' || !net.isIPv4(peer.address))
      throw new DdsError('EINVAL', `DDS peer "${peer.address}" is not an IPv4 address; use host[:port] with a numeric address.`)
    if (peer.port !== undefined && !(Number.isInteger(peer.port) && peer.port > 0 && peer.port < 65536)) {
      throw new DdsError('EINVAL', `DDS peer port ${peer.port} is out of range; use 1-65535.`)
    }
  }
  config.initialPeers = peers
  for (const key of ['maxParticipantId', 'announcementPeriod', 'leaseDuration', 'ttl', 'socketBufferSize'] as const) {
    if (!(typeof config[key] === 'number' && Number.isFinite(config[key]) && config[key] > 0)) {
      throw new DdsError('EINVAL', `DDS setting ${key} must be a positive number, got ${config[key]}.`)
    }
  }
  for (const [key, max] of [
    ['maxParticipantId', 2 ** 32 - 1],
    ['ttl', 255],
    ['socketBufferSize', 2 ** 32 - 1],
  ] as const) {
    if (!(Number.isInteger(config[key]) && config[key] <= max))
      throw new DdsError('EINVAL', `DDS setting ${key} must be an integer from 1 to ${max}, got ${config[key]}.`)
  }
  if (
    !Array.isArray(config.properties) ||
    !config.properties.every((p) => typeof p?.name === 'string' && p.name !== '' && typeof p.value === 'string' && p.value !== '')
  ) {
    throw new DdsError('EINVAL', 'DDS participant properties must be a list of {name, value} with non-empty strings.')
  }
  if (typeof config.multicast !== 'boolean') throw new DdsError('EINVAL', `DDS setting multicast must be true or false, got ${String(config.multicast)}.`)
  if (config.leaseDuration <= config.announcementPeriod) {
    throw new DdsError('EINVAL', `DDS lease duration (${config.leaseDuration} s) must be longer than the announcement period (${config.announcementPeriod} s).`)
  }
  return config
}

/**
 * This host's IPv4 addresses on interfaces that are up and running (what os.networkInterfaces() lists): the only
 * ones Fast DDS can bind to.
 */
export function hostAddresses(interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces()): string[] {
  const addresses = Object.values(interfaces).flatMap((infos) => (infos ?? []).filter((info) => info.family === 'IPv4').map((info) => info.address))
  return [...new Set(addresses)]
}

/**
 * Throws DdsError EADDRNOTAVAIL when `address` is not one of this host's addresses: Fast DDS would then open no UDP
 * socket at all and the participant would be alone, yet look healthy.
 */
export function assertHostInterface(address: string, interfaces?: NodeJS.Dict<os.NetworkInterfaceInfo[]>): void {
  const addresses = hostAddresses(interfaces)
  if (addresses.includes(address)) return
  const have = addresses.length > 0 ? `its IPv4 addresses are ${addresses.join(', ')}` : 'it has no IPv4 address on an interface that is up'
  throw new DdsError(
    'EADDRNOTAVAIL',
    `DDS interface ${address} is not an address of this host (${have}); pass one of this host's addresses to --interface (or local_address / SpdpLocalAddress in the rtps.ini).`,
  )
}

/** Parses `host[:port]` (for --peer). */
export function parsePeer(text: string): Peer {
  const match = /^([^:]+)(?::(\d+))?$/.exec(text.trim())
  if (!match || !net.isIPv4(match[1])) throw new DdsError('EINVAL', `Peer "${text}" is not host[:port] with an IPv4 address; write it like 127.0.0.1:7410.`)
  return match[2] ? {address: match[1], port: Number(match[2])} : {address: match[1]}
}

export function validateDomain(domain: number): number {
  // RTPS port formula: 7400 + 250·domain must stay below 65536.
  if (!Number.isInteger(domain) || domain < 0 || domain > 232) throw new DdsError('EINVAL', `DDS domain ${domain} is out of range; use an integer from 0 to 232.`)
  return domain
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
