/** `chatdds serve` wiring: rtps.ini and flags → DDS settings, a unique instance name, a DdsBus, the chat server. */
import {randomBytes} from 'node:crypto'
import os from 'node:os'
import {ChatddsError} from '../errors.js'
import type {Participant, ParticipantEvent, RefusedEvent} from '../dds/index.js'
import {resolveDdsSettings} from '../dds/settings.js'
import {INSTANCE_USER_DATA, MAX_NAME_LENGTH} from '../wire/index.js'
import {HAND_OVER_DEFAULTS, type HandOverTiming} from './handover.js'
import type {SecurityOptions} from './auth.js'
import type {Logger} from './log.js'
import {DEFAULTS, startChatServer, type ChatServer, type RateLimit} from './server.js'

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
  /** `--dds-security DIR`: join with DDS Security, as identity `name` of the PKI in DIR (name is then required). */
  ddsSecurity?: string
  /** Refused when a live participant of the domain has it; default defaultInstanceName(), which takes a suffix instead. */
  name?: string
  maxPayload?: number
  historyDepth?: number
  /** Messages kept per writer for repairs (server.ts DEFAULTS.repairDepth). */
  repairDepth?: number
  /** Per-client rate limit (server.ts DEFAULTS.rateLimit). */
  rateLimit?: Partial<RateLimit>
  logger: Logger
  /** Connect tokens, Origin policy, API key (auth.ts). */
  security?: SecurityOptions
  /** One line per rtps.ini key that is not applied: `file:line: message` (the first few, then a count). */
  onConfigWarning?: (line: string) => void
  /** This host's name, for the default instance name; default os.hostname(). */
  hostname?: string
  /** Stops waiting for the name check (the caller is shutting down anyway). */
  signal?: AbortSignal
}

/** Room left in MAX_NAME_LENGTH for `chat-`, `-<port>` and a `-xxxx` suffix. */
const MAX_HOST_PART = MAX_NAME_LENGTH - 'chat--65535-xxxx'.length

/**
 * `chat-<short hostname>-<port>`: two hosts serving on the same port get different names; `chat-<port>` when the
 * host has no usable name. The hostname is lower-cased, cut at its first dot and to what the name length allows.
 */
export function defaultInstanceName(hostname: string, port: number): string {
  const host = (hostname.split('.')[0] ?? '')
    .toLowerCase()
    .replaceAll(/[^a-z0-9-]+/g, '-')
    .replaceAll(/^-+|-+$/g, '')
    .slice(0, MAX_HOST_PART)
  return host ? `chat-${host}-${port}` : `chat-${port}`
}

/** Starts one chat instance on DDS. Throws ChatddsError with exit 2 for bad settings, 1 for runtime failures. */
export async function startInstance(options: InstanceOptions): Promise<ChatServer> {
  const {domain, config, security} = resolveDdsSettings({
    domain: options.domain,
    ddsConfig: options.ddsConfig,
    interface: options.interface,
    peers: options.peers,
    onWarning: options.onConfigWarning,
    security: options.ddsSecurity === undefined ? undefined : {dir: options.ddsSecurity, name: options.name, flag: '--name'},
  })
  // The DDS bus loads the native binding: import it only when a real instance starts.
  const [{DdsError, Participant}, {DdsBus}] = await Promise.all([import('../dds/index.js'), import('./ddsBus.js')])
  const {logger} = options
  const dds = <T>(create: () => T): T => {
    try {
      return create()
    } catch (error) {
      if (error instanceof DdsError) throw new ChatddsError(error.code, `Cannot join DDS domain ${domain}: ${error.message}`, error.code === 'EINVAL' ? 2 : 1)
      throw error
    }
  }
  const join = (name: string): Participant => {
    const participant = dds(() => new Participant({domain, name, config, userData: INSTANCE_USER_DATA}))
    // DDS Security: a participant that failed authentication or access control is kept out; say so, once per participant.
    participant.on('refused', (event: RefusedEvent) =>
      logger.warn(
        `DDS participant ${event.guidPrefix}${event.name ? ` (${event.name})` : ''} was refused: it failed DDS Security authentication or access control, so it reads and writes nothing of this cluster`,
      ),
    )
    return participant
  }
  const taken = (name: string, namesake: ParticipantEvent) =>
    `The name ${name} is already used by DDS participant ${namesake.guidPrefix} on domain ${domain} (chatdds spy --participants lists it)`
  // Read by the server once the bus exists (claim() shortens the settle time).
  const handOver: Partial<HandOverTiming> = {}

  /**
   * Joins DDS under `wanted` once no live participant has that name: an explicit one is refused, a default one
   * suffixed (`warning` says so; logged once the port is bound, so that a port in use is the only error shown).
   */
  async function claim(wanted: string): Promise<{participant: Participant; warning?: string}> {
    let joinedAt = Date.now()
    let participant = join(wanted)
    let warning: string | undefined
    const namesake = await Promise.race([participant.findNamesake(), aborted(options.signal)])
    if (namesake) {
      participant.close()
      if (options.name !== undefined) throw new ChatddsError('ENAMEINUSE', `${taken(wanted, namesake)}; stop that instance or pick another --name.`)
      const name = `${wanted}-${randomBytes(2).toString('hex')}`
      warning = `${taken(wanted, namesake)}, so this instance is ${name} (pass --name to choose one).`
      joinedAt = Date.now()
      participant = join(name)
    }
    // The hand-over's settle time is there for discovery, which the name check has just waited for.
    handOver.settleMs = Math.max(0, HAND_OVER_DEFAULTS.settleMs - (Date.now() - joinedAt))
    return {participant, warning}
  }

  // Names are unique in a domain. The check runs before the port is bound, so a refused instance never serves;
  // only a default name on --port 0 must wait for the port, and is checked once it is bound.
  const hostname = options.hostname ?? os.hostname()
  const known = options.name ?? (options.port === 0 ? undefined : defaultInstanceName(hostname, options.port))
  const early = known === undefined ? undefined : await claim(known)
  try {
    return await startChatServer({
      port: options.port,
      host: options.host ?? DEFAULTS.host,
      name: options.name,
      maxPayload: options.maxPayload,
      historyDepth: options.historyDepth,
      repairDepth: options.repairDepth,
      rateLimit: options.rateLimit,
      logger,
      security: options.security,
      handOver,
      async bus({port}) {
        const {participant, warning} = early ?? (await claim(defaultInstanceName(hostname, port)))
        if (warning) logger.warn(warning)
        const bus = dds(() => new DdsBus({participant}))
        logger.info(
          `Joined DDS domain ${domain} as ${bus.name} (interface ${participant.config.interface}${security ? `, DDS Security with ${security.identityCertificate}` : ''})`,
        )
        return bus
      },
    })
  } catch (error) {
    early?.participant.close() // the server closes the bus, and with it the participant, only once it made one
    throw error
  }
}

/** Resolves (with undefined) once `signal` is aborted; never without one. */
function aborted(signal: AbortSignal | undefined): Promise<undefined> {
  return new Promise((resolve) => {
    if (signal?.aborted) resolve(undefined)
    else signal?.addEventListener('abort', () => resolve(undefined), {once: true})
  })
}
