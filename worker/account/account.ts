/**
 * An account: its settings, keys, and the authoritative config of its pools. Admin writes are
 * serialised (one at a time) because each spans the Directory's number index and the pool's own
 * object; allocations are checked here (site key, Origin, pool) and handed to the pool objects.
 */
import { DurableObject } from "cloudflare:workers";
import { normalizePhone, phoneParts } from "../../shared/phone";
import type { AllocateResponse, PhoneParts, PoolAllocation } from "../../shared/protocol";
import { originAllowed } from "../domain/origins";
import { healthView, mergeFigures, mergeNumberPages, type NumberPageQuery, thresholdOf } from "../domain/pool-figures";
import { buildPool, normalizeList, normalizeOrigins } from "../domain/pool-rules";
import { sizePool } from "../domain/pool-sizing";
import { shardOf } from "../domain/shards";
import { randomSecret, safeEqual, safeEqualHex } from "../platform/crypto";
import { type ApiErrorData, fail, ok, type Result } from "../platform/result";
import { hasSchema, migrate } from "../platform/sql";
import { directory, poolShard } from "../platform/stubs";
import type { PendingAlert } from "../pool/alerts";
import type { Account, AccountPatch } from "../schemas/account";
import type { Call, CallFilter, CallPage, CallPageQuery, CallStats } from "../schemas/calls";
import type { HealthView, NumberFigures, PoolSizing, PoolSizingQuery } from "../schemas/health";
import type { Lease, NumbersChange, Pool, PoolCreate, PoolPatch } from "../schemas/pool";
import type { IntegrationConfig, Integrations, IntegrationsPatch } from "../schemas/voice";
import { makeVoiceSecret, type VoiceAuth, voiceAuthorized } from "../voice/auth";
import type { InboundCall } from "../voice/input";
import { CallDesk, type DeskAccount, type VoiceReply } from "./call-desk";
import { CALLS_MIGRATION } from "./call-store";
import { OUTBOX_MIGRATION } from "./outbox";
import { holdMs, shardsOf, snapshot } from "./pool-snapshot";

export const MIGRATIONS = [
  `CREATE TABLE account (
     id TEXT PRIMARY KEY, name TEXT NOT NULL, admin_key_hash TEXT NOT NULL, site_key TEXT NOT NULL,
     allowed_origins TEXT NOT NULL, default_pool TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
   CREATE TABLE pools (id TEXT PRIMARY KEY, config TEXT NOT NULL);
   INSERT INTO meta (key, value) VALUES ('version_seq', '0');`,
  // The call path: voice secret, fallback, GA4 and webhook settings; the call log and its outbox.
  `ALTER TABLE account ADD COLUMN voice_secret TEXT;
   ALTER TABLE account ADD COLUMN fallback_number TEXT;
   ALTER TABLE account ADD COLUMN ga4 TEXT;      -- JSON { measurementId, apiSecret } or NULL
   ALTER TABLE account ADD COLUMN webhook TEXT;  -- JSON { url, secret } or NULL
   UPDATE account SET voice_secret = 'vs_' || lower(hex(randomblob(32))) WHERE voice_secret IS NULL;
   ${CALLS_MIGRATION}
   ${OUTBOX_MIGRATION}`,
  // Pool alerts: where they are sent (JSON { url, secret } or NULL).
  `ALTER TABLE account ADD COLUMN alert_webhook TEXT;`,
];

type AccountRow = {
  id: string;
  name: string;
  admin_key_hash: string;
  site_key: string;
  allowed_origins: string;
  default_pool: string | null;
  created_at: number;
  updated_at: number;
  voice_secret: string | null;
  fallback_number: string | null;
  ga4: string | null;
  webhook: string | null;
  alert_webhook: string | null;
};

/** The voice secret and fallback; the route turns the secret into callback URLs. */
export interface VoiceSecrets {
  secret: string;
  fallbackNumber: string | null;
}

export interface AllocateCall {
  siteKey: string;
  origin: string | null;
  pools: string[] | undefined;
  session: string;
  source: string | null;
  now: number;
}

const notFound = () => fail(404, "account_not_found", "No such account");

export class AccountObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private writes: Promise<unknown> = Promise.resolve();
  /** Parsed pool configs by id (null: known absent); see pool(). */
  private readonly pools = new Map<string, Pool | null>();
  private readonly parts = new WeakMap<Pool, PhoneParts[]>();
  private readonly desk: CallDesk;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.desk = new CallDesk(ctx, env);
    // Only an account that was created has a schema: a stray key must not create storage.
    ctx.blockConcurrencyWhile(async () => {
      if (hasSchema(ctx.storage)) migrate(ctx.storage, MIGRATIONS);
    });
  }

  async create(init: { id: string; name: string; allowedOrigins: string[]; adminKeyHash: string; siteKey: string; now: number }): Promise<Result<Account>> {
    const origins = normalizeOrigins(init.allowedOrigins);
    if (!origins.ok) return origins;
    if (hasSchema(this.ctx.storage)) return fail(409, "account_exists", "Account already exists");
    migrate(this.ctx.storage, MIGRATIONS);
    this.sql.exec(
      "INSERT INTO account (id, name, admin_key_hash, site_key, allowed_origins, default_pool, created_at, updated_at, voice_secret) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?)",
      init.id,
      init.name,
      init.adminKeyHash,
      init.siteKey,
      JSON.stringify(origins.value),
      init.now,
      init.now,
      makeVoiceSecret(),
    );
    return ok(this.view(this.row()!));
  }

  /** Whether `keyHash` is this account's admin key hash (constant time). */
  checkAdmin(keyHash: string): boolean {
    const row = this.row();
    return !!row && safeEqualHex(row.admin_key_hash, keyHash);
  }

  getAccount(): Result<Account> {
    const row = this.row();
    return row ? ok(this.view(row)) : notFound();
  }

  updateAccount(patch: AccountPatch, now: number): Promise<Result<Account>> {
    return this.serial(async () => {
      const row = this.row();
      if (!row) return notFound();
      let origins = JSON.parse(row.allowed_origins) as string[];
      if (patch.allowedOrigins) {
        const n = normalizeOrigins(patch.allowedOrigins);
        if (!n.ok) return n;
        origins = n.value;
      }
      const name = patch.name ?? row.name;
      this.sql.exec("UPDATE account SET name = ?, allowed_origins = ?, updated_at = ?", name, JSON.stringify(origins), now);
      if (name !== row.name) await this.directory().renameAccount(row.id, name);
      return ok(this.view(this.row()!));
    });
  }

  /** Replace one key: the admin key by its hash (the route shows the key once), the site key as is. */
  rotateKey(kind: "admin" | "site", value: string, now: number): Result<true> {
    if (!this.row()) return notFound();
    if (kind === "admin") this.sql.exec("UPDATE account SET admin_key_hash = ?, updated_at = ?", value, now);
    else this.sql.exec("UPDATE account SET site_key = ?, updated_at = ?", value, now);
    return ok(true);
  }

  listPools(): Result<Pool[]> {
    const row = this.row();
    if (!row) return notFound();
    return ok(
      this.sql
        .exec<{ config: string }>("SELECT config FROM pools ORDER BY id")
        .toArray()
        .map((r) => this.poolView(JSON.parse(r.config) as Pool, row)),
    );
  }

  getPool(id: string): Result<Pool> {
    const row = this.row();
    if (!row) return notFound();
    const pool = this.pool(id);
    return pool ? ok(this.poolView(pool, row)) : fail(404, "pool_not_found", `No pool ${id} in this account`);
  }

  createPool(input: PoolCreate, now: number): Promise<Result<Pool>> {
    return this.serial(async () => {
      if (!this.row()) return notFound();
      if (this.pool(input.id)) return fail(409, "pool_exists", `Pool ${input.id} already exists`);
      const built = buildPool(input, null, now);
      if (!built.ok) return built;
      return this.commitPool(built.value, null, input.isDefault);
    });
  }

  updatePool(id: string, patch: PoolPatch, now: number): Promise<Result<Pool>> {
    return this.serial(async () => {
      if (!this.row()) return notFound();
      const current = this.pool(id);
      if (!current) return fail(404, "pool_not_found", `No pool ${id} in this account`);
      const built = buildPool({ ...current, ...patch, id }, current, now);
      if (!built.ok) return built;
      return this.commitPool(built.value, current, patch.isDefault);
    });
  }

  changeNumbers(id: string, change: NumbersChange, now: number): Promise<Result<Pool>> {
    return this.serial(async () => {
      if (!this.row()) return notFound();
      const current = this.pool(id);
      if (!current) return fail(404, "pool_not_found", `No pool ${id} in this account`);
      const country = current.country ?? undefined;
      const add = normalizeList(change.add ?? [], country, "add");
      if (!add.ok) return add;
      const remove = normalizeList(change.remove ?? [], country, "remove");
      if (!remove.ok) return remove;
      const missing = remove.value.filter((n) => !current.trackingNumbers.includes(n));
      if (missing.length) return fail(404, "number_not_in_pool", "Some numbers to remove are not in this pool", { numbers: missing });
      const drop = new Set(remove.value);
      const next = [...current.trackingNumbers.filter((n) => !drop.has(n)), ...add.value.filter((n) => !current.trackingNumbers.includes(n))];
      const built = buildPool(
        { ...current, trackingNumbers: next, overflowNumber: current.overflowNumber && drop.has(current.overflowNumber) ? null : current.overflowNumber },
        current,
        now,
      );
      if (!built.ok) return built;
      return this.commitPool(built.value, current, undefined);
    });
  }

  deletePool(id: string, now: number): Promise<Result<true>> {
    return this.serial(async () => {
      const row = this.row();
      if (!row) return notFound();
      const current = this.pool(id);
      if (!current) return fail(404, "pool_not_found", `No pool ${id} in this account`);
      await this.directory().setPoolNumbers({ accountId: row.id, poolId: id, tracking: [], destinations: [], holdMs: holdMs(current), now });
      const version = this.nextVersion();
      this.ctx.storage.transactionSync(() => {
        this.sql.exec("DELETE FROM pools WHERE id = ?", id);
        this.pools.delete(id);
        if (row.default_pool === id) this.sql.exec("UPDATE account SET default_pool = NULL");
      });
      await this.pushAll({ ...current, version }, false);
      return ok(true);
    });
  }

  /** Live leases of a pool (for support and for checking nothing acknowledged was lost). */
  async leases(id: string, now: number): Promise<Result<Lease[]>> {
    const row = this.row();
    if (!row) return notFound();
    if (!this.pool(id)) return fail(404, "pool_not_found", `No pool ${id} in this account`);
    const parts = await Promise.all(this.poolObjects(id).map((s) => s.liveLeases(now)));
    return ok(parts.flat().sort((a, b) => a.leasedAt - b.leasedAt || (a.number < b.number ? -1 : 1)));
  }

  /** The snippet's call: check site key, Origin and pools, then lease from each pool's object. */
  async allocate(call: AllocateCall): Promise<Result<AllocateResponse>> {
    const row = this.row();
    if (!row || !(await safeEqual(row.site_key, call.siteKey))) return fail(401, "invalid_key", "Unknown or revoked site key");
    if (!originAllowed(call.origin, JSON.parse(row.allowed_origins) as string[])) {
      return fail(403, "origin_not_allowed", call.origin ? `Origin ${call.origin} is not allowed for this site key` : "An Origin header is required");
    }
    const ids = call.pools?.length ? [...new Set(call.pools)] : row.default_pool ? [row.default_pool] : [];
    if (!ids.length) return fail(404, "no_default_pool", "No pool named and the account has no default pool");
    const pools: Pool[] = [];
    for (const id of ids) {
      const pool = this.pool(id);
      if (!pool) return fail(404, "pool_not_found", `No pool ${id} for this site key`);
      pools.push(pool);
    }
    const answers = await Promise.all(pools.map((pool) => this.allocateIn(row.id, pool, call)));
    const limited = answers.find((a) => a.retryAfter !== undefined);
    if (limited) {
      return {
        ok: false,
        error: {
          status: 429,
          code: "rate_limited",
          message: `Pool ${limited.pool} is handing out new numbers faster than its limit; try later`,
          retryAfter: limited.retryAfter,
        },
      };
    }
    return ok({ session: call.session, now: call.now, pools: answers.map(({ retryAfter: _r, ...a }) => a) });
  }

  private async allocateIn(accountId: string, pool: Pool, call: AllocateCall): Promise<PoolAllocation & { retryAfter?: number }> {
    // Sessions are routed by a stable hash, so a session always returns to the shard it leased from.
    const shard = shardOf(call.session, shardsOf(pool));
    const stub = this.shardStub(pool.id, shard);
    const args = { session: call.session, source: call.source, now: call.now, version: pool.version };
    let out = await stub.allocate(args);
    if (out.stale) {
      await stub.configure(snapshot(accountId, pool, shard));
      out = await stub.allocate(args);
    }
    if (out.stale) throw new Error(`pool ${pool.id} did not take config version ${pool.version}`);
    return {
      pool: pool.id,
      destinations: this.destinationParts(pool),
      number: out.number ? phoneParts(out.number) : null,
      expiresAt: out.expiresAt,
      overflow: out.overflow,
      ...(out.retryAfter === undefined ? {} : { retryAfter: out.retryAfter }),
    };
  }

  /** Claim the numbers in the Directory, store the pool, push it to its object. */
  private async commitPool(pool: Pool, previous: Pool | null, makeDefault: boolean | undefined): Promise<Result<Pool>> {
    const row = this.row()!;
    const claim = await this.directory().setPoolNumbers({
      accountId: row.id,
      poolId: pool.id,
      tracking: pool.trackingNumbers,
      // A whisper callerId starts a leg whose callback is ours: like a destination, never a tracking number.
      destinations: pool.whisper && pool.callerId ? [...pool.destinations, pool.callerId] : pool.destinations,
      holdMs: Math.max(holdMs(pool), previous ? holdMs(previous) : 0),
      now: pool.updatedAt,
    });
    if (!claim.ok) return fail(409, "number_conflict", "Some numbers cannot be used in this pool", { conflicts: claim.conflicts });
    const stored: Pool = { ...pool, version: this.nextVersion() };
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("INSERT OR REPLACE INTO pools (id, config) VALUES (?, ?)", stored.id, JSON.stringify(stored));
      this.pools.delete(stored.id);
      if (makeDefault === true) this.sql.exec("UPDATE account SET default_pool = ?", stored.id);
      else if (makeDefault === false && row.default_pool === stored.id) this.sql.exec("UPDATE account SET default_pool = NULL");
    });
    await this.pushAll(stored, true);
    return ok(this.poolView(stored, this.row()!));
  }

  // ---- The call path (voice callbacks, settings, the call log; logic in CallDesk) ----

  /** Whether `auth` carries this account's voice secret (for refusing a bad callback before reading it). */
  async checkVoice(auth: VoiceAuth, now: number): Promise<boolean> {
    const row = this.row();
    return !!row?.voice_secret && (await voiceAuthorized(row.voice_secret, auth, now));
  }

  /** An inbound call callback: attribute, store once, answer with call flow actions. */
  async answerInbound(auth: VoiceAuth, call: InboundCall, now: number): Promise<Result<VoiceReply>> {
    if (!(await this.checkVoice(auth, now))) return voiceRefused(auth);
    return ok(await this.desk.inbound(this.deskAccount(this.row()!), call, now));
  }

  /** The whisper agent leg's callback. */
  async answerAgent(auth: VoiceAuth, conference: string | null, now: number): Promise<Result<VoiceReply>> {
    if (!(await this.checkVoice(auth, now))) return voiceRefused(auth);
    return ok(this.desk.agent(conference));
  }

  voiceSettings(): Result<VoiceSecrets> {
    const row = this.row();
    return row ? ok({ secret: row.voice_secret ?? "", fallbackNumber: row.fallback_number }) : notFound();
  }

  rotateVoiceSecret(now: number): Result<VoiceSecrets> {
    if (!this.row()) return notFound();
    this.sql.exec("UPDATE account SET voice_secret = ?, updated_at = ?", makeVoiceSecret(), now);
    return this.voiceSettings();
  }

  /** The number calls on unknown numbers are forwarded to (null: HANGUP); never a tracking number. */
  setFallback(input: string | null, now: number): Promise<Result<VoiceSecrets>> {
    return this.serial(async () => {
      const row = this.row();
      if (!row) return notFound();
      let number: string | null = null;
      if (input !== null) {
        const r = normalizePhone(input);
        if (!r.ok) return fail(400, "invalid_number", `fallbackNumber ${r.reason}`);
        number = r.e164;
      }
      const claim = await this.directory().setFallback(row.id, number, now);
      if (!claim.ok) return fail(409, "number_conflict", "The fallback cannot be a tracking number", { conflicts: claim.conflicts });
      this.sql.exec("UPDATE account SET fallback_number = ?, updated_at = ?", number, now);
      return this.voiceSettings();
    });
  }

  integrations(): Result<Integrations> {
    const row = this.row();
    if (!row) return notFound();
    const c = integrationConfig(row);
    return ok({
      ga4: c.ga4 ? { measurementId: c.ga4.measurementId, apiSecretHint: `…${c.ga4.apiSecret.slice(-4)}` } : null,
      webhook: c.webhook,
      alertWebhook: c.alertWebhook,
    });
  }

  /** Set or clear GA4 and the webhook; a webhook without a secret keeps the current one or gets a new one. */
  setIntegrations(patch: IntegrationsPatch, now: number): Result<Integrations> {
    const row = this.row();
    if (!row) return notFound();
    const current = integrationConfig(row);
    const ga4 = patch.ga4 === undefined ? current.ga4 : patch.ga4;
    const webhook = hookSetting(patch.webhook, current.webhook);
    const alertWebhook = hookSetting(patch.alertWebhook, current.alertWebhook);
    this.sql.exec(
      "UPDATE account SET ga4 = ?, webhook = ?, alert_webhook = ?, updated_at = ?",
      ga4 ? JSON.stringify(ga4) : null,
      webhook ? JSON.stringify(webhook) : null,
      alertWebhook ? JSON.stringify(alertWebhook) : null,
      now,
    );
    return this.integrations();
  }

  listCalls(q: CallPageQuery): Result<CallPage> {
    if (!this.row()) return notFound();
    const page = this.desk.page(q);
    return page ? ok(page) : fail(400, "invalid_cursor", "cursor is not a nextCursor this API returned");
  }

  getCall(id: string): Result<Call> {
    if (!this.row()) return notFound();
    const call = this.desk.get(id);
    return call ? ok(call) : fail(404, "call_not_found", `No call ${id} in this account`);
  }

  callStats(f: CallFilter): Result<CallStats> {
    return this.row() ? ok(this.desk.stats(f)) : notFound();
  }

  // ---- Pool health and alerts (figures from the pool's objects, merged here) ----

  /** A pool's health: the figures of its objects, merged, `minutes` back in buckets of `step`. */
  async poolHealth(id: string, q: { now: number; minutes: number; step: number }): Promise<Result<HealthView>> {
    const row = this.row();
    if (!row) return notFound();
    const pool = this.pool(id);
    if (!pool) return fail(404, "pool_not_found", `No pool ${id} in this account`);
    const count = Math.ceil(q.minutes / q.step);
    const parts = await Promise.all(this.poolObjects(pool.id).map((s) => s.healthFigures({ now: q.now, step: q.step, count })));
    return ok(healthView(this.poolView(pool, row), mergeFigures(parts), q.now));
  }

  /** A page of a pool's numbers in E.164 order, with last shown, last called, sessions served. */
  async poolNumbers(id: string, q: NumberPageQuery): Promise<Result<{ numbers: NumberFigures[]; nextCursor: string | null }>> {
    if (!this.row()) return notFound();
    if (!this.pool(id)) return fail(404, "pool_not_found", `No pool ${id} in this account`);
    const pages = await Promise.all(this.poolObjects(id).map((s) => s.numberFigures(q)));
    return ok(mergeNumberPages(pages, q.limit));
  }

  /** How many numbers a pool should have: from its observed peak, and from an estimate if given. */
  async poolSizing(id: string, q: PoolSizingQuery, now: number): Promise<Result<PoolSizing>> {
    const health = await this.poolHealth(id, { now, minutes: 0, step: 1 });
    if (!health.ok) return health;
    return ok(sizePool(this.pool(id)!, health.value, q));
  }

  /**
   * A pool object hands over its alerts: each is queued once for the alert webhook (through the
   * outbox, with retries); without an alert webhook they are dropped. Answers the ids taken.
   */
  async takePoolAlerts(poolId: string, alerts: PendingAlert[], now: number): Promise<number[]> {
    const row = this.row();
    const hook = row ? integrationConfig(row).alertWebhook : null;
    if (hook)
      await this.desk.queueOnce(
        alerts.map((a) => ({ key: `pool-alert/${poolId}/${a.id}`, kind: "alert" as const, payload: a.payload })),
        now,
      );
    return alerts.map((a) => a.id);
  }

  /** The one alarm: outbound deliveries (GA4, webhook, pool alerts) that are due. */
  override async alarm(): Promise<void> {
    const row = this.row();
    if (row) await this.desk.deliver(integrationConfig(row));
  }

  private deskAccount(row: AccountRow): DeskAccount {
    return { id: row.id, fallback: row.fallback_number, integrations: integrationConfig(row), pool: (id) => this.pool(id) };
  }

  /**
   * Push a pool's config to each of its objects (every shard it has or had: a shard that lost its
   * numbers must retire them). Best effort: an object that misses it is brought up to date on its
   * next allocation (stale version).
   */
  private async pushAll(pool: Pool, active: boolean): Promise<void> {
    const row = this.row()!;
    await Promise.all(
      this.shardIndexes(pool).map(async (shard) => {
        try {
          await this.shardStub(pool.id, shard).configure({ ...snapshot(row.id, pool, shard), active });
        } catch (err) {
          console.warn(`config push to pool ${pool.id} shard ${shard} failed; it will sync on next use`, err);
        }
      }),
    );
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writes.then(fn, fn);
    this.writes = run.catch(() => undefined);
    return run;
  }

  private nextVersion(): number {
    const next = Number(this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'version_seq'").one().value) + 1;
    this.sql.exec("UPDATE meta SET value = ? WHERE key = 'version_seq'", String(next));
    return next;
  }

  private row(): AccountRow | undefined {
    if (!hasSchema(this.ctx.storage)) return undefined;
    return this.sql.exec<AccountRow>("SELECT * FROM account").toArray()[0];
  }

  /**
   * A pool's stored config, parsed once per object lifetime and change: allocations read it on
   * every request, and a 10,000-number pool's JSON is ~170 KB. Storage stays the source of truth:
   * the two writers (commitPool, deletePool) drop the entry.
   */
  private pool(id: string): Pool | null {
    const cached = this.pools.get(id);
    if (cached !== undefined) return cached;
    const r = this.sql.exec<{ config: string }>("SELECT config FROM pools WHERE id = ?", id).toArray()[0];
    const pool = r ? (JSON.parse(r.config) as Pool) : null;
    this.pools.set(id, pool);
    return pool;
  }

  /** A pool's destinations as the snippet needs them (libphonenumber parsing, once per config). */
  private destinationParts(pool: Pool): PhoneParts[] {
    let parts = this.parts.get(pool);
    if (!parts) {
      parts = pool.destinations.map(phoneParts);
      this.parts.set(pool, parts);
    }
    return parts;
  }

  private view(row: AccountRow): Account {
    return {
      id: row.id,
      name: row.name,
      allowedOrigins: JSON.parse(row.allowed_origins) as string[],
      siteKey: row.site_key,
      defaultPool: row.default_pool,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  private poolView(pool: Pool, row: AccountRow): Pool {
    // Pools stored before the call path have no callerId / whisper.
    return {
      ...pool,
      shards: shardsOf(pool),
      previousShards: pool.previousShards ?? null,
      reshardedAt: pool.reshardedAt ?? null,
      callerId: pool.callerId ?? null,
      whisper: pool.whisper ?? false,
      alertThreshold: thresholdOf(pool),
      isDefault: row.default_pool === pool.id,
    };
  }

  private shardStub(poolId: string, shard: number) {
    const row = this.row()!;
    return poolShard(this.env, row.id, poolId, shard);
  }

  /** Shards a pool has now, and those it had before its last change of shard count. */
  private shardIndexes(pool: Pool | null): number[] {
    const n = pool ? Math.max(shardsOf(pool), pool.previousShards ?? 1) : 1;
    return Array.from({ length: n }, (_, i) => i);
  }

  /** The objects holding a pool's numbers and leases (their figures are merged). */
  private poolObjects(poolId: string) {
    return this.shardIndexes(this.pool(poolId)).map((shard) => this.shardStub(poolId, shard));
  }

  private directory() {
    return directory(this.env);
  }
}

function integrationConfig(row: AccountRow): IntegrationConfig {
  return {
    ga4: row.ga4 ? (JSON.parse(row.ga4) as IntegrationConfig["ga4"]) : null,
    webhook: row.webhook ? (JSON.parse(row.webhook) as IntegrationConfig["webhook"]) : null,
    alertWebhook: row.alert_webhook ? (JSON.parse(row.alert_webhook) as IntegrationConfig["alertWebhook"]) : null,
  };
}

/** A webhook setting after a patch: unchanged, cleared, or a URL keeping (or getting) a secret. */
function hookSetting(
  patch: { url: string; secret?: string | undefined } | null | undefined,
  current: { url: string; secret: string } | null,
): { url: string; secret: string } | null {
  if (patch === undefined) return current;
  if (patch === null) return null;
  return { url: patch.url, secret: patch.secret ?? current?.secret ?? `whsec_${randomSecret(32)}` };
}

function voiceRefused(auth: VoiceAuth): { ok: false; error: ApiErrorData } {
  return fail(401, "unauthorized", auth.kind === "token" ? "Unknown account or wrong voice token" : "Missing, stale or wrong signature");
}
