/**
 * A pool shard's compact event log for the what-if replay (domain/replay.ts): every ask that
 * started or renewed a lease (or found the pool full) and every call, with what the pool answered.
 *
 * Compact and bounded: events gather in memory and are written as one row per chunk (JSON tuples),
 * when the health figures are (the minute's end, or before any read), so an allocation writes no
 * extra row. A crash loses at most the unwritten minute, as for the figures. Chunks older than
 * REPLAY_DAYS go, and the oldest go first when a shard holds more than MAX_EVENTS.
 */
import { type AskEvent, type CallEvent, REPLAY_DAYS, type ReplayEvent } from "../domain/replay";

export const REPLAY_MIGRATION = `
  CREATE TABLE replay_log (
    id INTEGER PRIMARY KEY,
    t0 INTEGER NOT NULL, t1 INTEGER NOT NULL,  -- first and last event time of the chunk
    n INTEGER NOT NULL,                        -- events in it
    events TEXT NOT NULL                       -- JSON: [t, session, number, told, flags] asks, [t, number, session] calls
  );
  CREATE INDEX replay_log_t1 ON replay_log (t1);`;

const DAY_MS = 86_400_000;
/** Most events one shard keeps (about 60 bytes each): the oldest chunks go first. */
export const MAX_EVENTS = 250_000;
/** Events per row at most. */
const CHUNK = 2000;

type AskTuple = [number, string, string | null, number | null, number];
type CallTuple = [number, string, string | null];
const FRESH = 1;
const DRY = 2;
const RECYCLED = 4;

export class ReplayLog {
  private pending: (AskTuple | CallTuple)[] = [];

  constructor(private readonly sql: SqlStorage) {}

  ask(e: Omit<AskEvent, "kind">): void {
    this.pending.push([e.t, e.session, e.number, e.told, (e.fresh ? FRESH : 0) | (e.dry ? DRY : 0) | (e.recycled ? RECYCLED : 0)]);
    if (this.pending.length >= CHUNK) this.flush();
  }

  call(e: Omit<CallEvent, "kind">): void {
    this.pending.push([e.t, e.number, e.session]);
    if (this.pending.length >= CHUNK) this.flush();
  }

  /** Forget the ask that began a lease at `t` (the lease was undone as if it never was), if not yet written. */
  forget(session: string, t: number): void {
    this.pending = this.pending.filter((e) => !(e.length === 5 && e[0] === t && e[1] === session));
  }

  flush(): void {
    if (!this.pending.length) return;
    const times = this.pending.map((e) => e[0]);
    this.sql.exec(
      "INSERT INTO replay_log (t0, t1, n, events) VALUES (?, ?, ?, ?)",
      Math.min(...times),
      Math.max(...times),
      this.pending.length,
      JSON.stringify(this.pending),
    );
    this.pending = [];
  }

  /**
   * Drop what is older than the retention and `warmMs` before it (the pool's lease + grace: a replay
   * of the whole retention starts with the sessions then live, as the pool did), then the oldest
   * chunks past MAX_EVENTS.
   */
  prune(now: number, warmMs = 0): void {
    this.sql.exec("DELETE FROM replay_log WHERE t1 < ?", now - REPLAY_DAYS * DAY_MS - warmMs);
    const kept = this.sql.exec<{ n: number | null }>("SELECT SUM(n) AS n FROM replay_log").one().n ?? 0;
    if (kept <= MAX_EVENTS) return;
    let over = kept - MAX_EVENTS;
    for (const row of this.sql.exec<{ id: number; n: number }>("SELECT id, n FROM replay_log ORDER BY id").toArray()) {
      if (over <= 0) break;
      this.sql.exec("DELETE FROM replay_log WHERE id = ?", row.id);
      over -= row.n;
    }
  }

  /** Events at or after `from`, in the order they happened here (the unwritten ones too). */
  read(from: number): ReplayEvent[] {
    const rows = this.sql.exec<{ events: string }>("SELECT events FROM replay_log WHERE t1 >= ? ORDER BY id", from).toArray();
    const out: ReplayEvent[] = [];
    for (const tuples of [...rows.map((r) => JSON.parse(r.events) as (AskTuple | CallTuple)[]), this.pending]) {
      for (const e of tuples) {
        if (e[0] < from) continue;
        if (e.length === 5) {
          const [t, session, number, told, flags] = e;
          out.push({ kind: "ask", t, session, number, told, fresh: (flags & FRESH) > 0, dry: (flags & DRY) > 0, recycled: (flags & RECYCLED) > 0 });
        } else out.push({ kind: "call", t: e[0], number: e[1], session: e[2] });
      }
    }
    return out;
  }

  /** The time of the oldest event kept (null: none). */
  oldest(): number | null {
    const t = this.sql.exec<{ t: number | null }>("SELECT MIN(t0) AS t FROM replay_log").one().t;
    const p = this.pending.length ? Math.min(...this.pending.map((e) => e[0])) : null;
    return t === null ? p : p === null ? t : Math.min(t, p);
  }
}
