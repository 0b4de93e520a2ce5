/**
 * Numbers from the provider for one account: orders (searched, bought, wired and added to their
 * pool by the alarm), release of bought numbers no pool routes any more, and autoscaling. The
 * AccountObject keeps the RPC surface and serialises writes; this module owns the logic, over the
 * orders, release and autoscale tables, the account's provider credentials, and what the object
 * lends it (adding numbers to a pool, removing them, queueing alerts, rescheduling its alarm).
 */
import { checkNumberRequest } from "../domain/number-request";
import { type NumberApi, numberApiFor } from "../numbers/client";
import type { CallbackUrls } from "../numbers/types";
import { fail, ok, type Result } from "../platform/result";
import { poolHealth, poolNumbers } from "../pool/fan-out";
import type { AutoscaleConfig, AutoscaleView } from "../schemas/autoscale";
import type { NumberFigures } from "../schemas/health";
import { MAX_ORDER_QUANTITY, type NumberRequest, ORDERING_PROVIDERS, type Order, type OrderingProvider } from "../schemas/orders";
import type { NumbersChange, Pool } from "../schemas/pool";
import { Autoscaler } from "./autoscale";
import { NumberOrders, type OrderRow } from "./number-orders";
import { beforeRenewal, NumberRelease } from "./number-release";
import { ORDER_MAX_ATTEMPTS, orderRetryMs, runOrderStep } from "./order-runner";
import type { PoolRegistry, StoredPool } from "./registry";
import type { AccountRow } from "./settings";
import type { VoiceProviders } from "./voice-providers";

/** What the account object lends: its pools, credentials and the writes that go through it. */
export interface NumberDeskHost {
  env: Env;
  registry: PoolRegistry;
  /** A pool as the API shows it, read now (the default pool may change while the alarm runs). */
  poolView(id: string): Pool | null;
  providers: VoiceProviders;
  /** Bought numbers into their pool (serialised with the object's other writes). */
  addOrdered(poolId: string, numbers: string[], provider: OrderingProvider, now: number): Promise<{ ok: true } | { ok: false; reason: string }>;
  changeNumbers(poolId: string, change: NumbersChange, now: number): Promise<Result<Pool>>;
  /** Scaling events go where pool alerts go: the alert webhook and the alert email. */
  alert(row: AccountRow, key: string, payload: unknown, now: number): Promise<void>;
  schedule(): Promise<void>;
}

/** How long after a failed look-up an ended order's try is asked after again. */
const ENDED_TRY_RECHECK_MS = 3_600_000;

/** Where an order's numbers send their calls: the account's voice URLs at the origin the order was placed on. */
const callbackUrls = (row: AccountRow, order: OrderRow): CallbackUrls => {
  const base = `${order.origin}/v1/voice/${row.id}/${order.provider}`;
  return { voiceUrl: base, statusUrl: `${base}/status` };
};

export class NumberDesk {
  private readonly orders: NumberOrders;
  private readonly release: NumberRelease;
  private readonly autoscaler: Autoscaler;

  constructor(
    sql: SqlStorage,
    private readonly host: NumberDeskHost,
  ) {
    this.orders = new NumberOrders(sql);
    this.release = new NumberRelease(sql);
    this.autoscaler = new Autoscaler(sql);
  }

  /**
   * Check a number order before anything is stored: the request itself, the provider (the
   * request's, else the pool's, else the account's) and its credentials. Answers the provider.
   */
  async checkOrder(row: AccountRow, pool: Pick<Pool, "provider"> | null, request: NumberRequest): Promise<Result<OrderingProvider>> {
    const provider = request.provider ?? pool?.provider ?? this.host.providers.provider();
    if (!(ORDERING_PROVIDERS as readonly string[]).includes(provider)) {
      return fail(400, "unsupported_provider", `Numbers cannot be bought through ${provider}; give order.provider (${ORDERING_PROVIDERS.join(", ")})`);
    }
    const p = provider as OrderingProvider;
    const checked = checkNumberRequest(request, p);
    if (!checked.ok) return checked;
    const api = await this.numberApi(row, p);
    return api.ok ? ok(p) : api;
  }

  private async numberApi(row: AccountRow, provider: OrderingProvider): Promise<Result<NumberApi>> {
    const creds = await this.host.providers.credentials(row.id, provider);
    if (!creds.ok) return creds;
    const api = numberApiFor(provider, creds.value as never);
    return typeof api === "string" ? fail(409, "numbers_not_configured", api) : ok(api);
  }

  /**
   * The order an Idempotency-Key already made: its view (`replayed`) when for the same pool,
   * request and numbers added and removed beside it (`change`, changeKey), else 409; null when the
   * key is new (or none).
   */
  replayed(pool: StoredPool, request: NumberRequest, key: string | null, change: string): Result<{ order: Order; replayed: true }> | null {
    const made = key === null ? null : this.orders.byIdempotencyKey(key);
    if (!made) return null;
    const sameChange = made.idempotency_change === null || made.idempotency_change === change;
    return made.pool_id === pool.id && made.request === JSON.stringify(request) && sameChange
      ? ok({ order: this.orders.view(made), replayed: true })
      : fail(409, "idempotency_key_reused", `Idempotency-Key ${key} was used for another request (order ${made.id} of pool ${made.pool_id})`);
  }

  /**
   * An order checked as queuing it would (the provider, the pool's autoscale budget), nothing stored:
   * the provider it goes to. `size`: the pool's numbers once the same request's add/remove is made.
   */
  async prepare(row: AccountRow, pool: StoredPool, request: NumberRequest, size?: number): Promise<Result<OrderingProvider>> {
    const provider = await this.checkOrder(row, pool, request);
    if (!provider.ok) return provider;
    const budget = this.autoscaler.config(pool.id)?.max;
    const after = (size ?? this.host.registry.numbers(pool.id).length) + this.orders.onOrder(pool.id) + request.quantity;
    if (budget !== undefined && after > budget) {
      return fail(400, "over_budget", `The pool would have ${after} numbers with this order, over its autoscale max of ${budget}`);
    }
    return provider;
  }

  /** Queue an order `prepare` checked: the alarm works on it. */
  async queue(
    poolId: string,
    provider: OrderingProvider,
    request: NumberRequest,
    origin: string,
    now: number,
    key: string | null,
    change: string | null = null,
  ): Promise<Order> {
    const order = this.orders.create(poolId, provider, request, origin, now, key, change);
    await this.host.schedule();
    return this.orders.view(order);
  }

  /** Queue an order of numbers into a pool, within its autoscale budget: the alarm works on it. */
  async order(row: AccountRow, pool: StoredPool, request: NumberRequest, origin: string, now: number, key: string | null = null): Promise<Result<Order>> {
    const provider = await this.prepare(row, pool, request);
    return provider.ok ? ok(await this.queue(pool.id, provider.value, request, origin, now, key)) : provider;
  }

  getOrder(id: string): Result<Order> {
    const order = this.orders.get(id);
    return order ? ok(this.orders.view(order)) : fail(404, "order_not_found", `No number order ${id} in this account`);
  }

  /** Stop an open order (DELETE /v1/orders/{id}): nothing more is bought; numbers it put in the pool stay. */
  async cancelOrder(id: string, now: number): Promise<Result<Order>> {
    const order = this.orders.get(id);
    if (!order) return fail(404, "order_not_found", `No number order ${id} in this account`);
    if (!this.orders.cancel(id, "Canceled by the account", now))
      return fail(409, "order_closed", `Order ${id} is ${order.status}: only an open order can be canceled`);
    await this.host.schedule();
    return ok(this.orders.view(this.orders.get(id)!));
  }

  /** A pool was deleted: its open orders stop (nothing more is bought for it) and it no longer autoscales. */
  poolDeleted(poolId: string, now: number): void {
    for (const id of this.orders.openOf(poolId)) this.orders.cancel(id, `Pool ${poolId} was deleted`, now);
    this.autoscaler.forget(poolId);
  }

  /** Of `numbers`, those being given back at their provider at this moment (a pool must not take them). */
  releasing(numbers: readonly string[]): string[] {
    return this.release.releasing(numbers);
  }

  /**
   * Numbers a pool takes in (saved with it): a parked one is in use again, in that pool (added back
   * by hand, or by a grow): not released at its renewal, never "reused" by a later grow that would
   * add nothing, and removable by that pool's shrinks.
   */
  pooled(poolId: string, numbers: readonly string[]): void {
    this.orders.unpark(numbers, poolId);
  }

  listOrders(poolId: string | undefined): Result<Order[]> {
    return ok(this.orders.list(poolId).map((o) => this.orders.view(o)));
  }

  /** Turn autoscaling on (or change it): what it buys is checked like an order first. */
  async putAutoscale(row: AccountRow, pool: StoredPool, config: AutoscaleConfig, origin: string, now: number): Promise<Result<AutoscaleView>> {
    const provider = await this.checkOrder(row, pool, { ...config.numbers, quantity: 1 });
    if (!provider.ok) return provider;
    this.autoscaler.put(pool.id, config, provider.value, origin, now);
    await this.host.schedule();
    return ok(this.view(pool.id)!);
  }

  getAutoscale(poolId: string): Result<AutoscaleView> {
    const view = this.view(poolId);
    return view ? ok(view) : fail(404, "autoscale_not_set", `Pool ${poolId} does not autoscale`);
  }

  /** The autoscaling of each of `poolIds` that autoscales, in that order. */
  listAutoscale(poolIds: readonly string[]): AutoscaleView[] {
    return poolIds.flatMap((id) => this.view(id) ?? []);
  }

  deleteAutoscale(poolId: string): Result<true> {
    return this.autoscaler.remove(poolId) ? ok(true) : fail(404, "autoscale_not_set", `Pool ${poolId} does not autoscale`);
  }

  private view(poolId: string): AutoscaleView | null {
    return this.autoscaler.view(poolId, this.host.registry.numbers(poolId).length, this.orders.onOrder(poolId));
  }

  /** The alarm's share: scale pools, work on due orders, then give back numbers no pool routes. */
  async run(row: AccountRow, now: number): Promise<void> {
    await this.runAutoscale(row, now);
    await this.runOrders(row, now);
  }

  /** The earliest time this module needs the alarm (null: never). */
  nextDue(): number | null {
    const tries = this.orders.nextEndedTry();
    const due = [this.orders.nextDue(), this.release.nextDue(), this.autoscaler.nextDue(), tries === null ? null : Math.max(tries, Date.now())].filter(
      (t): t is number => t !== null,
    );
    return due.length ? Math.min(...due) : null;
  }

  private async runOrders(row: AccountRow, now: number): Promise<void> {
    for (const order of this.orders.due(now)) {
      // Before anything is bought: an order whose pool is gone stops (deletePool cancels them; this is the backstop).
      if (!this.host.registry.get(order.pool_id)) {
        this.orders.cancel(order.id, `Pool ${order.pool_id} was deleted`, now);
        continue;
      }
      const api = await this.numberApi(row, order.provider);
      if (!api.ok) {
        // Credentials that cannot be opened now (503: the deployment's SECRETS_KEY missing or
        // wrong, which its next deploy mends) are waited for as a provider's moment is; none
        // stored, or not enough to buy with (409), fail the order.
        const attempts = order.attempts + 1;
        const wait = api.error.status === 503 && attempts < ORDER_MAX_ATTEMPTS;
        this.orders.update(
          order.id,
          wait
            ? { status: "running", attempts, last_error: api.error.message, next_attempt_at: now + orderRetryMs(attempts) }
            : { status: "failed", attempts, last_error: api.error.message, next_attempt_at: null },
          now,
        );
        continue;
      }
      await runOrderStep(
        {
          orders: this.orders,
          api: api.value,
          urls: callbackUrls(row, order),
          addToPool: (poolId, numbers) => this.host.addOrdered(poolId, numbers, order.provider, now),
          usable: (n) => this.host.registry.trackingAt([n], now).length === 0,
          now,
        },
        order,
      );
    }
    await this.askAfterEndedTries(row, now);
    await this.release.sweep(
      async (p) => {
        const api = await this.numberApi(row, p);
        return api.ok ? api.value : null;
      },
      now,
      (key, payload) => this.host.alert(row, key, payload, now),
    );
  }

  /**
   * Numbers an order went to buy and ended (failed, canceled) before it heard back about: held by
   * the account, recorded under the ended order, so the release sweep gives them back; not held,
   * forgotten; the provider not answering, asked again in an hour. A provider that lists an order's
   * numbers by its id (Twilio, SignalWire, Telnyx) is asked that once for all of the order's tries.
   */
  private async askAfterEndedTries(row: AccountRow, now: number): Promise<void> {
    const listed = new Set<string>();
    const inUse = (n: string) => this.host.registry.trackingAt([n], now).length > 0;
    for (const { order, number } of this.orders.endedTries(now)) {
      // Not this order's to take, nor to mark (as the retry of an open order decides).
      if (this.orders.claimed(number, inUse)) {
        this.orders.forgetTry(order.id, number);
        continue;
      }
      // Its order's tries were all settled by one listing already (before its credentials are opened again).
      if (listed.has(order.id)) continue;
      const api = await this.numberApi(row, order.provider);
      const urls = callbackUrls(row, order);
      if (api.ok && !api.value.held) {
        listed.add(order.id);
        const tries = this.orders.triesOf(order.id);
        const owned = await api.value.owned(order.id, urls);
        if (!owned.ok) {
          for (const n of tries) this.orders.deferTry(order.id, n, now + ENDED_TRY_RECHECK_MS);
          continue;
        }
        // Only the numbers it went to buy (what else is listed under its id was recorded by its steps).
        for (const o of owned.value) {
          if (!tries.includes(o.number) || o.failed || this.orders.claimed(o.number, inUse)) continue;
          this.orders.recordBought(order, o.number, o.providerId, o.configured, false, now, o.pending);
        }
        for (const n of tries) this.orders.forgetTry(order.id, n);
        continue;
      }
      const r = api.ok && api.value.held ? await api.value.held(number, order.id, urls) : null;
      if (!r?.ok) this.orders.deferTry(order.id, number, now + ENDED_TRY_RECHECK_MS);
      else if (r.value) this.orders.recordBought(order, r.value.number, r.value.providerId, r.value.configured, false, now, r.value.pending);
      else this.orders.forgetTry(order.id, number);
    }
  }

  private async runAutoscale(row: AccountRow, now: number): Promise<void> {
    const { env } = this.host;
    await this.autoscaler.run({
      pool: (id) => this.host.poolView(id),
      onOrder: (id) => this.orders.onOrder(id),
      waiting: (id) =>
        this.orders.waitingOf(id).map(({ order, missing }) => ({ orderId: order.id, missing, reason: order.last_error, nextAttemptAt: order.next_attempt_at })),
      cancel: (id, reason) => this.orders.cancel(id, reason, now),
      bought: (id) => this.orders.boughtIn(id),
      health: (pool, minutes, step) => poolHealth(env, row.id, pool, { now, minutes, step }),
      figures: async (pool) => {
        const out: NumberFigures[] = [];
        let after: string | undefined;
        do {
          const page = await poolNumbers(env, row.id, pool, after ? { after, limit: 1000 } : { limit: 1000 });
          out.push(...page.numbers);
          after = page.nextCursor ?? undefined;
        } while (after);
        return out;
      },
      orderState: (id) => {
        const o = this.orders.get(id);
        return o ? { status: o.status, lastError: o.last_error, updatedAt: o.updated_at } : null;
      },
      order: (poolId, quantity, a) =>
        this.orders.create(poolId, a.provider as OrderingProvider, { ...a.config.numbers, quantity: Math.min(quantity, MAX_ORDER_QUANTITY) }, a.origin, now).id,
      remove: async (poolId, numbers) => {
        const r = await this.host.changeNumbers(poolId, { remove: numbers }, now);
        const done = r.ok || r.error.code === "not_propagated";
        if (done) this.orders.park(numbers, (boughtAt) => beforeRenewal(boughtAt, now));
        return done;
      },
      reuse: async (poolId, count) => {
        const provider = this.autoscaler.provider(poolId);
        const parked = this.orders
          .parkedIn(poolId)
          .filter((n) => n.provider === provider)
          .slice(0, count)
          .map((n) => n.number);
        if (!parked.length || !provider) return [];
        const added = await this.host.addOrdered(poolId, parked, provider, now);
        if (!added.ok) return [];
        return parked;
      },
      alert: (key, payload) => this.host.alert(row, key, payload, now),
      now,
    });
  }
}
