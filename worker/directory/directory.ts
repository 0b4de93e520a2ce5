/**
 * The Directory: one object for the whole deployment. It lists accounts and keeps the global
 * index of phone numbers, so a tracking number belongs to exactly one pool, is never anyone's
 * destination, and a ringing number finds its pool. Every method is synchronous SQL: atomic.
 */
import { DurableObject } from "cloudflare:workers";
import { migrate } from "../platform/sql";

const MIGRATIONS = [
  `CREATE TABLE accounts (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);
   CREATE TABLE tracking (
     number TEXT PRIMARY KEY, account_id TEXT NOT NULL, pool_id TEXT NOT NULL,
     released_until INTEGER  -- set when removed: still routes calls until then (lease + grace)
   );
   CREATE INDEX tracking_owner ON tracking (account_id, pool_id);
   CREATE INDEX tracking_release ON tracking (released_until) WHERE released_until IS NOT NULL;
   CREATE TABLE destinations (number TEXT NOT NULL, account_id TEXT NOT NULL, pool_id TEXT NOT NULL,
     PRIMARY KEY (number, account_id, pool_id));`,
];

export interface NumberConflict {
  number: string;
  reason: string;
}

export interface PoolNumbers {
  accountId: string;
  poolId: string;
  tracking: string[];
  destinations: string[];
  /** How long a removed tracking number keeps routing to this pool (lease + grace), ms. */
  holdMs: number;
  now: number;
}

export class Directory extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => migrate(ctx.storage, MIGRATIONS));
  }

  registerAccount(id: string, name: string, now: number): void {
    this.sql.exec("INSERT OR IGNORE INTO accounts (id, name, created_at) VALUES (?, ?, ?)", id, name, now);
  }

  renameAccount(id: string, name: string): void {
    this.sql.exec("UPDATE accounts SET name = ? WHERE id = ?", name, id);
  }

  listAccounts(): { id: string; name: string; createdAt: number }[] {
    return this.sql
      .exec<{ id: string; name: string; created_at: number }>("SELECT id, name, created_at FROM accounts ORDER BY created_at, id")
      .toArray()
      .map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
  }

  /**
   * Make (account, pool)'s numbers exactly these, or change nothing and list the conflicts.
   * Tracking numbers this pool no longer has stay routed to it for `holdMs`.
   */
  setPoolNumbers(p: PoolNumbers): { ok: true } | { ok: false; conflicts: NumberConflict[] } {
    const conflicts: NumberConflict[] = [];
    for (const number of p.tracking) {
      const owner = this.owner(number, p.now);
      if (owner && (owner.account_id !== p.accountId || owner.pool_id !== p.poolId)) {
        conflicts.push({
          number,
          reason: owner.account_id === p.accountId ? `already a tracking number of pool ${owner.pool_id}` : "already a tracking number of another account",
        });
      } else if (this.sql.exec("SELECT 1 FROM destinations WHERE number = ? LIMIT 1", number).toArray().length) {
        conflicts.push({ number, reason: "is a destination number; a tracking number cannot be one" });
      }
    }
    for (const number of p.destinations) {
      if (this.owner(number, p.now) || p.tracking.includes(number)) conflicts.push({ number, reason: "is a tracking number; a destination cannot be one" });
    }
    if (conflicts.length) return { ok: false, conflicts };
    this.ctx.storage.transactionSync(() => {
      const keep = new Set(p.tracking);
      const current = this.sql
        .exec<{ number: string; released_until: number | null }>(
          "SELECT number, released_until FROM tracking WHERE account_id = ? AND pool_id = ?",
          p.accountId,
          p.poolId,
        )
        .toArray();
      for (const row of current) {
        if (!keep.has(row.number) && row.released_until === null) {
          this.sql.exec("UPDATE tracking SET released_until = ? WHERE number = ?", p.now + p.holdMs, row.number);
        }
      }
      for (const number of p.tracking) {
        this.sql.exec(
          `INSERT INTO tracking (number, account_id, pool_id, released_until) VALUES (?, ?, ?, NULL)
           ON CONFLICT (number) DO UPDATE SET account_id = excluded.account_id, pool_id = excluded.pool_id, released_until = NULL`,
          number,
          p.accountId,
          p.poolId,
        );
      }
      this.sql.exec("DELETE FROM destinations WHERE account_id = ? AND pool_id = ?", p.accountId, p.poolId);
      for (const number of new Set(p.destinations)) {
        this.sql.exec("INSERT INTO destinations (number, account_id, pool_id) VALUES (?, ?, ?)", number, p.accountId, p.poolId);
      }
    });
    void this.scheduleRelease();
    return { ok: true };
  }

  /**
   * An account's fallback number (where calls on unknown numbers go) is a forward target like a
   * destination: it can never be a tracking number, nor become one while set. Stored in
   * `destinations` under the pool id "" (no pool id can be empty).
   */
  setFallback(accountId: string, number: string | null, now: number): { ok: true } | { ok: false; conflicts: NumberConflict[] } {
    if (number && this.owner(number, now)) return { ok: false, conflicts: [{ number, reason: "is a tracking number; calls can never be forwarded into one" }] };
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("DELETE FROM destinations WHERE account_id = ? AND pool_id = ''", accountId);
      if (number) this.sql.exec("INSERT INTO destinations (number, account_id, pool_id) VALUES (?, ?, '')", number, accountId);
    });
    return { ok: true };
  }

  /** The pool a dialled tracking number belongs to (including one still retiring), or null. */
  lookup(number: string, now: number): { accountId: string; poolId: string } | null {
    const row = this.owner(number, now);
    return row ? { accountId: row.account_id, poolId: row.pool_id } : null;
  }

  override async alarm(): Promise<void> {
    this.sql.exec("DELETE FROM tracking WHERE released_until IS NOT NULL AND released_until <= ?", Date.now());
    await this.scheduleRelease();
  }

  private owner(number: string, now: number): { account_id: string; pool_id: string } | undefined {
    return this.sql
      .exec<{ account_id: string; pool_id: string }>(
        "SELECT account_id, pool_id FROM tracking WHERE number = ? AND (released_until IS NULL OR released_until > ?)",
        number,
        now,
      )
      .toArray()[0];
  }

  private async scheduleRelease(): Promise<void> {
    const next = this.sql.exec<{ t: number | null }>("SELECT MIN(released_until) AS t FROM tracking WHERE released_until IS NOT NULL").one().t;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }
}
