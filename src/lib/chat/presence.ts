/**
 * Who is in which room across the cluster (docs/protocol.md, "Cluster-wide state"): this instance's
 * chatdds.v1 members, published as one snapshot on `chatdds Presence` whenever they change
 * (coalesced), and every other live instance's last snapshot. A snapshot goes when its participant
 * leaves or is dropped (lease expired): no ghosts.
 */
import type {Sample} from '../dds/types.js'
import {
  encodePresenceRequest,
  encodePresenceSnapshot,
  parsePresenceSnapshot,
  type InstanceInfo,
  type Member,
  type PresenceSnapshot as Snapshot,
} from '../wire/index.js'
import type {Bus} from './bus.js'
import type {Logger} from './log.js'

export type {InstanceInfo, Member} from '../wire/index.js'

export interface PresenceChange extends Member {
  room: string
  change: 'join' | 'leave'
}

export interface PresenceOptions {
  name: string
  /** This instance's websocket URL, as clients should dial it. */
  url: string
  logger: Logger
  /** Changes of this instance's membership within this window go out as one snapshot. Default 50 ms. */
  coalesceMs?: number
  /** A peer's snapshot was ignored (counted by the caller). */
  ignored?(reason: 'too_large' | 'malformed' | 'forged'): void
}

/** A snapshot larger than this is not read (and this instance warns when its own is larger). */
export const MAX_SNAPSHOT_BYTES = 1024 * 1024

/** Participants that left, remembered so that a late sample of theirs cannot bring their users back. */
const MAX_DEPARTED = 1000
/** A peer seen again is asked for its snapshot this often, for this long, until it comes. */
const ASK_EVERY_MS = 1000
const ASK_FOR_MS = 15_000

export class ClusterPresence {
  /** Snapshots of the other instances, by participant. */
  private readonly snapshots = new Map<string, Snapshot>()
  private readonly departed = new Set<string>()
  /** This instance's members: room → name → connections with that name in the room. */
  private readonly local = new Map<string, Map<string, number>>()
  /** room → `[instance, name]` (JSON) → sources (this instance, snapshots) that list it; a member is in the room while > 0. */
  private readonly counts = new Map<string, Map<string, number>>()
  private publishTimer: NodeJS.Timeout | undefined
  /** Peers seen again after they were dropped, whose snapshot has not come back yet → when they came back. */
  private readonly wanted = new Map<string, number>()
  private askTimer: NodeJS.Timeout | undefined
  private started = false
  private closed = false

  constructor(
    private readonly bus: Bus,
    private readonly options: PresenceOptions,
    private readonly onChange: (change: PresenceChange) => void,
  ) {}

  /** Reads the other instances' snapshots and publishes this one's. */
  start(): void {
    if (this.started) return
    this.started = true
    this.bus.onAuxSamples('presence', (batch) => this.onSamples(batch))
    // Peers learn this instance (and its URL) at once, before anyone joins a room.
    this.publish()
  }

  /** A connection named `name` joined `room` here. */
  join(room: string, name: string): void {
    let names = this.local.get(room)
    if (!names) this.local.set(room, (names = new Map<string, number>()))
    const count = names.get(name) ?? 0
    names.set(name, count + 1)
    if (count > 0) return
    this.count(room, name, this.options.name, +1)
    this.schedulePublish()
  }

  /** A connection named `name` left `room` here (or disconnected). */
  leave(room: string, name: string): void {
    const names = this.local.get(room)
    const count = names?.get(name)
    if (!names || count === undefined) return
    if (count > 1) {
      names.set(name, count - 1)
      return
    }
    names.delete(name)
    if (names.size === 0) this.local.delete(room)
    this.count(room, name, this.options.name, -1)
    this.schedulePublish()
  }

  /** Members of `room` across the cluster: one entry per name and instance, sorted by name then instance. */
  members(room: string): Member[] {
    const keys = [...(this.counts.get(room)?.keys() ?? [])]
    return keys.map(splitKey).sort((a, b) => compare(a.name, b.name) || compare(a.instance, b.instance))
  }

  /** Every instance known through presence, this one included, by name. */
  instances(): InstanceInfo[] {
    // One entry per participant: two instances that share a name are still two instances.
    const all = [{name: this.options.name, url: this.options.url}, ...[...this.snapshots.values()].map((snapshot) => ({name: snapshot.instance, url: snapshot.url}))]
    return all.sort((a, b) => compare(a.name, b.name) || compare(a.url, b.url))
  }

  /** Every room with members, and its members. */
  rooms(): Record<string, Member[]> {
    const names = [...this.counts.keys()].sort(compare)
    return Object.fromEntries(names.map((room) => [room, this.members(room)]))
  }

  /** Participants (GUID prefixes) of the other instances known through presence. */
  peers(): Map<string, string> {
    return new Map([...this.snapshots].map(([participant, snapshot]) => [participant, snapshot.instance]))
  }

  /**
   * A new reader matched this instance's presence writer (a peer started, or came back after a stall
   * or partition): it gets this instance's snapshot again, as a new sample, so presence heals even
   * where the reader already had the last one before its peer was dropped.
   */
  readerMatched(): void {
    if (!this.started || this.closed) return
    this.schedulePublish()
  }

  /**
   * The participant is back (or new): its snapshots count again. One that was dropped (a stall or a
   * partition outlived its lease) may never send its last snapshot again — its writer still counts
   * this reader as matched — so it is asked for it until it comes, and gets this instance's anew.
   */
  participantJoined(participant: string): void {
    if (!this.departed.delete(participant) || !this.started || this.closed) return
    this.wanted.set(participant, Date.now())
    this.schedulePublish()
    this.ask()
  }

  /** A peer asks for this instance's snapshot again. */
  republish(): void {
    if (this.started && !this.closed) this.schedulePublish()
  }

  /** The participant left or was dropped: its members leave every room. */
  participantGone(participant: string): void {
    if (participant === this.bus.guidPrefix) return
    this.departed.add(participant)
    if (this.departed.size > MAX_DEPARTED) this.departed.delete(this.departed.values().next().value!)
    const snapshot = this.snapshots.get(participant)
    if (!snapshot) return
    this.snapshots.delete(participant)
    const members = [...snapshot.rooms].reduce((n, [, names]) => n + names.size, 0)
    this.options.logger.info(`Presence: ${snapshot.instance} is gone; ${members} member${members === 1 ? '' : 's'} left its rooms`)
    this.apply(snapshot, undefined)
  }

  close(): void {
    this.closed = true
    clearTimeout(this.askTimer)
    if (this.publishTimer) clearTimeout(this.publishTimer)
    this.publishTimer = undefined
  }

  private onSamples(batch: Sample[]): void {
    for (const sample of batch) {
      const participant = this.bus.participantOf(sample.writer)
      if (participant === this.bus.guidPrefix || this.departed.has(participant)) continue
      const from = sample.participantName ?? participant
      if (sample.message.length > MAX_SNAPSHOT_BYTES) {
        this.options.ignored?.('too_large')
        this.options.logger.warn(`Ignored a presence snapshot of ${sample.message.length} characters from ${from}: over the ${MAX_SNAPSHOT_BYTES}-byte bound`)
        continue
      }
      const snapshot = parsePresenceSnapshot(sample.message)
      if (!snapshot) {
        this.options.ignored?.('malformed')
        this.options.logger.warn(`Ignored a malformed presence snapshot from ${from}`)
        continue
      }
      if (snapshot.participant !== undefined && snapshot.participant !== participant) {
        this.options.ignored?.('forged')
        this.options.logger.warn(`Ignored a presence snapshot from ${from} that names another participant (${snapshot.participant})`)
        continue
      }
      const previous = this.snapshots.get(participant)
      this.snapshots.set(participant, snapshot)
      this.wanted.delete(participant)
      if (!previous) this.options.logger.info(`Presence: ${snapshot.instance} at ${snapshot.url} is in the cluster`)
      this.apply(previous, snapshot)
    }
  }

  /** Counts the difference between a participant's previous and new snapshot, room by room. */
  private apply(previous: Snapshot | undefined, next: Snapshot | undefined): void {
    const rooms = new Set([...(previous?.rooms.keys() ?? []), ...(next?.rooms.keys() ?? [])])
    for (const room of rooms) {
      const before = previous?.rooms.get(room) ?? new Set<string>()
      const after = next?.rooms.get(room) ?? new Set<string>()
      const sameInstance = previous?.instance === next?.instance
      for (const name of before) if (!sameInstance || !after.has(name)) this.count(room, name, previous!.instance, -1)
      for (const name of after) if (!sameInstance || !before.has(name)) this.count(room, name, next!.instance, +1)
    }
  }

  private count(room: string, name: string, instance: string, delta: 1 | -1): void {
    let members = this.counts.get(room)
    if (!members) this.counts.set(room, (members = new Map<string, number>()))
    const key = JSON.stringify([instance, name])
    const count = (members.get(key) ?? 0) + delta
    if (count > 0) members.set(key, count)
    else members.delete(key)
    if (members.size === 0) this.counts.delete(room)
    if (delta > 0 && count === 1) this.onChange({room, change: 'join', name, instance})
    if (delta < 0 && count === 0) this.onChange({room, change: 'leave', name, instance})
  }

  private ask(): void {
    if (this.askTimer || this.closed) return
    const now = Date.now()
    for (const [participant, since] of this.wanted) {
      if (now - since > ASK_FOR_MS) this.wanted.delete(participant)
      else this.write(encodePresenceRequest({from: this.options.name, to: participant}))
    }
    if (this.wanted.size === 0) return
    this.askTimer = setTimeout(() => {
      this.askTimer = undefined
      this.ask()
    }, ASK_EVERY_MS)
    this.askTimer.unref()
  }

  private write(request: string): void {
    try {
      this.bus.publishAux('history', request)
    } catch (error) {
      this.options.logger.debug(`Could not ask for a presence snapshot (${(error as Error).message})`)
    }
  }

  private schedulePublish(): void {
    if (this.publishTimer || this.closed || !this.started) return
    this.publishTimer = setTimeout(() => {
      this.publishTimer = undefined
      this.publish()
    }, this.options.coalesceMs ?? 50)
  }

  private publish(): void {
    if (this.closed) return
    const rooms = Object.fromEntries([...this.local].map(([room, names]) => [room, [...names.keys()].sort(compare)]))
    const snapshot = encodePresenceSnapshot({instance: this.options.name, participant: this.bus.guidPrefix, url: this.options.url, rooms})
    if (snapshot.length > MAX_SNAPSHOT_BYTES)
      this.options.logger.warn(
        `This instance's presence snapshot is ${snapshot.length} characters, over the ${MAX_SNAPSHOT_BYTES}-byte bound its peers read: they will not see its members`,
      )
    try {
      this.bus.publishAux('presence', snapshot)
    } catch (error) {
      this.options.logger.warn(`Could not publish presence (${(error as Error).message}); retrying in 1 s`)
      this.publishTimer = setTimeout(() => {
        this.publishTimer = undefined
        this.publish()
      }, 1000)
    }
  }
}

function splitKey(key: string): Member {
  const [instance, name] = JSON.parse(key) as [string, string]
  return {name, instance}
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
