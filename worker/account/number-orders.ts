/**
 * (Over 300 lines: the store of the orders and of the numbers they bought, its schema steps and every
 * query on the two tables, which change together.)
 *
 * Number orders and the numbers they bought, in the AccountObject's SQLite. An order is worked on
 * by the account's one alarm (order-runner.ts), never by the request that made it, so it survives
 * restarts: every number is written here the moment the provider says it is ours (and, where the
 * provider cannot list an order's numbers by a marker, before it is asked to buy it), and each step
 * starts by finding what the provider holds for the order (the reconcile step).
 *
 * `provider_numbers` is every number the account bought through edge-dni: (ordered: the provider's
 * order is pending, e.g. on regulatory documents →) bought → configured (voice URLs set) → added (in
 * a pool) → released (given back at the provider once no pool of the account routes it any more:
 * after removal + lease + grace; number-release.ts). Autoscaling's removals are parked first: kept,
 * paid for, until their month is about to renew, and reused first by the next grow.
 */
import { randomId } from "../platform/crypto";
import type { NumberRequest, Order, OrderingProvider, OrderStatus } from "../schemas/orders";

export const NUMBER_ORDERS_MIGRATION = `
  CREATE TABLE number_orders (
    id TEXT PRIMARY KEY, pool_id TEXT NOT NULL, provider TEXT NOT NULL,
    request TEXT NOT NULL,                 -- JSON NumberRequest
    origin TEXT NOT NULL,                  -- where our callback URLs live (the origin the order came to)
    status TEXT NOT NULL,                  -- pending | running | waiting | completed | failed | canceled
    prepared INTEGER NOT NULL DEFAULT 0,   -- the provider's application points at us
    searched INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0,
    fallback_tries TEXT NOT NULL DEFAULT '[]', -- JSON: numbers a fallback search tried to buy (a reconciled one is marked so)
    attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, next_attempt_at INTEGER,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
  );
  CREATE INDEX number_orders_due ON number_orders (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
  CREATE INDEX number_orders_pool ON number_orders (pool_id, created_at);
  CREATE TABLE provider_numbers (
    number TEXT PRIMARY KEY, provider TEXT NOT NULL, provider_id TEXT NOT NULL,
    order_id TEXT NOT NULL, pool_id TEXT NOT NULL, fallback INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,                   -- ordered | bought | configured | added | parked | released
    release_attempts INTEGER NOT NULL DEFAULT 0, release_next_at INTEGER, release_error TEXT,
    created_at INTEGER NOT NULL, released_at INTEGER
  );
  CREATE INDEX provider_numbers_order ON provider_numbers (order_id);`;

/** An order's Idempotency-Key (the API client's, on POST /v1/pools/{id}/numbers): a retry finds the order it made. */
export const ORDER_IDEMPOTENCY_MIGRATION = `
  ALTER TABLE number_orders ADD COLUMN idempotency_key TEXT;
  CREATE UNIQUE INDEX number_orders_idempotency ON number_orders (idempotency_key) WHERE idempotency_key IS NOT NULL;`;

/**
 * The numbers the keyed request added and removed beside its order (`changeKey`): the same key with
 * another change is another body (409), not a retry. NULL on orders from before this step (not known).
 */
export const ORDER_IDEMPOTENCY_CHANGE_MIGRATION = `
  ALTER TABLE number_orders ADD COLUMN idempotency_change TEXT;`;

/** The add/remove a keyed order request carried, as compared on a retry. */
export const changeKey = (change: { add?: string[] | undefined; remove?: string[] | undefined } | null): string =>
  JSON.stringify({ add: change?.add ?? [], remove: change?.remove ?? [] });

/**
 * When a number joined its pool (NULL: never): the order's progress counts what was added, which
 * a number's state stops telling once it is released. Numbers released before this step were added
 * unless their order failed or was canceled (those give back what they never added).
 */
export const NUMBER_ADDED_MIGRATION = `
  ALTER TABLE provider_numbers ADD COLUMN added_at INTEGER;
  UPDATE provider_numbers SET added_at = created_at
   WHERE state IN ('added', 'parked')
      OR (state = 'released' AND order_id IN (SELECT id FROM number_orders WHERE status NOT IN ('failed', 'canceled')));`;

/**
 * The numbers an order is about to buy, written before it asks the provider to (a buy whose answer
 * is lost, or whose object restarts before the answer is stored, leaves one here): the reconcile of
 * a provider that cannot list an order's numbers by a marker (Plivo marks only after the buy; Vonage
 * has no marker) asks the provider about each, adopts it when the account holds it, else forgets it;
 * that of one that can (Twilio, SignalWire, Telnyx) records what the listing shows and forgets the rest.
 * A row goes when its number is recorded as bought, or when the buy is known not to have happened.
 * An order that ends (failed, canceled) with rows left has them asked after by the alarm (`next_at`:
 * when next, NULL: now), so a number it did buy is recorded and given back, not billed unseen.
 */
export const BUY_TRIES_MIGRATION = `
  CREATE TABLE number_buy_tries (
    order_id TEXT NOT NULL, number TEXT NOT NULL, created_at INTEGER NOT NULL, next_at INTEGER,
    PRIMARY KEY (order_id, number)
  );`;

/** Tries of orders that ended before they heard back about them. */
const ENDED_TRIES = `FROM number_buy_tries t JOIN number_orders o ON o.id = t.order_id WHERE o.status IN ('failed', 'canceled')`;

/** The statuses of an order still working (it may buy more). */
const OPEN = "('pending', 'running', 'waiting')";

export type OrderRow = {
  id: string;
  pool_id: string;
  provider: OrderingProvider;
  request: string;
  origin: string;
  status: OrderStatus;
  prepared: number;
  searched: number;
  skipped: number;
  fallback_tries: string;
  attempts: number;
  last_error: string | null;
  next_attempt_at: number | null;
  created_at: number;
  updated_at: number;
  idempotency_key: string | null;
  idempotency_change: string | null;
};

export type NumberState = "ordered" | "bought" | "configured" | "added" | "parked" | "released";

export type ProviderNumberRow = {
  number: string;
  provider: OrderingProvider;
  provider_id: string;
  order_id: string;
  pool_id: string;
  fallback: number;
  state: NumberState;
  release_attempts: number;
  release_next_at: number | null;
  release_error: string | null;
  created_at: number;
  released_at: number | null;
  added_at: number | null;
};

export class NumberOrders {
  constructor(private readonly sql: SqlStorage) {}

  create(
    poolId: string,
    provider: OrderingProvider,
    request: NumberRequest,
    origin: string,
    now: number,
    idempotencyKey: string | null = null,
    change: string | null = null,
  ): OrderRow {
    const id = `ord_${randomId(20).replace(/[a-z]/g, (c, i: number) => (i % 2 ? c.toUpperCase() : c))}`;
    this.sql.exec(
      "INSERT INTO number_orders (id, pool_id, provider, request, origin, status, next_attempt_at, created_at, updated_at, idempotency_key, idempotency_change) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)",
      id,
      poolId,
      provider,
      JSON.stringify(request),
      origin,
      now,
      now,
      now,
      idempotencyKey,
      idempotencyKey === null ? null : change,
    );
    return this.get(id)!;
  }

  byIdempotencyKey(key: string): OrderRow | null {
    return this.sql.exec<OrderRow>("SELECT * FROM number_orders WHERE idempotency_key = ?", key).toArray()[0] ?? null;
  }

  get(id: string): OrderRow | null {
    return this.sql.exec<OrderRow>("SELECT * FROM number_orders WHERE id = ?", id).toArray()[0] ?? null;
  }

  list(poolId: string | undefined, limit = 100): OrderRow[] {
    return poolId
      ? this.sql.exec<OrderRow>("SELECT * FROM number_orders WHERE pool_id = ? ORDER BY created_at DESC LIMIT ?", poolId, limit).toArray()
      : this.sql.exec<OrderRow>("SELECT * FROM number_orders ORDER BY created_at DESC LIMIT ?", limit).toArray();
  }

  due(now: number): OrderRow[] {
    return this.sql
      .exec<OrderRow>("SELECT * FROM number_orders WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ? ORDER BY next_attempt_at", now)
      .toArray();
  }

  nextDue(): number | null {
    return this.sql.exec<{ t: number | null }>("SELECT MIN(next_attempt_at) AS t FROM number_orders WHERE next_attempt_at IS NOT NULL").one().t;
  }

  update(
    id: string,
    fields: Partial<Pick<OrderRow, "status" | "prepared" | "searched" | "skipped" | "fallback_tries" | "attempts" | "last_error" | "next_attempt_at">>,
    now: number,
  ): void {
    const keys = Object.keys(fields) as (keyof typeof fields)[];
    if (!keys.length) return;
    // Open orders only: a step that awaited the provider while the order was canceled (or its pool
    // deleted) must not write it back to running, waiting or completed.
    this.sql.exec(
      `UPDATE number_orders SET ${keys.map((k) => `${k} = ?`).join(", ")}, updated_at = ? WHERE id = ? AND status IN ${OPEN}`,
      ...keys.map((k) => fields[k] ?? null),
      now,
      id,
    );
  }

  /**
   * Stop an open order (pending, running, waiting): it buys nothing more. What it bought and did not
   * put in its pool goes to the release sweep (number-release.ts); what is in the pool stays. False
   * when not open.
   */
  cancel(id: string, reason: string, now: number): boolean {
    return (
      this.sql.exec(
        `UPDATE number_orders SET status = 'canceled', last_error = ?, next_attempt_at = NULL, updated_at = ? WHERE id = ? AND status IN ${OPEN}`,
        reason,
        now,
        id,
      ).rowsWritten > 0
    );
  }

  /** Whether the order is still open (pending, running, waiting): not canceled or failed meanwhile. */
  isOpen(id: string): boolean {
    return this.sql.exec(`SELECT 1 FROM number_orders WHERE id = ? AND status IN ${OPEN}`, id).toArray().length > 0;
  }

  /** The open orders of a pool (to cancel with it). */
  openOf(poolId: string): string[] {
    return this.sql
      .exec<{ id: string }>(`SELECT id FROM number_orders WHERE pool_id = ? AND status IN ${OPEN}`, poolId)
      .toArray()
      .map((r) => r.id);
  }

  /**
   * Numbers still to come into a pool from its open orders: all but those that joined it. A number
   * bought but not in the pool yet (on order at the carrier, waiting on regulatory papers, its
   * voice URLs still to set) is still to come: counted as delivered, autoscaling ordered again
   * at each check while it waited.
   */
  onOrder(poolId: string): number {
    let n = 0;
    for (const o of this.sql.exec<OrderRow>(`SELECT * FROM number_orders WHERE pool_id = ? AND status IN ${OPEN}`, poolId).toArray()) n += this.missing(o);
    return n;
  }

  /** The pool's orders waiting for the provider to have numbers (fallback wait), with how many each still misses. */
  waitingOf(poolId: string): { order: OrderRow; missing: number }[] {
    return this.sql
      .exec<OrderRow>("SELECT * FROM number_orders WHERE pool_id = ? AND status = 'waiting' ORDER BY created_at", poolId)
      .toArray()
      .map((order) => ({ order, missing: this.missing(order) }));
  }

  /** Numbers an order asked for that are not in its pool yet. */
  private missing(o: OrderRow): number {
    const joined = this.numbersOf(o.id).filter((r) => r.added_at !== null).length;
    return Math.max(0, (JSON.parse(o.request) as NumberRequest).quantity - joined);
  }

  /** The bought numbers a pool holds (the only ones the autoscaler removes). */
  boughtIn(poolId: string): Set<string> {
    return new Set(
      this.sql
        .exec<{ number: string }>("SELECT number FROM provider_numbers WHERE pool_id = ? AND state = 'added'", poolId)
        .toArray()
        .map((r) => r.number),
    );
  }

  numbersOf(orderId: string): ProviderNumberRow[] {
    return this.sql.exec<ProviderNumberRow>("SELECT * FROM provider_numbers WHERE order_id = ? ORDER BY created_at, number", orderId).toArray();
  }

  number(n: string): ProviderNumberRow | null {
    return this.sql.exec<ProviderNumberRow>("SELECT * FROM provider_numbers WHERE number = ?", n).toArray()[0] ?? null;
  }

  /**
   * Not a buy try's to take: recorded already (another order bought it since, and it is not
   * released), or one of the account's numbers some other way (`inUse`: in a pool).
   */
  claimed(number: string, inUse: (n: string) => boolean): boolean {
    const known = this.number(number);
    return (known !== null && known.state !== "released") || inUse(number);
  }

  /** The order is about to buy `number` (before the provider is asked). */
  recordTry(orderId: string, number: string, now: number): void {
    this.sql.exec("INSERT OR IGNORE INTO number_buy_tries (order_id, number, created_at) VALUES (?, ?, ?)", orderId, number, now);
  }

  /** The buy of `number` did not happen (the provider refused it, or the account does not hold it). */
  forgetTry(orderId: string, number: string): void {
    this.sql.exec("DELETE FROM number_buy_tries WHERE order_id = ? AND number = ?", orderId, number);
  }

  /** Numbers the order tried to buy whose outcome is not recorded, oldest first. */
  triesOf(orderId: string): string[] {
    return this.sql
      .exec<{ number: string }>("SELECT number FROM number_buy_tries WHERE order_id = ? ORDER BY created_at, number", orderId)
      .toArray()
      .map((r) => r.number);
  }

  /** Tries of ended orders due to be asked after (at most `limit`), with their order. */
  endedTries(now: number, limit = 20): { order: OrderRow; number: string }[] {
    return this.sql
      .exec<{ order_id: string; number: string }>(
        `SELECT t.order_id, t.number ${ENDED_TRIES} AND COALESCE(t.next_at, 0) <= ? ORDER BY t.created_at LIMIT ?`,
        now,
        limit,
      )
      .toArray()
      .map((t) => ({ order: this.get(t.order_id)!, number: t.number }));
  }

  /** Ask after an ended order's try again at `at` (the provider could not answer). */
  deferTry(orderId: string, number: string, at: number): void {
    this.sql.exec("UPDATE number_buy_tries SET next_at = ? WHERE order_id = ? AND number = ?", at, orderId, number);
  }

  /** When an ended order's try is next due (null: none). */
  nextEndedTry(): number | null {
    return this.sql.exec<{ t: number | null }>(`SELECT MIN(COALESCE(t.next_at, 0)) AS t ${ENDED_TRIES}`).one().t;
  }

  /**
   * Record a number the provider holds for an order (once: a number already known keeps its row),
   * or ordered and `pending` there. An ordered one of this order becomes bought once it is not.
   */
  recordBought(order: OrderRow, number: string, providerId: string, configured: boolean, fallback: boolean, now: number, pending?: string): boolean {
    // Its buy's outcome is known now (in the same write as the row, no await between).
    this.forgetTry(order.id, number);
    const known = this.number(number);
    if (known?.state === "ordered" && known.order_id === order.id) {
      if (pending) {
        if (providerId && !known.provider_id) this.sql.exec("UPDATE provider_numbers SET provider_id = ? WHERE number = ?", providerId, number);
        return false;
      }
      this.sql.exec("UPDATE provider_numbers SET provider_id = ?, state = ? WHERE number = ?", providerId, configured ? "configured" : "bought", number);
      return true;
    }
    if (known && known.state !== "released") return false;
    this.sql.exec(
      `INSERT INTO provider_numbers (number, provider, provider_id, order_id, pool_id, fallback, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (number) DO UPDATE SET provider = excluded.provider, provider_id = excluded.provider_id, order_id = excluded.order_id,
         pool_id = excluded.pool_id, fallback = excluded.fallback, state = excluded.state, created_at = excluded.created_at,
         release_attempts = 0, release_next_at = NULL, release_error = NULL, released_at = NULL`,
      number,
      order.provider,
      providerId,
      order.id,
      order.pool_id,
      fallback ? 1 : 0,
      pending ? "ordered" : configured ? "configured" : "bought",
      now,
    );
    return true;
  }

  /** Park numbers autoscaling removed: kept until `until(boughtAt)` (before their next renewal), then released. */
  park(numbers: readonly string[], until: (boughtAt: number) => number): void {
    for (const n of numbers) {
      const row = this.number(n);
      if (row?.state !== "added") continue;
      this.sql.exec(
        "UPDATE provider_numbers SET state = 'parked', release_next_at = ?, release_attempts = 0, release_error = NULL WHERE number = ?",
        until(row.created_at),
        n,
      );
    }
  }

  /** Parked numbers back in use, in `poolId` (their own, or another the account put them in). */
  unpark(numbers: readonly string[], poolId: string): void {
    for (const n of numbers) {
      this.sql.exec("UPDATE provider_numbers SET state = 'added', release_next_at = NULL, pool_id = ? WHERE number = ? AND state = 'parked'", poolId, n);
    }
  }

  /** A pool's parked numbers (removed by autoscaling, still ours), oldest bought first. */
  parkedIn(poolId: string): ProviderNumberRow[] {
    return this.sql
      .exec<ProviderNumberRow>("SELECT * FROM provider_numbers WHERE pool_id = ? AND state = 'parked' ORDER BY created_at, number", poolId)
      .toArray();
  }

  /** A number this order has on order (state ordered) that the provider will never fill: as if never bought. */
  forgetOrdered(orderId: string, number: string): void {
    this.sql.exec("DELETE FROM provider_numbers WHERE number = ? AND order_id = ? AND state = 'ordered'", number, orderId);
  }

  setState(numbers: readonly string[], state: NumberState): void {
    for (const n of numbers) this.sql.exec("UPDATE provider_numbers SET state = ? WHERE number = ?", state, n);
  }

  /** These numbers joined their pool now (their first time counts). */
  markAdded(numbers: readonly string[], now: number): void {
    for (const n of numbers) this.sql.exec("UPDATE provider_numbers SET added_at = COALESCE(added_at, ?) WHERE number = ?", now, n);
  }

  view(row: OrderRow): Order {
    const numbers = this.numbersOf(row.id);
    return {
      id: row.id,
      poolId: row.pool_id,
      provider: row.provider,
      request: JSON.parse(row.request) as NumberRequest,
      status: row.status,
      progress: {
        searched: row.searched,
        bought: numbers.length,
        configured: numbers.filter((n) => n.state === "configured" || n.added_at !== null).length,
        added: numbers.filter((n) => n.added_at !== null).length,
        skipped: row.skipped,
      },
      numbers: numbers.map((n) => ({ number: n.number, state: n.state, fallback: n.fallback === 1 })),
      attempts: row.attempts,
      lastError: row.last_error,
      nextAttemptAt: row.next_attempt_at,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }
}
