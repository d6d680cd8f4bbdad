/** What a chatdds.v1 client has already shown, per room and per DDS writer, so that resumes never show a message twice. */
import {parseMessageId, type Cursor, type MessageFrame} from '../wire/index.js'

/** How much older than our first join a replayed message of a never-seen writer may be and still count as news. */
const CLOCK_SKEW_MS = 5000

/** Bound on the exact-id memory kept for ids that are not `<writer>:<seq>` (foreign servers). */
const MAX_OPAQUE_IDS = 10_000

interface RoomState {
  /** writer → last sequence number shown in this room. */
  writers: Map<string, number>
  /** Client clock when this room was first joined. */
  firstJoinedAt: number
  /** True once the room has been re-joined with `since` after a dropped connection. */
  resumed: boolean
}

/**
 * Per-room, per-writer high-water marks. Per room, because one writer's sequence numbers are
 * spread over every room: joining a second room replays messages older than the first room's latest.
 */
export class MessageCursor {
  private readonly rooms = new Map<string, RoomState>()
  private readonly writers = new Map<string, number>()
  private readonly opaqueIds = new Set<string>()

  /** Every writer seen in any room → its highest sequence number (`client.cursor`, a resume cursor for `join`). */
  get all(): Cursor {
    return Object.fromEntries(this.writers)
  }

  /** Records a join of `room`; `resume` marks a re-join after a dropped connection. */
  joined(room: string, resume = false): void {
    const state = this.room(room)
    if (resume) state.resumed = true
  }

  /**
   * The `since` to resume `room` with: this room's marks, plus (for writers this room never showed)
   * the marks from other rooms, because their earlier messages in this room predate our join.
   */
  since(room: string): Cursor {
    return {...Object.fromEntries(this.writers), ...Object.fromEntries(this.room(room).writers)}
  }

  /** Records `message` and says whether it is new (true) or a duplicate / pre-join replay to drop (false). */
  accept(message: MessageFrame): boolean {
    const state = this.room(message.room)
    const parsed = parseMessageId(message.id)
    if (!parsed) {
      if (this.opaqueIds.has(message.id)) return false
      if (this.opaqueIds.size >= MAX_OPAQUE_IDS) this.opaqueIds.delete(this.opaqueIds.values().next().value!)
      this.opaqueIds.add(message.id)
      return true
    }

    const last = state.writers.get(parsed.writer)
    if (last !== undefined && parsed.seq <= last) return false
    // A resume replays every held message of a writer the cursor does not name (it may be new since
    // the drop); the ones written before this tail first joined were never ours to show.
    if (
      message.replay &&
      state.resumed &&
      last === undefined &&
      !this.writers.has(parsed.writer) &&
      typeof message.ts === 'number' &&
      message.ts < state.firstJoinedAt - CLOCK_SKEW_MS
    )
      return false

    state.writers.set(parsed.writer, parsed.seq)
    if ((this.writers.get(parsed.writer) ?? -1) < parsed.seq) this.writers.set(parsed.writer, parsed.seq)
    return true
  }

  private room(room: string): RoomState {
    let state = this.rooms.get(room)
    if (!state) {
      state = {writers: new Map(), firstJoinedAt: Date.now(), resumed: false}
      this.rooms.set(room, state)
    }

    return state
  }
}
