/**
 * The Directory: one object for the whole deployment. It lists accounts and holds each tracking
 * number's claim by one account, so no two accounts ever track with the same number. Everything
 * else about a number (its pool, where its calls go) is the owning account's. A released claim
 * stays with its account until its calls can no longer be attributed (lease + grace).
 * Every method is synchronous SQL: atomic.
 */
import { DurableObject } from "cloudflare:workers";
import { migrate } from "../platform/sql";

const MIGRATIONS = [
  `CREATE TABLE accounts (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);
   CREATE TABLE tracking (
     number TEXT PRIMARY KEY, account_id TEXT NOT NULL, pool_id TEXT NOT NULL,
     released_until INTEGER  -- set when released: still the account's until then (lease + grace)
   );
   CREATE INDEX tracking_owner ON tracking (account_id, pool_id);
   CREATE INDEX tracking_release ON tracking (released_until) WHERE released_until IS NOT NULL;
   CREATE TABLE destinations (number TEXT NOT NULL, account_id TEXT NOT NULL, pool_id TEXT NOT NULL,
     PRIMARY KEY (number, account_id, pool_id));`,
  // Claims are per account (the pool is the account's business); destinations are not exclusive.
  "DROP TABLE destinations;",
];

export type NumberConflict = { number: string; reason: string };

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
   * Claim tracking numbers for an account (its own claims, also released ones, are taken back), or
   * claim none and list those another account holds: only that they are not available, never how
   * the other account uses them.
   */
  claim(accountId: string, numbers: readonly string[], now: number): { ok: true } | { ok: false; conflicts: NumberConflict[] } {
    const taken = numbers.filter((n) => {
      const owner = this.owner(n, now);
      return owner !== null && owner !== accountId;
    });
    if (taken.length) return { ok: false, conflicts: taken.map((number) => ({ number, reason: "not available" })) };
    this.ctx.storage.transactionSync(() => {
      for (const number of numbers) {
        this.sql.exec(
          `INSERT INTO tracking (number, account_id, pool_id, released_until) VALUES (?, ?, '', NULL)
           ON CONFLICT (number) DO UPDATE SET account_id = excluded.account_id, pool_id = '', released_until = NULL`,
          number,
          accountId,
        );
      }
    });
    return { ok: true };
  }

  /** Release an account's claims: they stay its own until `until` (its calls still route), then go. */
  async release(accountId: string, numbers: readonly string[], until: number): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      for (const number of numbers) {
        this.sql.exec("UPDATE tracking SET released_until = ? WHERE number = ? AND account_id = ? AND released_until IS NULL", until, number, accountId);
      }
    });
    await this.scheduleRelease();
  }

  /** The account holding a number's claim at `now`, or null. */
  lookup(number: string, now: number): string | null {
    return this.owner(number, now);
  }

  override async alarm(): Promise<void> {
    this.sql.exec("DELETE FROM tracking WHERE released_until IS NOT NULL AND released_until <= ?", Date.now());
    await this.scheduleRelease();
  }

  private owner(number: string, now: number): string | null {
    return (
      this.sql
        .exec<{ account_id: string }>("SELECT account_id FROM tracking WHERE number = ? AND (released_until IS NULL OR released_until > ?)", number, now)
        .toArray()[0]?.account_id ?? null
    );
  }

  private async scheduleRelease(): Promise<void> {
    const next = this.sql.exec<{ t: number | null }>("SELECT MIN(released_until) AS t FROM tracking WHERE released_until IS NOT NULL").one().t;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }
}
