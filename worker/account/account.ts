/**
 * (Over 300 lines: it is the object's whole RPC surface, each method a thin wrapper over the modules
 * below; splitting it would split one class.)
 *
 * An account's Durable Object: the RPC surface over its settings (settings.ts), its pools and
 * numbers (registry.ts, pushed to the pool objects by pool-sync.ts), its calls and outbound
 * deliveries (call-desk.ts), and the numbers it buys, releases and scales (number-desk.ts).
 * Allocation never comes here: pool objects admit it themselves with the gate this object pushes
 * to them. Admin writes are serialised (one at a time) because each spans the Directory and the
 * pool objects.
 */
import { DurableObject } from "cloudflare:workers";
import { normalizePhone } from "../../shared/phone";
import { leaseRetentionMs } from "../domain/lease-retention";
import { originAllowed, patternWithin } from "../domain/origins";
import { afterDeleted, buildPool, normalizeList, normalizeOrigins, withLongLeases } from "../domain/pool-rules";
import { providerRefusal } from "../domain/route";
import { RESHARD_MARGIN_MS } from "../domain/shards";
import { safeEqualFixed } from "../platform/crypto";
import { fail, INVALID_CURSOR, ok, type Result } from "../platform/result";
import { currentKeyId, STALE_SEAL } from "../platform/secrets";
import { hasSchema, migrate } from "../platform/sql";
import { directory } from "../platform/stubs";
import type { PendingAlert } from "../pool/alerts";
import { forgetSessionSource, forgetSessionSources } from "../pool/fan-out";
import type { Account, AccountPatch } from "../schemas/account";
import type { AutoscaleConfig, AutoscaleView } from "../schemas/autoscale";
import type { Call, CallFilter, CallGrouping, CallPage, CallPageQuery, CallStats, OrphanReport } from "../schemas/calls";
import { AD_PLATFORMS, type Conversions, type ConversionsCheck, type ConversionsCheckRequest, type ConversionsPatch } from "../schemas/conversions";
import type { DeliveryItem, DeliveryList } from "../schemas/deliveries";
import type { NumberRequest, Order, OrderingProvider } from "../schemas/orders";
import type { NumbersChange, Pool, PoolCreate, PoolPatch } from "../schemas/pool";
import { CREDENTIAL_PROVIDERS, type VoicePatch } from "../schemas/providers";
import type { IntegrationConfig, Integrations, IntegrationsPatch } from "../schemas/voice";
import { callerKey } from "../voice/input";
import type { Leg, Provider, VoiceRequest } from "../voice/providers/types";
import { type RecordingSource, recordingSource } from "../voice/recordings";
import type { AdsContext } from "./ad-delivery";
import { ALARM_HEALTH_MIGRATION, ALARM_PARTS, ALARM_RETRY_MS, AlarmHealth, type AlarmPart, type HealthAlert } from "./alarm-health";
import { ARCHIVED_CALLS_MIGRATION } from "./archived-calls";
import { AUTOSCALE_MIGRATION } from "./autoscale";
import { CallDesk } from "./call-desk";
import { CALL_EVENTS_MIGRATION } from "./call-events";
import { CALL_MONTHS_MIGRATION } from "./call-months";
import {
  CALLS_CLICK_IDS_MIGRATION,
  CALLS_ERASURE_INDEX_MIGRATION,
  CALLS_GA_SESSIONS_MIGRATION,
  CALLS_MIGRATION,
  CALLS_OUTCOME_MIGRATION,
  CALLS_PICKUPS_MIGRATION,
  CALLS_PROMPT_MIGRATION,
  CALLS_RECORDING_REF_MIGRATION,
  CALLS_ROUTE_MIGRATION,
  ROUTE_TURNS_LAST_MIGRATION,
} from "./call-schema";
import { CLAIM_JOURNAL_MIGRATION, ClaimJournal } from "./claim-journal";
import { checkConversions } from "./conversion-check";
import { CONVERSION_GOOGLE_API_MIGRATION, CONVERSION_SETTINGS_MIGRATION, ConversionSettings } from "./conversion-settings";
import { deliveryItem } from "./deliveries";
import { DELIVERY_EPISODES_MIGRATION } from "./delivery-alerts";
import type { AdSteps } from "./delivery-run";
import type { DeskAccount } from "./desk-account";
import { DM_CHECKS_MIGRATION, DmChecks } from "./dm-diagnostics";
import { ERASED_CALLS_MIGRATION, ERASED_ROUTES_MIGRATION, ERASED_UNTIL_MIGRATION } from "./erased-calls";
import { ERASURE_PROGRESS_MIGRATION } from "./erasure-progress";
import { INTEGRATION_SECRETS_MIGRATION, IntegrationSecrets } from "./integration-secrets";
import { NumberDesk } from "./number-desk";
import {
  BUY_TRIES_MIGRATION,
  changeKey,
  NUMBER_ADDED_MIGRATION,
  NUMBER_ORDERS_MIGRATION,
  ORDER_IDEMPOTENCY_CHANGE_MIGRATION,
  ORDER_IDEMPOTENCY_MIGRATION,
} from "./number-orders";
import { type DeliveryFilter, Outbox, type OutboxKind } from "./outbox";
import { OUTBOX_DEAD_LETTER_MIGRATION, OUTBOX_EVENT_MIGRATION, OUTBOX_MIGRATION } from "./outbox-schema";
import { type PoolState, PoolSync, SYNC_MIGRATION, shardIndexes } from "./pool-sync";
import { forwardTargetsOf, PoolRegistry, REGISTRY_MIGRATIONS, type Routing, type StoredPool } from "./registry";
import {
  type AccountInit,
  type AccountRow,
  AccountSettings,
  accountNotFound,
  accountView,
  gateOf,
  integrationConfig,
  integrationsView,
  SETTINGS_MIGRATIONS,
  type VoiceSecrets,
  voiceSecrets,
} from "./settings";
import { type CallbackReply, handleCallback } from "./voice-callback";
import { type StoredCredential, VOICE_PROVIDERS_MIGRATION, VoiceProviders } from "./voice-providers";

export const MIGRATIONS = [
  `${SETTINGS_MIGRATIONS.account}
   ${REGISTRY_MIGRATIONS.pools}`,
  `${SETTINGS_MIGRATIONS.callPath}
   ${CALLS_MIGRATION}
   ${OUTBOX_MIGRATION}`,
  SETTINGS_MIGRATIONS.alerts,
  // One hop to the pool: the gate pool objects admit by, the account's own number index, push state.
  `${SETTINGS_MIGRATIONS.gate}
   ${REGISTRY_MIGRATIONS.numbers}
   ${SYNC_MIGRATION}`,
  // Real voice providers: credentials, the call's provider and outcome, status reports, call.completed.
  `${VOICE_PROVIDERS_MIGRATION}
   ${CALLS_OUTCOME_MIGRATION}
   ${CALL_EVENTS_MIGRATION}
   ${OUTBOX_EVENT_MIGRATION}`,
  // Bounded storage: a retention setting, calls older than a few days in one CallLog object per month.
  `${SETTINGS_MIGRATIONS.retention}
   ${CALL_MONTHS_MIGRATION}`,
  // Dead letters and redelivery, failing-delivery episodes, alerts by email.
  `${OUTBOX_DEAD_LETTER_MIGRATION}
   ${DELIVERY_EPISODES_MIGRATION}
   ${SETTINGS_MIGRATIONS.alertEmail}`,
  // Conversions: every click id and the consent state on calls, ad platform settings.
  `${CALLS_CLICK_IDS_MIGRATION}
   ${CONVERSION_SETTINGS_MIGRATION}`,
  // Call routing: the route a call took, who answered, its recording; round robin turns.
  CALLS_ROUTE_MIGRATION,
  // Numbers bought from the provider: orders, and every number bought (until released).
  // …and pools that size themselves.
  `${NUMBER_ORDERS_MIGRATION}
   ${AUTOSCALE_MIGRATION}`,
  // Crash-safe admin writes: Directory claims and releases not yet finished on both sides.
  CLAIM_JOURNAL_MIGRATION,
  // An order's Idempotency-Key.
  ORDER_IDEMPOTENCY_MIGRATION,
  // When each bought number joined its pool (an order's progress).
  NUMBER_ADDED_MIGRATION,
  // GA4's, the webhooks' and the alert email's secrets, sealed.
  INTEGRATION_SECRETS_MIGRATION,
  // Calls erased lately (against a provider sending them again).
  ERASED_CALLS_MIGRATION,
  // How far an erasure by caller has come through the archive.
  ERASURE_PROGRESS_MIGRATION,
  // How long the archive keeps calls; which archived day holds each archived call.
  `${SETTINGS_MIGRATIONS.archiveRetention}
   ${ARCHIVED_CALLS_MIGRATION}`,
  // How long a press-1 agent was on the prompt (not talk time).
  CALLS_PROMPT_MIGRATION,
  // A caller's and a visit's calls found by index (erasure requests).
  CALLS_ERASURE_INDEX_MIGRATION,
  // The route of a call erased while on the line (it goes on as planned until the call ends).
  ERASED_ROUTES_MIGRATION,
  // When each agent picked up, where the bridge's report cannot carry it (Plivo, Vonage): a whisper is not talk time.
  CALLS_PICKUPS_MIGRATION,
  // Erased ids past their time found by index (each erased id is remembered with a prune).
  ERASED_UNTIL_MIGRATION,
  // The visit's GA session ids: a call's GA4 event joins the visit's GA session.
  CALLS_GA_SESSIONS_MIGRATION,
  // Google settings from before the Data Manager API keep uploading through the Google Ads API.
  CONVERSION_GOOGLE_API_MIGRATION,
  // The Data Manager API's requests whose diagnostics are still to be asked.
  DM_CHECKS_MIGRATION,
  // What a keyed order request added and removed beside its order (the same key with another change is 409).
  ORDER_IDEMPOTENCY_CHANGE_MIGRATION,
  // Whose round robin turn was last, and the agents then: a change to them keeps the turn's order.
  ROUTE_TURNS_LAST_MIGRATION,
  // The numbers an order is about to buy (a retry asks Plivo and Vonage about each: they cannot list an order's numbers).
  BUY_TRIES_MIGRATION,
  // What finds a call's recording again once its URL has expired (Telnyx's links last 10 minutes).
  CALLS_RECORDING_REF_MIGRATION,
  // The alarm's parts failing in a row, and the task.failing alert told of them.
  ALARM_HEALTH_MIGRATION,
];

export type { VoiceSecrets };

/**
 * Calls an erasure by caller erases per request from the account object and the months' logs
 * (their visits' touches are forgotten in one call to each object of their pools).
 */
const ERASE_BATCH = 200;

/** The voice settings as the route shows them (it adds the URLs). */
export interface VoiceSetup extends VoiceSecrets {
  provider: Provider;
  credentials: Partial<Record<Provider, StoredCredential>>;
  /** Pools by the provider their calls come through. */
  pools: Partial<Record<Provider, string[]>>;
  /** Tracking numbers set to a provider one by one (a pool's numberProviders). */
  numbers: Partial<Record<Provider, string[]>>;
}

const poolNotFound = (id: string) => fail(404, "pool_not_found", `No pool ${id} in this account`);
const notPropagated = (what: string, then = "Retry to confirm.") =>
  fail(503, "not_propagated", `${what} is saved, but some pool objects could not be reached yet; they are updated within seconds. ${then}`);

/**
 * What a pool keeps of its numbers given a new list: the providers of the numbers still in it, and
 * its overflow number if still in it (else none: the first number becomes it, as on creation). Each
 * number of the list is matched as it will be stored (normalized with the pool's country as the
 * patch leaves it); one that cannot be read is left to buildPool to refuse.
 */
function keptOf(current: Pool, list: readonly string[], country: string | undefined): Pick<Pool, "numberProviders" | "overflowNumber"> {
  const still = new Set(list.map((n) => normalizePhone(n, country)).flatMap((r) => (r.ok ? [r.e164] : [])));
  return {
    numberProviders: Object.fromEntries(Object.entries(current.numberProviders).filter(([n]) => still.has(n))),
    overflowNumber: current.overflowNumber && still.has(current.overflowNumber) ? current.overflowNumber : null,
  };
}

/**
 * How long a number removed now keeps routing to its pool: a lease + grace. The grace is at least a
 * margin for a renewal the pool's object takes between this request's time and the push that
 * retires the number (it may extend the lease once more: with less grace, none, the number would be
 * free to claim elsewhere while still leased).
 */
const holdMs = (pool: Pick<Pool, "leaseSeconds" | "graceSeconds">) => pool.leaseSeconds * 1000 + Math.max(pool.graceSeconds * 1000, RESHARD_MARGIN_MS);

export { ALARM_RETRY_MS } from "./alarm-health";

export class AccountObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly settings: AccountSettings;
  private readonly registry: PoolRegistry;
  private readonly sync: PoolSync;
  private readonly journal: ClaimJournal;
  private readonly desk: CallDesk;
  private readonly providers: VoiceProviders;
  private readonly health: AlarmHealth;
  private readonly conversions: ConversionSettings;
  private readonly numbers: NumberDesk;
  /** GA4's, the webhooks' and the alert email's secrets, sealed. */
  private readonly secrets: IntegrationSecrets;
  private writes: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.settings = new AccountSettings(this.sql);
    this.registry = new PoolRegistry(this.sql);
    this.sync = new PoolSync(this.sql, env);
    this.journal = new ClaimJournal(this.sql);
    this.desk = new CallDesk(ctx, env, () => this.schedule());
    this.providers = new VoiceProviders(this.sql, env.SECRETS_KEY);
    this.health = new AlarmHealth(this.sql, () => this.row()?.id ?? "");
    this.conversions = new ConversionSettings(this.sql, env.SECRETS_KEY);
    this.secrets = new IntegrationSecrets(this.sql, env.SECRETS_KEY);
    this.numbers = new NumberDesk(this.sql, {
      env,
      registry: this.registry,
      providers: this.providers,
      poolView: (id) => this.registry.view(id, this.row()?.default_pool ?? null),
      addOrdered: (poolId, numbers, provider, now) => this.addOrdered(poolId, numbers, provider, now),
      changeNumbers: (poolId, change, now) => this.changeNumbers(poolId, change, now),
      alert: async (row, key, payload, now) => {
        await this.desk.queueAlerts([{ key, payload: JSON.stringify(payload) }], integrationConfig(row), now);
      },
      schedule: () => this.schedule(),
    });
    // Only an account that was created has a schema: a stray key must not create storage.
    ctx.blockConcurrencyWhile(async () => {
      if (!hasSchema(ctx.storage)) return;
      migrate(ctx.storage, MIGRATIONS);
      // The data step of INTEGRATION_SECRETS_MIGRATION, which SQL alone cannot do: integration secrets
      // still in clear from before they were sealed are sealed before anything is served.
      await this.sealLegacySecrets();
      // A deploy with a new SECRETS_KEY restarts every object: one that holds credentials sealed with
      // an older key has its alarm seal them again at once, so the old key can go.
      const current = currentKeyId(env.SECRETS_KEY);
      const stale =
        current !== null &&
        ["voice_credentials", "conversion_settings", "integration_secrets"].some((t) => this.sql.exec(STALE_SEAL(t), `v1.${current}.%`).toArray().length > 0);
      const alarm = await ctx.storage.getAlarm();
      if (stale && (alarm === null || alarm > Date.now())) await ctx.storage.setAlarm(Date.now());
    });
  }

  // ---- The account ----

  async create(init: AccountInit): Promise<Result<Account>> {
    const origins = normalizeOrigins(init.allowedOrigins);
    if (!origins.ok) return origins;
    if (hasSchema(this.ctx.storage)) return fail(409, "account_exists", "Account already exists");
    migrate(this.ctx.storage, MIGRATIONS);
    this.settings.insert(init, origins.value);
    return ok(accountView(this.row()!));
  }

  /** Whether `keyHash` is this account's admin key hash (constant time). */
  checkAdmin(keyHash: string): boolean {
    const row = this.row();
    return !!row && this.settings.isAdmin(row, keyHash);
  }

  getAccount(): Result<Account> {
    const row = this.row();
    return row ? ok(accountView(row)) : accountNotFound();
  }

  /** Name and allowed origins; new origins are in force at every pool object before this returns. */
  updateAccount(patch: AccountPatch, now: number): Promise<Result<Account>> {
    return this.serial(async () => {
      const row = this.row();
      if (!row) return accountNotFound();
      const stranded = patch.allowedOrigins ? this.originsStranded(patch.allowedOrigins) : null;
      if (stranded) return stranded;
      const changed = this.settings.update(row, patch, now);
      if (!changed.ok) return changed;
      if (typeof patch.archiveRetentionDays === "number") this.desk.archiveRetentionSet();
      // In the same write as the change (no await before it): every pool object is due its new gate,
      // whatever happens next (a restart at an await left new origins saved and no push due).
      if (changed.value.gateChanged) await this.markPending(this.livePools(), now);
      else if (typeof patch.archiveRetentionDays === "number") await this.schedule();
      const after = this.row()!;
      if (changed.value.renamed) await directory(this.env).renameAccount(row.id, after.name);
      if (changed.value.gateChanged && !(await this.pushGate(after, now))) return notPropagated("The change of allowed origins");
      return ok(accountView(after));
    });
  }

  /** The pools' own origins that these allowed origins would leave out (origin_in_use), or null. */
  private originsStranded(origins: string[]): Result<never> | null {
    const allowed = normalizeOrigins(origins);
    if (!allowed.ok) return null;
    return strandedBy(
      allowed.value,
      this.registry.ids().map((id) => ({ id, origins: this.registry.get(id)?.origins })),
    );
  }

  /** Replace one key: the admin key by its hash (the route shows the key once), the site key as is. */
  rotateKey(kind: "admin" | "site", value: string, now: number): Promise<Result<true>> {
    return this.serial(async () => {
      if (!this.row()) return accountNotFound();
      this.settings.rotateKey(kind, value, now);
      if (kind === "site") await this.markPending(this.livePools(), now);
      // Not "retry": a retry would rotate it again. The key is the account's (GET /v1/account shows it).
      if (kind === "site" && !(await this.pushGate(this.row()!, now)))
        return notPropagated("The new site key", "GET /v1/account shows it; do not rotate again to confirm (that would replace it).");
      return ok(true);
    });
  }

  /**
   * Where the worker sends allocations: the default pool and each pool's shard count (cached in the
   * isolate; the pool objects refuse stale routing). With `check`, the site key and Origin are
   * checked here first: the worker asks so when it cannot reach a pool object to check them.
   */
  routing(check?: { siteKey: string; origin: string | null }): Result<Routing> {
    const row = this.row();
    if (!row || (check && !safeEqualFixed(row.site_key, check.siteKey))) return fail(401, "invalid_key", "Unknown or revoked site key");
    if (check && !originAllowed(check.origin, gateOf(row).origins)) {
      return fail(403, "origin_not_allowed", check.origin ? `Origin ${check.origin} is not allowed for this site key` : "An Origin header is required");
    }
    return ok(this.registry.routing(row.default_pool));
  }

  /** Push a pool's config to its objects in full (one that answered `unsynced`). */
  syncPool(id: string): Promise<Result<true>> {
    return this.serial(async () => {
      const row = this.row();
      if (!row) return accountNotFound();
      const found = this.registry.getAny(id);
      if (!found) return poolNotFound(id);
      const failed = await this.sync.push(row.id, this.state(found.pool, row, !found.deleted), gateOf(row), null);
      return failed.length ? notPropagated(`Pool ${id}`) : ok(true);
    });
  }

  // ---- Pools ----

  listPools(): Result<Pool[]> {
    const row = this.row();
    if (!row) return accountNotFound();
    return ok(this.registry.ids().map((id) => this.registry.view(id, row.default_pool)!));
  }

  getPool(id: string): Result<Pool> {
    const row = this.row();
    if (!row) return accountNotFound();
    const pool = this.registry.view(id, row.default_pool);
    return pool ? ok(pool) : poolNotFound(id);
  }

  createPool(input: PoolCreate, now: number): Promise<Result<Pool>> {
    return this.serial(async () => {
      const row = this.row();
      if (!row) return accountNotFound();
      if (this.registry.get(input.id)) return fail(409, "pool_exists", `Pool ${input.id} already exists`);
      const stray = strayOverflow(input.overflowNumber, input.exhaustionPolicy);
      if (stray) return stray;
      const built = buildPool(input, null, now);
      if (!built.ok) return built;
      const outside = originsOutside(built.value, row);
      if (outside) return outside;
      // The id of a pool deleted while its leases may still run: its shard history goes on.
      const deleted = this.registry.getAny(input.id);
      const pool = deleted?.deleted ? afterDeleted(built.value, deleted.pool, deleted.pool.updatedAt, now) : built.value;
      return this.commitPool(pool, null, input.isDefault);
    });
  }

  updatePool(id: string, patch: PoolPatch, now: number): Promise<Result<Pool>> {
    return this.serial(async () => {
      const row = this.row();
      if (!row) return accountNotFound();
      const current = this.registry.view(id, row.default_pool);
      if (!current) return poolNotFound(id);
      const stray = strayOverflow(patch.overflowNumber, patch.exhaustionPolicy ?? current.exhaustionPolicy);
      if (stray) return stray;
      // A new list of numbers: what the pool kept of a number it drops goes with it (its own provider,
      // its being the overflow number), unless the patch sets those too (as changeNumbers does).
      const country = (patch.country === undefined ? current.country : patch.country) ?? undefined;
      const kept = patch.trackingNumbers ? keptOf(current, patch.trackingNumbers, country) : {};
      const built = buildPool({ ...current, ...kept, ...patch, id }, current, now);
      if (!built.ok) return built;
      // Only origins the patch sets: ones set before stay (the account's may have changed since; the gate checks both).
      const outside = patch.origins ? originsOutside(built.value, row) : null;
      if (outside) return outside;
      return this.commitPool(built.value, current, patch.isDefault);
    });
  }

  changeNumbers(id: string, change: NumbersChange, now: number): Promise<Result<Pool>> {
    return this.serial(async () => {
      const planned = this.planNumbers(id, change, now);
      return planned.ok ? this.commitPool(planned.value.built, planned.value.current, undefined) : planned;
    });
  }

  /**
   * The pool a change of its numbers makes, or why it is refused (the numbers malformed, one to
   * remove not there, the pool invalid): nothing is stored. Checked before an order is queued with
   * the change, so a refused change leaves no order behind.
   */
  private planNumbers(id: string, change: NumbersChange, now: number): Result<{ built: Pool; current: Pool }> {
    const row = this.row();
    if (!row) return accountNotFound();
    const current = this.registry.view(id, row.default_pool);
    if (!current) return poolNotFound(id);
    const country = current.country ?? undefined;
    const add = normalizeList(change.add ?? [], country, "add");
    if (!add.ok) return add;
    const remove = normalizeList(change.remove ?? [], country, "remove");
    if (!remove.ok) return remove;
    const had = new Set(current.trackingNumbers);
    const missing = remove.value.filter((n) => !had.has(n));
    if (missing.length) return fail(404, "number_not_in_pool", "Some numbers to remove are not in this pool", { numbers: missing });
    const drop = new Set(remove.value);
    const next = [...current.trackingNumbers.filter((n) => !drop.has(n)), ...add.value.filter((n) => !had.has(n))];
    // A removed number's own provider, and its being the overflow number, go with it.
    const built = buildPool({ ...current, trackingNumbers: next, ...keptOf(current, next, country) }, current, now);
    return built.ok ? ok({ built: built.value, current }) : built;
  }

  /** Delete a pool: its numbers keep routing calls to it for lease + grace, then are free to reuse. */
  deletePool(id: string, now: number): Promise<Result<true>> {
    return this.serial(async () => {
      const row = this.row();
      if (!row) return accountNotFound();
      const current = this.registry.get(id);
      if (!current) return poolNotFound(id);
      const deleted: StoredPool = { ...current, version: this.registry.nextVersion(), updatedAt: now };
      const hold = this.removalHold(current, null, now);
      const numbers = this.ctx.storage.transactionSync(() => {
        if (row.default_pool === id) this.settings.setDefaultPool(null);
        this.numbers.poolDeleted(id, now);
        this.conversions.dropPoolRule(id);
        const held = this.registry.markDeleted(deleted, hold, now);
        this.journal.releasing(held, now + hold, now);
        this.sync.pending(deleted.id, shardIndexes(deleted), now);
        return held;
      });
      await this.schedule();
      await this.releaseClaims(row.id, numbers, now + hold);
      const failed = await this.sync.push(row.id, this.state(deleted, this.row()!, false), gateOf(row), null);
      await this.schedule();
      return failed.length ? notPropagated(`Deleting pool ${id}`) : ok(true);
    });
  }

  // ---- The call path (voice callbacks, settings, the call log; logic in CallDesk) ----

  /**
   * A provider callback (inbound call, status report, whisper or agent leg): verified with the
   * provider's signature and this account's credentials, then answered in the provider's format.
   */
  async voiceCallback(provider: Provider, leg: Leg, req: VoiceRequest, now: number): Promise<Result<CallbackReply>> {
    const row = this.row();
    if (!row) return fail(401, "unauthorized", "Unknown account, wrong voice token or signature");
    return handleCallback(
      {
        desk: this.desk,
        account: this.deskAccount(row),
        credentials: async (p) => (p === "reference" ? ok(row.voice_secret ? { secret: row.voice_secret } : null) : this.providers.credentials(row.id, p)),
      },
      provider,
      leg,
      req,
      now,
    );
  }

  async voiceSettings(): Promise<Result<VoiceSetup>> {
    const row = this.row();
    if (!row) return accountNotFound();
    await this.providers.reseal(row.id);
    return ok(this.voiceSetup(row));
  }

  rotateVoiceSecret(now: number): Result<VoiceSetup> {
    if (!this.row()) return accountNotFound();
    this.settings.rotateVoiceSecret(now);
    return ok(this.voiceSetup(this.row()!));
  }

  /**
   * The account's provider, provider credentials (sealed before anything is written) and the
   * fallback number for calls on numbers it does not own (null: hang up; never a tracking number).
   */
  updateVoice(patch: VoicePatch, now: number): Promise<Result<VoiceSetup>> {
    return this.serial(async () => {
      const row = this.row();
      if (!row) return accountNotFound();
      let number: string | null | undefined;
      if (patch.fallbackNumber !== undefined) {
        number = null;
        if (patch.fallbackNumber !== null) {
          const r = normalizePhone(patch.fallbackNumber);
          if (!r.ok) return fail(400, "invalid_number", `fallbackNumber ${r.reason}`);
          number = r.e164;
        }
        if (number && this.registry.trackingAt([number], now).length) {
          return fail(409, "number_conflict", "The fallback cannot be a tracking number", {
            conflicts: [{ number, reason: "is a tracking number; calls can never be forwarded into one" }],
          });
        }
      }
      if (patch.provider !== undefined) {
        // Pools without their own provider take the account's: their routes must be renderable on it.
        for (const id of this.registry.ids()) {
          const pool = this.registry.get(id)!;
          if (pool.provider) continue;
          const refused = providerRefusal(pool.route ?? null, [patch.provider]);
          if (!refused.ok)
            return fail(422, "route_not_supported", `Pool ${id}'s route cannot run on ${patch.provider}; see docs/routing.md`, refused.error.details);
        }
      }
      // Seal first: nothing is written when the secrets key is missing.
      const sealed = await this.providers.sealPatch(row.id, patch.credentials);
      if (!sealed.ok) return sealed;
      this.ctx.storage.transactionSync(() => {
        this.providers.write(sealed.value, now);
        if (patch.provider !== undefined) this.providers.setProvider(patch.provider);
        if (number !== undefined) this.settings.setFallback(number, now);
        else if (patch.provider !== undefined || patch.credentials !== undefined) this.settings.touch(now);
      });
      return ok(this.voiceSetup(this.row()!));
    });
  }

  async integrations(): Promise<Result<Integrations>> {
    const row = this.row();
    return row ? ok(await this.integrationsOf(row)) : accountNotFound();
  }

  /** The integrations as the API shows them: hints of the write-only secrets, the webhooks' signing secrets. */
  private async integrationsOf(row: AccountRow): Promise<Integrations> {
    const stored = integrationConfig(row);
    return integrationsView(await this.secrets.opened(row.id, stored), this.secrets.hints(stored), Date.now());
  }

  /** Secrets are sealed before anything is written (integration-secrets.ts). */
  setIntegrations(patch: IntegrationsPatch, now: number): Promise<Result<Integrations>> {
    return this.serial(async () => {
      const row = this.row();
      if (!row) return accountNotFound();
      const next = this.settings.patchedIntegrations(await this.secrets.opened(row.id, integrationConfig(row)), patch, now);
      if (!next.ok) return next;
      const stored = await this.storeIntegrations(row.id, next.value, now);
      if (!stored.ok) return stored;
      // A rotated secret's previous one is dropped by the alarm at the end of its day.
      await this.schedule();
      return ok(await this.integrationsOf(this.row()!));
    });
  }

  /** Writes the integrations (`config`: secrets in clear) with their secrets sealed, all or nothing; 503 without SECRETS_KEY. */
  private async storeIntegrations(accountId: string, config: IntegrationConfig, updatedAt: number): Promise<Result<true>> {
    const sealed = await this.secrets.sealFor(accountId, config);
    if (!sealed.ok) return sealed;
    this.ctx.storage.transactionSync(() => {
      this.settings.writeIntegrations(sealed.value.config, updatedAt);
      this.secrets.write(sealed.value.config, sealed.value.rows);
    });
    return ok(true);
  }

  /**
   * Integration secrets an account from before sealing holds in clear in its columns: sealed at
   * its wake (the constructor), before any request. Without SECRETS_KEY they stay as they are, read
   * in clear and used (never lost), until the first wake with one: setting SECRETS_KEY is a deploy,
   * which restarts every object. A failure leaves them in clear, to try again at the next wake.
   */
  private async sealLegacySecrets(): Promise<void> {
    const row = this.row();
    if (!row || !this.secrets.hasLegacy(integrationConfig(row))) return;
    try {
      const stored = await this.storeIntegrations(row.id, await this.secrets.opened(row.id, integrationConfig(row)), row.updated_at);
      if (!stored.ok) console.warn(`account ${row.id}: integration secrets stay in clear until SECRETS_KEY is set`, stored.error.message);
    } catch (err) {
      console.error(`account ${row.id}: sealing integration secrets failed; they stay in clear until the next wake`, err);
    }
  }

  /** Google Ads / Microsoft Ads conversion settings (credentials as hints) and the qualifying rules. */
  conversionSettings(): Result<Conversions> {
    return this.row() ? ok(this.conversions.view(new DmChecks(this.sql).summary())) : accountNotFound();
  }

  /** Credentials are sealed before anything is written; new credentials or settings resume paused uploads. */
  setConversionSettings(patch: ConversionsPatch, now: number): Promise<Result<Conversions>> {
    return this.serial(async () => {
      const row = this.row();
      if (!row) return accountNotFound();
      // An override names a pool of the account (null, removing one, names any: a stale one can go).
      const unknown = Object.entries(patch.rules?.pools ?? {}).flatMap(([id, o]) => (o !== null && !this.registry.get(id) ? [id] : []));
      if (unknown.length)
        return fail(
          404,
          "pool_not_found",
          `No pool ${unknown.join(", ")} in this account: a conversion rule override names one of its pools`,
          unknown.map((id) => ({ path: `rules.pools.${id}`, value: id, message: `No pool ${id} in this account` })),
        );
      const outbox = new Outbox(this.sql);
      const applied = await this.conversions.apply(row.id, patch, now, (write) =>
        this.ctx.storage.transactionSync(() => {
          const renewed = write();
          for (const platform of renewed ?? []) outbox.resume(platform, now);
          if (renewed) this.settings.touch(now);
          return renewed;
        }),
      );
      if (!applied.ok) return applied;
      await this.schedule();
      return ok(this.conversions.view(new DmChecks(this.sql).summary()));
    });
  }

  /**
   * Test the connection to each configured ad platform (or the one asked) with the stored settings
   * and credentials, recording no conversion (conversion-check.ts): nothing stored changes but a
   * refresh token Microsoft rotates, no platform is paused or resumed, no alert is queued.
   */
  async checkConversions(req: ConversionsCheckRequest, now: number): Promise<Result<ConversionsCheck>> {
    const row = this.row();
    if (!row) return accountNotFound();
    const setup = this.conversions.setup();
    const configured = AD_PLATFORMS.filter((p) => setup[p] !== null);
    if (req.platform && !setup[req.platform])
      return fail(409, "not_configured", `${req.platform} is not configured for this account: set it with PATCH /v1/account/conversions first`);
    if (!configured.length)
      return fail(
        409,
        "not_configured",
        "No ad platform is configured for this account: set googleAds or microsoftAds with PATCH /v1/account/conversions first",
      );
    const results = await checkConversions(
      {
        accountId: row.id,
        setup,
        credentials: (platform) => this.conversions.credentials(row.id, platform),
        rotateRefreshToken: (platform, used, next) => this.conversions.rotateRefreshToken(row.id, platform, used, next),
        uploader: this.desk.adUploader,
      },
      req.platform ? [req.platform] : configured,
      now,
    );
    return ok({ ok: results.every((r) => r.ok), results, checkedAt: now });
  }

  async listCalls(q: CallPageQuery): Promise<Result<CallPage>> {
    const row = this.row();
    if (!row) return accountNotFound();
    const page = await this.desk.page(row.id, q);
    return page ? ok(page) : fail(400, "invalid_cursor", INVALID_CURSOR);
  }

  async getCall(id: string): Promise<Result<Call>> {
    const row = this.row();
    if (!row) return accountNotFound();
    const call = await this.desk.get(row.id, id);
    return call ? ok(call) : fail(404, "call_not_found", `No call ${id} in this account`);
  }

  /** Where the call's recording is and how to ask its provider for it (GET /v1/calls/{id}/recording). */
  async recordingSource(id: string): Promise<Result<RecordingSource>> {
    const row = this.row();
    if (!row) return accountNotFound();
    const call = await this.desk.recorded(row.id, id);
    if (!call) return fail(404, "call_not_found", `No call ${id} in this account`);
    if (!call.recordingUrl) return fail(404, "recording_not_found", `Call ${id} has no recording`);
    const creds = call.provider === "reference" ? ok(null) : await this.providers.credentials(row.id, call.provider);
    return creds.ok ? recordingSource(call, creds.value, Date.now()) : creds;
  }

  /**
   * Erasure: the call is deleted everywhere it is kept (this object, its month's log, the R2
   * archive), and its visit's touch forgotten on the lease in its pool's objects.
   */
  async eraseCall(id: string): Promise<Result<true>> {
    const row = this.row();
    if (!row) return accountNotFound();
    const call = await this.desk.get(row.id, id);
    const forget = async (c: { session: string | null; pool: string | null } | null | undefined) => {
      // Its pool deleted since: its objects keep their lease history all the same.
      const pool = c?.session && c.pool ? this.registry.getAny(c.pool)?.pool : null;
      if (pool && c?.session) await forgetSessionSource(this.env, row.id, pool, c.session);
    };
    await forget(call);
    const erased = await this.desk.erase(row.id, id);
    // Only in the archive (past the account's call retention): its visit's touch goes too.
    if (!call) await forget(erased.archived);
    return erased.found ? ok(true) : fail(404, "call_not_found", `No call ${id} in this account`);
  }

  /**
   * Erasure by the caller's number or by a visit's session id: every call it names, as eraseCall
   * erases one, ERASE_BATCH a request (`more`: ask again), then the archive's. A visit's touch on
   * the leases goes from every pool too, with or without a call.
   */
  async eraseCalls(by: { caller?: string | undefined; session?: string | undefined }): Promise<Result<{ erased: number; more: boolean }>> {
    const row = this.row();
    if (!row) return accountNotFound();
    // As a call stores its caller (callerKey: E.164 for a valid number, else the text as sent), taken
    // when it is "+" and 6 to 15 digits (a number the metadata does not know yet; a valid one is too).
    const stored = by.caller === undefined ? null : callerKey(by.caller);
    const caller = stored && /^\+\d{6,15}$/.test(stored) ? stored : null;
    if (by.caller !== undefined && !caller)
      return fail(400, "invalid_request", "caller is not a phone number", [
        { path: "caller", message: "is not a valid international phone number (+<country code>…)" },
      ]);
    const key = caller ? { by: "caller" as const, value: caller } : { by: "session" as const, value: by.session! };
    const done = await this.desk.eraseMatching(row.id, key, ERASE_BATCH, async (calls) => {
      const byPool = new Map<string, Set<string>>();
      for (const c of calls) if (c.session && c.pool_id) byPool.set(c.pool_id, (byPool.get(c.pool_id) ?? new Set()).add(c.session));
      for (const [poolId, sessions] of byPool) {
        const pool = this.registry.getAny(poolId)?.pool;
        if (pool) await forgetSessionSources(this.env, row.id, pool, [...sessions]);
      }
    });
    if (key.by === "session" && !done.more) for (const pool of this.registry.allStored()) await forgetSessionSource(this.env, row.id, pool, key.value);
    return ok(done);
  }

  /** Status reports kept for calls that have not arrived (newest first). */
  orphanReports(limit: number): Result<OrphanReport[]> {
    return this.row() ? ok(this.desk.orphanReports(limit)) : accountNotFound();
  }

  async callStats(f: CallFilter, groupBy?: CallGrouping): Promise<Result<CallStats>> {
    const row = this.row();
    return row ? ok(await this.desk.stats(row.id, f, groupBy)) : accountNotFound();
  }

  /**
   * A pool object hands over its alerts: each is queued once for the alert webhook and the alert
   * email (through the outbox, with retries); with neither configured they are dropped. Answers the ids taken.
   */
  async takePoolAlerts(poolId: string, alerts: PendingAlert[], now: number): Promise<number[]> {
    const row = this.row();
    if (row)
      await this.desk.queueAlerts(
        alerts.map((a) => ({ key: `pool-alert/${poolId}/${a.id}`, payload: a.payload })),
        integrationConfig(row),
        now,
      );
    return alerts.map((a) => a.id);
  }

  /**
   * An account-level alert (e.g. `pool.scaled` from autoscaling): `payload` is its JSON body with
   * `type`, `accountId`, `at`, `message`; queued once per `key` to the alert webhook and email.
   */
  async raiseAlert(key: string, payload: string, now: number): Promise<Result<true>> {
    const row = this.row();
    if (!row) return accountNotFound();
    await this.desk.queueAlerts([{ key: `account-alert/${key}`, payload }], integrationConfig(row), now);
    return ok(true);
  }

  /** Outbound deliveries newest first; `cursor` is the last id of the previous page. */
  listDeliveries(q: { status: DeliveryFilter; kind?: OutboxKind | undefined; cursor?: string | undefined; limit: number }): Result<DeliveryList> {
    const row = this.row();
    if (!row) return accountNotFound();
    const rows = this.desk.deliveries(q.status, q.kind ?? null, q.cursor === undefined ? null : Number(q.cursor), q.limit + 1);
    const page = rows.slice(0, q.limit);
    return ok({ deliveries: page.map((r) => deliveryItem(r, row.id)), nextCursor: rows.length > q.limit ? String(page[page.length - 1]!.id) : null });
  }

  /** One more copy of a delivery, with the same body and webhook-id, sent by the alarm now. */
  async redeliver(id: number, now: number): Promise<Result<DeliveryItem>> {
    const row = this.row();
    if (!row) return accountNotFound();
    const found = this.desk.delivery(id);
    const config = integrationConfig(row);
    const ads = this.conversions.setup();
    const configured = {
      ga4: config.ga4,
      webhook: config.webhook,
      alert: config.alertWebhook,
      alert_email: config.alertEmail,
      google_ads: ads.google_ads,
      microsoft_ads: ads.microsoft_ads,
    } as Record<string, unknown>;
    if (found && !configured[found.kind]) {
      const where = found.kind === "google_ads" || found.kind === "microsoft_ads" ? "PATCH /v1/account/conversions" : "PATCH /v1/account/integrations";
      return fail(409, "not_configured", `Delivery ${id} goes to ${found.kind}, which is not configured any more; set it in ${where} first`);
    }
    const out = found ? await this.desk.redeliver(id, now) : null;
    return out ? ok(deliveryItem(out, row.id)) : fail(404, "delivery_not_found", `No delivery ${id} in this account; list them with GET /v1/deliveries`);
  }

  /** The one alarm: outbound deliveries that are due, pushes that failed, numbers whose routing time is over, the calls' daily upkeep. */
  override async alarm(): Promise<void> {
    const row = this.row();
    if (!row) return;
    const now = Date.now();
    // Each part on its own: one that throws (a month's log, an ad platform's write, a provider) stops
    // none of the others (deliveries, pushes, number orders), and is tried again after its own
    // backoff: its deadline alone is put off (schedule). A part failing for long is told
    // (alarm-health.ts); `false`: it had nothing to do (neither ends nor extends a failing run).
    const report = async (name: AlarmPart, outcome: "worked" | "idle" | { failed: unknown }) => {
      let alert: HealthAlert | null = null;
      if (outcome === "worked") alert = this.health.worked(name, Date.now());
      // Nothing to do and nothing left pending (what failed went away: a PATCH pushed, the order was
      // canceled): its failing run ends. Something still pending later: the run stays open.
      else if (outcome === "idle") alert = this.partDue(name) === null ? this.health.worked(name, Date.now()) : null;
      else {
        console.error(`account ${row.id}: the alarm's ${name} failed; the rest went on, it is tried again`, outcome.failed);
        alert = this.health.failed(name, outcome.failed, Date.now());
      }
      if (!alert) return;
      // Queued at once, with the settings as they are then: this run's deliveries send it (or the next run's).
      try {
        const config = integrationConfig(this.row() ?? row);
        await this.desk.queueAlerts([alert], config, Date.now());
        if (alert.failing && (config.alertWebhook || config.alertEmail)) this.health.told(name, Date.now());
      } catch (err) {
        console.error(`account ${row.id}: queueing the ${name} alert failed`, err);
      }
    };
    const part = async (name: AlarmPart, work: () => Promise<boolean | void>) => {
      if (this.health.waiting(name, Date.now())) return;
      let outcome: "worked" | "idle" | { failed: unknown };
      try {
        outcome = (await work()) === false ? "idle" : "worked";
      } catch (err) {
        outcome = { failed: err };
      }
      await report(name, outcome);
    };
    this.desk.poolsGone(this.registry.purge(now, leaseRetentionMs(this.env)));
    // Armed before any part awaits: a restart in the middle of a run (a provider's answer never
    // coming) finds an alarm and goes on from there within 30 s. (Not schedule(): its deadlines are
    // read at the run's end, once.)
    await this.ctx.storage.setAlarm(Date.now() + ALARM_RETRY_MS);
    await part("journal", () => this.serial(() => this.finishJournal(row.id, now)));
    // Pushes that failed, sent again one admin write at a time, each from the account as it is then:
    // one interleaved with a write (another pool made the default meanwhile) would carry a stale
    // isDefault or gate at the same config version, and the object would take it.
    await part("pushes", () =>
      this.serial(async () => {
        const due = this.sync.due(now);
        if (!due.length) return false;
        let unreached = 0;
        for (const id of due) {
          const found = this.registry.getAny(id);
          const current = this.row();
          if (found && current) unreached += (await this.sync.push(row.id, this.state(found.pool, current, !found.deleted), gateOf(current), null)).length;
          else if (!found) this.sync.forget(id);
        }
        // Retried by the sync's own schedule; said here so that a pool object out of reach for long is told.
        if (unreached) throw new Error(`${unreached} pool object(s) could not be reached`);
      }),
    );
    // The upkeep before the deliveries; one failing (a month's log, R2) stops none of them.
    await part("upkeep", () => this.desk.upkeep({ accountId: row.id, retentionDays: row.call_retention_days, archiveDays: row.archive_retention_days }));
    // The ad platforms' steps run inside the deliveries, but are told as their own part: one that
    // fails (Google's answer written to a month's log out of reach) puts off no webhook.
    // While they back off after a failure, the deliveries run without them (their rows wait).
    const adsMayRun = !this.health.waiting("ads", Date.now());
    let ads: AdSteps | false = false;
    await part("deliveries", async () => {
      const context = adsMayRun ? this.adsContext(row) : undefined;
      ads = await this.desk.deliver(await this.secrets.opened(row.id, integrationConfig(this.row() ?? row)), row.id, context);
      if (ads === false) return false;
    });
    if (adsMayRun) await report("ads", ads === false || ads === "none" ? "idle" : ads);
    await part("numbers", async () => {
      if ((this.numbers.nextDue() ?? Number.POSITIVE_INFINITY) > now) return false;
      await this.numbers.run(row, now);
    });
    // SECRETS_KEY rotation completes without anyone opening the settings: what an older key sealed is sealed again.
    await part("reseal", async () => {
      // A webhook's previous secret past its day: its sealed row goes too. One synchronous write, not
      // behind the admin writes' queue (a PATCH waiting on this alarm would wait forever): a PATCH
      // in flight drops an expired one itself.
      this.ctx.storage.transactionSync(() => {
        const current = this.row();
        if (current && this.settings.dropExpiredPrevious(Date.now())) this.secrets.write(integrationConfig(this.settings.row() ?? current), new Map());
      });
      await this.providers.reseal(row.id);
      await this.conversions.reseal(row.id);
      await this.secrets.reseal(row.id);
    });
    await this.schedule();
  }

  // ---- Numbers from the provider (orders, release, autoscaling; logic in NumberDesk) ----

  /**
   * Queue an order of numbers into a pool: the alarm works on it; the answer is at once. With the
   * API client's Idempotency-Key, a retry gets the order the first made (`replayed`). `change`: the
   * numbers the same request adds or removes, made in the same step: the order is checked, then the
   * change made (its numbers claimed), then the order queued, so a refused order or change (a number
   * malformed, not in the pool, another account's) stores nothing and buys nothing. `pool`: the pool
   * as the change left it (null: no change made here).
   */
  orderNumbers(
    poolId: string,
    request: NumberRequest,
    origin: string,
    now: number,
    key: string | null = null,
    change: NumbersChange | null = null,
  ): Promise<Result<{ order: Order; replayed: boolean; pool: Pool | null }>> {
    return this.serial(async () => {
      const row = this.row();
      if (!row) return accountNotFound();
      const pool = this.registry.get(poolId);
      if (!pool) return poolNotFound(poolId);
      // A retry's change was made with its first try; another change under the key is another request.
      const replayed = this.numbers.replayed(pool, request, key, changeKey(change));
      if (replayed) return replayed.ok ? ok({ ...replayed.value, pool: null }) : replayed;
      // The change planned first: the order's budget is checked against the pool as it leaves it.
      const planned = change ? this.planNumbers(poolId, change, now) : null;
      if (planned && !planned.ok) return planned;
      const provider = await this.numbers.prepare(row, pool, request, planned?.value.built.trackingNumbers.length);
      if (!provider.ok) return provider;
      let changed: Pool | null = null;
      if (planned) {
        const committed = await this.commitPool(planned.value.built, planned.value.current, undefined);
        // Saved but not yet pushed to every shard (the alarm goes on pushing): the order goes ahead, as createPoolWithOrder's does.
        if (!committed.ok && committed.error.code !== "not_propagated") return committed;
        changed = committed.ok ? committed.value : this.registry.view(poolId, this.row()!.default_pool);
      }
      const order = await this.numbers.queue(poolId, provider.value, request, origin, now, key, changeKey(change));
      return ok({ order, replayed: false, pool: changed });
    });
  }

  /** Create a pool and order its numbers: nothing is stored when either is refused. */
  async createPoolWithOrder(input: PoolCreate, request: NumberRequest, origin: string, now: number): Promise<Result<{ pool: Pool; order: Order }>> {
    const row = this.row();
    if (!row) return accountNotFound();
    const checked = await this.numbers.checkOrder(row, input, request);
    if (!checked.ok) return checked;
    if (!input.trackingNumbers.length && input.exhaustionPolicy === "overflow") {
      return fail(400, "invalid_overflow_number", "With policy overflow, give the overflow number among trackingNumbers (ordered numbers arrive later)");
    }
    const pool = await this.createPool(input, now);
    if (!pool.ok && pool.error.code !== "not_propagated") return pool;
    const order = await this.orderNumbers(input.id, request, origin, now);
    if (!order.ok) return order;
    const view = this.registry.view(input.id, this.row()!.default_pool)!;
    return ok({ pool: view, order: order.value.order });
  }

  getOrder(id: string): Result<Order> {
    return this.row() ? this.numbers.getOrder(id) : accountNotFound();
  }

  cancelOrder(id: string, now: number): Promise<Result<Order>> {
    return this.serial(async () => (this.row() ? this.numbers.cancelOrder(id, now) : accountNotFound()));
  }

  listOrders(poolId: string | undefined): Result<Order[]> {
    return this.row() ? this.numbers.listOrders(poolId) : accountNotFound();
  }

  /** Turn autoscaling on (or change it): what it buys is checked like an order first. */
  putAutoscale(poolId: string, config: AutoscaleConfig, origin: string, now: number): Promise<Result<AutoscaleView>> {
    return this.serial(async () => {
      const row = this.row();
      if (!row) return accountNotFound();
      const pool = this.registry.get(poolId);
      return pool ? this.numbers.putAutoscale(row, pool, config, origin, now) : poolNotFound(poolId);
    });
  }

  getAutoscale(poolId: string): Result<AutoscaleView> {
    if (!this.row()) return accountNotFound();
    return this.registry.get(poolId) ? this.numbers.getAutoscale(poolId) : poolNotFound(poolId);
  }

  /** Every pool's autoscaling (`poolId`: that pool's only; none when it does not autoscale, or is no pool). */
  listAutoscale(poolId?: string): Result<AutoscaleView[]> {
    if (!this.row()) return accountNotFound();
    const ids = poolId === undefined ? this.registry.ids() : this.registry.get(poolId) ? [poolId] : [];
    return ok(this.numbers.listAutoscale(ids));
  }

  deleteAutoscale(poolId: string): Result<true> {
    if (!this.row()) return accountNotFound();
    return this.registry.get(poolId) ? this.numbers.deleteAutoscale(poolId) : poolNotFound(poolId);
  }

  /** Bought numbers into their pool (those already there are left as they are). */
  private addOrdered(poolId: string, numbers: string[], provider: OrderingProvider, now: number): Promise<{ ok: true } | { ok: false; reason: string }> {
    return this.serial(async () => {
      const row = this.row()!;
      const current = this.registry.view(poolId, row.default_pool);
      if (!current) return { ok: false, reason: `Pool ${poolId} was deleted; the numbers bought for it are released` };
      const fresh = numbers.filter((n) => !current.trackingNumbers.includes(n));
      if (!fresh.length) return { ok: true };
      const numberProviders = { ...current.numberProviders };
      if ((current.provider ?? this.providers.provider()) !== provider) for (const n of fresh) numberProviders[n] = provider;
      const built = buildPool({ ...current, trackingNumbers: [...current.trackingNumbers, ...fresh], numberProviders }, current, now);
      if (!built.ok) return { ok: false, reason: built.error.message };
      const saved = await this.commitPool(built.value, current, undefined);
      // Saved but not yet pushed to every pool object: the alarm pushes it.
      if (!saved.ok && saved.error.code !== "not_propagated")
        return { ok: false, reason: `${saved.error.message} ${JSON.stringify(saved.error.details ?? "")}` };
      return { ok: true };
    });
  }

  private adsContext(row: AccountRow): AdsContext {
    return {
      accountId: row.id,
      setup: this.conversions.setup(),
      credentials: (platform) => this.conversions.credentials(row.id, platform),
      written: (platform) => this.conversions.written(platform),
      markAuthFailed: (platform, reason, now) => this.conversions.markAuthFailed(platform, reason, now),
      rotateRefreshToken: (platform, used, next) => this.conversions.rotateRefreshToken(row.id, platform, used, next),
      alerts: ((c) => !!(c.alertWebhook || c.alertEmail))(integrationConfig(row)),
    };
  }

  // ---- Internals ----

  /** Check the pool's numbers in the account and across accounts, store it, push it to its objects. */
  private async commitPool(built: Pool, previous: Pool | null, makeDefault: boolean | undefined): Promise<Result<Pool>> {
    const row = this.row()!;
    const now = built.updatedAt;
    const tracking = built.trackingNumbers;
    const refused = providerRefusal(built.route, [built.provider ?? this.providers.provider(), ...Object.values(built.numberProviders)]);
    if (!refused.ok) return refused;
    const had = new Set(previous?.trackingNumbers ?? []);
    const claiming = tracking.filter((n) => !had.has(n));
    const inAccount = [
      ...this.registry.conflicts(built.id, tracking, forwardTargetsOf(built), row.fallback_number, now),
      ...this.numbers.releasing(claiming).map((number) => ({ number, reason: "is being given back at its provider now (no pool held it)" })),
    ];
    if (inAccount.length) return fail(409, "number_conflict", "Some numbers cannot be used in this pool", { conflicts: inAccount });
    // Written before the Directory is asked: a crash before the pool is saved gives the claim back (alarm).
    this.journal.claiming(claiming, now);
    await this.schedule(); // set in the same write as the journal entry (no await before it)
    const claim = await directory(this.env).claim(row.id, claiming, now);
    if (!claim.ok) {
      this.journal.claimed(claiming);
      // A number still held after its removal here (being added back) had its pending release
      // replaced by this claim: it is still to be told, or the Directory would keep it ours for ever.
      for (const n of claiming) {
        const held = this.registry.claimOf(n);
        if (typeof held === "object") this.journal.releasing([n], held.until, now);
      }
      await this.schedule();
      return fail(409, "number_conflict", "Some numbers cannot be used in this pool", { conflicts: claim.conflicts });
    }
    // A shorter lease length from now: the leases already given may run their old length.
    const shortenedUntil = previous && previous.leaseSeconds > built.leaseSeconds ? now + previous.leaseSeconds * 1000 : 0;
    const longUntil = Math.max(this.registry.longLeasesUntil(built.id), shortenedUntil);
    const grace = Math.max(built.graceSeconds, previous?.graceSeconds ?? 0);
    const { trackingNumbers: _numbers, isDefault: _default, ...rest } = withLongLeases(built, longUntil, grace, now);
    /** The stored version the change is against (a pool saved anew: none). */
    const from = previous ? this.registry.get(built.id)?.version : undefined;
    const stored: StoredPool = { ...rest, version: this.registry.nextVersion() };
    const hold = this.removalHold(built, previous ?? null, now);
    const oldDefault = row.default_pool;
    const { change, other } = this.ctx.storage.transactionSync(() => {
      if (shortenedUntil) this.registry.leasesMayRunUntil(built.id, shortenedUntil);
      const saved = this.registry.save(stored, tracking, hold, now);
      if (makeDefault === true) this.settings.setDefaultPool(stored.id);
      else if (makeDefault === false && oldDefault === stored.id) this.settings.setDefaultPool(null);
      // The pool that stopped being the default must refuse requests that name no pool.
      const newDefault = this.row()!.default_pool;
      const other = oldDefault !== newDefault && oldDefault !== stored.id ? this.registry.get(oldDefault ?? "") : null;
      // In the same transaction: the claims are the account's now, the releases and pushes are due.
      this.journal.claimed(claiming);
      this.numbers.pooled(stored.id, claiming);
      this.journal.releasing(saved.removed, now + hold, now);
      this.sync.pending(stored.id, shardIndexes(stored), now);
      if (other) this.sync.pending(other.id, shardIndexes(other), now);
      return { change: saved, other };
    });
    await this.schedule();
    await this.releaseClaims(row.id, change.removed, now + hold);
    const after = this.row()!;
    const resharded = !!previous && previous.shards !== stored.shards;
    const failed = await this.sync.push(row.id, this.state(stored, after, true), gateOf(after), resharded ? null : { ...change, from });
    if (other) failed.push(...(await this.sync.push(row.id, this.state(other, after, true), gateOf(after), { added: [], removed: [], from: other.version })));
    await this.schedule();
    if (failed.length) return notPropagated(`Pool ${stored.id}`);
    return ok(this.registry.view(stored.id, after.default_pool)!);
  }

  /**
   * How long a number removed from `pool` now (or with the pool) keeps routing to it: the longest
   * lease that may still run — under its lease length, the one before this change, or an earlier,
   * longer one a change shortened (PoolRegistry.longLeasesUntil) — then grace. Counted from the
   * moment it is asked, not from `now` (the request's, or the alarm run's start: an autoscale shrink
   * after the run's deliveries and health reads could be minutes later): the pool objects are told
   * after it, and a lease renewed until then may run its whole length.
   */
  private removalHold(
    pool: Pick<Pool, "id" | "leaseSeconds" | "graceSeconds">,
    previous: Pick<Pool, "leaseSeconds" | "graceSeconds"> | null,
    now: number,
  ): number {
    const grace = Math.max(pool.graceSeconds, previous?.graceSeconds ?? 0) * 1000;
    const late = Math.max(0, Date.now() - now);
    return late + Math.max(holdMs(pool), previous ? holdMs(previous) : 0, this.registry.longLeasesUntil(pool.id) - now + grace);
  }

  /** Tell the Directory of released claims; one it does not take stays in the journal for the alarm. */
  private async releaseClaims(accountId: string, numbers: readonly string[], until: number): Promise<boolean> {
    if (!numbers.length) return true;
    try {
      await directory(this.env).release(accountId, numbers, until);
      this.journal.released(numbers, until);
      return true;
    } catch (err) {
      console.warn("releasing numbers in the Directory failed; the alarm retries", err);
      this.journal.retryLater(numbers, Date.now());
      return false;
    }
  }

  /** What a write that did not finish left in the journal: claims never saved are given back, releases told again. */
  private async finishJournal(accountId: string, now: number): Promise<boolean> {
    const { claims, releases } = this.journal.due(now);
    if (!claims.length && !releases.size) return false;
    let failed = 0;
    const giveBack = new Map<number, string[]>();
    for (const n of claims) {
      const claim = this.registry.claimOf(n);
      if (claim === "live") continue;
      // Never saved (give it back now), or held after removal (the claim took the hold away: put it back).
      const until = claim === "none" ? now : claim.until;
      const list = giveBack.get(until);
      if (list) list.push(n);
      else giveBack.set(until, [n]);
    }
    try {
      for (const [until, numbers] of giveBack) await directory(this.env).release(accountId, numbers, until);
      this.journal.claimed(claims);
    } catch (err) {
      console.warn("giving back unsaved claims failed; the alarm retries", err);
      this.journal.retryLater(claims, Date.now());
      failed += claims.length;
    }
    for (const [until, numbers] of releases) if (!(await this.releaseClaims(accountId, numbers, until))) failed += numbers.length;
    // Retried on the journal's own schedule; said here so that a Directory out of reach for long is told.
    if (failed) throw new Error(`the Directory could not be told of ${failed} number(s)`);
    return true;
  }

  /** Live pools (for a gate change: every one of their objects takes it). */
  private livePools(): StoredPool[] {
    return this.registry.ids().map((id) => this.registry.get(id)!);
  }

  /** Mark pools' objects due a push (in the caller's write), and set the alarm that makes it if nothing else does. */
  private async markPending(pools: readonly StoredPool[], now: number): Promise<void> {
    for (const pool of pools) this.sync.pending(pool.id, shardIndexes(pool), now);
    await this.schedule();
  }

  /** A new gate to every pool object; false when some could not be reached (the alarm retries). */
  private async pushGate(row: AccountRow, markedAt?: number): Promise<boolean> {
    const failed = await this.sync.pushGate(row.id, this.livePools(), gateOf(row), markedAt);
    await this.schedule();
    return failed === 0;
  }

  private state(pool: StoredPool, row: AccountRow, active: boolean): PoolState {
    return { pool, numbers: active ? this.registry.numbers(pool.id) : [], isDefault: row.default_pool === pool.id, active };
  }

  private voiceSetup(row: AccountRow): VoiceSetup {
    const provider = this.providers.provider();
    const pools: Partial<Record<Provider, string[]>> = {};
    const numbers: Partial<Record<Provider, string[]>> = {};
    for (const id of this.registry.ids()) {
      const pool = this.registry.get(id)!;
      const p = pool.provider ?? provider;
      // Pushed onto each list (a copy per number was quadratic: seconds for a pool of 20,000).
      pools[p] = [...(pools[p] ?? []), id];
      for (const [n, np] of Object.entries(pool.numberProviders ?? {})) {
        const list = numbers[np] ?? [];
        list.push(n);
        numbers[np] = list;
      }
    }
    return { ...voiceSecrets(row), provider, credentials: this.providers.stored(), pools, numbers };
  }

  private deskAccount(row: AccountRow): DeskAccount {
    return {
      id: row.id,
      provider: this.providers.provider(),
      fallback: row.fallback_number,
      integrations: integrationConfig(row),
      conversions: this.conversions.setup(),
      ownerAt: (number, at) => this.registry.ownerAt(number, at),
      pool: (id) => this.registry.getAny(id)?.pool ?? null,
      sync: async (id) => {
        await this.syncPool(id);
      },
    };
  }

  /** A part's own deadline (null: nothing pending). The ad steps run within the deliveries' run, by their own deadline. */
  private partDue(part: AlarmPart): number | null {
    switch (part) {
      case "upkeep":
        return this.desk.upkeepDue();
      case "deliveries":
        return this.desk.deliveriesDue();
      case "pushes":
        return this.sync.nextDue();
      case "journal":
        return this.journal.nextDue();
      case "numbers":
        return this.numbers.nextDue();
      case "reseal":
        return this.settings.previousSecretsDue();
      case "ads":
        return this.desk.adsDue();
    }
  }

  /** The one alarm at the earliest deadline: a delivery, a push retry, a number's routing time ending. */
  private async schedule(): Promise<void> {
    // Each part's deadline, put off while that part waits out its backoff (alarm-health.ts).
    const now = Date.now();
    const parts = this.row() ? ALARM_PARTS.map((p) => this.health.deferred(p, this.partDue(p), now)) : [];
    const candidates = [...parts, this.registry.nextPurge(leaseRetentionMs(this.env))].filter((t): t is number => t !== null);
    if (!candidates.length) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.min(...candidates));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writes.then(fn, fn);
    this.writes = run.catch(() => undefined);
    return run;
  }

  private row(): AccountRow | undefined {
    return hasSchema(this.ctx.storage) ? this.settings.row() : undefined;
  }
}

/** Every provider that takes credentials (for the API's view). */
export const CREDENTIALED = CREDENTIAL_PROVIDERS;

/** An overflowNumber sent with a policy that has none: refused, not dropped without a word. */
function strayOverflow(overflowNumber: string | null | undefined, policy: string): Result<never> | null {
  return overflowNumber && policy !== "overflow"
    ? fail(400, "invalid_overflow_number", `overflowNumber is for exhaustionPolicy "overflow" (this pool's is "${policy}")`)
    : null;
}

/**
 * A pool's origins that `allowed` does not cover (its pages could never lease from it: the gate
 * checks both), each named at `path` + its index, with `reason`.
 */
function outsideOf(origins: readonly string[] | null | undefined, allowed: readonly string[], path: string, reason: string) {
  return (origins ?? []).flatMap((value, i) => (patternWithin(value, allowed) ? [] : [{ path: `${path}[${i}]`, value, reason }]));
}

/**
 * Allowed origins that would leave a pool's own origins outside them: 409 with each such pool
 * origin, none changed. Null when none is left out (or the origins are malformed: the update says so).
 */
function strandedBy(allowed: readonly string[], pools: readonly { id: string; origins?: string[] | null | undefined }[]): Result<never> | null {
  const problems = pools.flatMap((pool) => outsideOf(pool.origins, allowed, `pools.${pool.id}.origins`, "not among the allowed origins this change leaves"));
  return problems.length
    ? fail(409, "origin_in_use", "Pools allow origins this change would take away: remove them from those pools first (PATCH /v1/pools/{id})", {
        problems,
      })
    : null;
}

/** A pool's origins that the account does not allow: its pages could never lease from it. */
function originsOutside(pool: Pool, row: AccountRow): Result<never> | null {
  const problems = outsideOf(pool.origins, gateOf(row).origins, "origins", "not among the account's allowed origins");
  return problems.length ? fail(400, "invalid_origin", "A pool's origins must be among the account's allowed origins", { problems }) : null;
}
