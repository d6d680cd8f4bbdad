/** The rtps.ini a cluster's instances share: rendered from templates/rtps.ini, loopback only. */
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

/** RTPS well-known port parameters (DDSI-RTPS 9.6.1.1); OpenDDS and Fast DDS both use them. */
export const RTPS_PORTS = {PB: 7400, DG: 250, PG: 2, d0: 0, d1: 10, d3: 11} as const

/** Participants besides the instances that the generated SpdpSendAddrs leaves room for (spy, a foreign server…). */
export const SPARE_PARTICIPANT_IDS = 8

const TEMPLATE = fileURLToPath(new URL('../../../templates/rtps.ini', import.meta.url))

/** Unicast SPDP port of participant `participantId` in `domain`: 7400 + 250·D + 10 + 2·i. */
export function spdpUnicastPort(domain: number, participantId: number): number {
  const {PB, DG, PG, d1} = RTPS_PORTS
  return PB + DG * domain + d1 + PG * participantId
}

/** How many participant ids SpdpSendAddrs lists for a cluster of `instances`: max(N, 8) + 8. */
export function spdpParticipantCount(instances: number): number {
  return Math.max(instances, 8) + SPARE_PARTICIPANT_IDS
}

/** Highest domain whose listed ports (user unicast port d3 of the last id included) stay below 65536. */
export function maxDomain(instances: number): number {
  const {PB, DG, PG, d3} = RTPS_PORTS
  return Math.floor((65535 - PB - d3 - PG * (spdpParticipantCount(instances) - 1)) / DG)
}

/** `127.0.0.1:P0,127.0.0.1:P1,…` for every participant id the cluster may use. */
export function spdpSendAddrs(domain: number, instances: number): string[] {
  return Array.from({length: spdpParticipantCount(instances)}, (_, id) => `127.0.0.1:${spdpUnicastPort(domain, id)}`)
}

export interface RtpsIniOptions {
  domain: number
  instances: number
  /** Where the file will be written; named in its header comment. */
  configFile: string
}

/** The file's text: templates/rtps.ini with its {{placeholders}} filled in. */
export function renderRtpsIni({domain, instances, configFile}: RtpsIniOptions): string {
  const values: Record<string, string> = {
    configFile,
    count: String(instances),
    domain: String(domain),
    firstPort: String(spdpUnicastPort(domain, 0)),
    lastId: String(spdpParticipantCount(instances) - 1),
    spdpSendAddrs: spdpSendAddrs(domain, instances).join(','),
  }
  return readFileSync(TEMPLATE, 'utf8').replaceAll(/\{\{(\w+)\}\}/g, (match, key: string) => values[key] ?? match)
}
