/**
 * One alarm run's ad uploads: the due google_ads / microsoft_ads outbox rows go to their platform
 * in one request each (partial failure), and each row's verdict is recorded on the outbox row and
 * on its call (`conversions`, shown by GET /v1/calls/{id}). A platform whose credentials stopped
 * working is marked (one alert) and its rows wait, paused, for new credentials: no retry storm;
 * rows still waiting when no platform would take them any more (90 days after the call) are given
 * up by the daily upkeep (expireAdUploads). The state is recorded on the call wherever it is now
 * (its month's log after three days: call-months.ts).
 */
import type { AdUpload } from "../domain/conversions";
import type { AdPlatform, CallConversion } from "../schemas/conversions";
import type { AdUploader, BatchResult, Withdrawn } from "./ad-uploads";
import type { AdCredentials, ConversionSetup } from "./conversion-settings";
import type { CheckedUpload, DmChecks } from "./dm-diagnostics";
import type { Outbox, OutboxKind, OutboxRow } from "./outbox";

/** What the account object gives the alarm about its ad settings. */
export interface AdsContext {
  accountId: string;
  setup: ConversionSetup;
  credentials(platform: AdPlatform): Promise<AdCredentials | null>;
  /** Which PATCH's write the platform's setting is now (null: none stored); another once a PATCH writes it. */
  written(platform: AdPlatform): number | null;
  /** True the first time (the caller alerts once). */
  markAuthFailed(platform: AdPlatform, reason: string, now: number): boolean;
  /** Store the refresh token the platform gave in place of `used` (rotation). */
  rotateRefreshToken(platform: AdPlatform, used: string, next: string): Promise<boolean>;
  /** Whether alerts have somewhere to go (the alert webhook or the alert email). */
  alerts: boolean;
}

/**
 * How long after a call its upload can still be taken: Google Ads and Microsoft Advertising both
 * refuse a conversion whose click is more than 90 days old (Google's click-through window is at
 * most 90 days; Microsoft takes offline conversions up to 90 days after the click), and the click
 * came before the call.
 */
export const AD_UPLOAD_WINDOW_MS = 90 * 86_400_000;

export interface AdDeliveryDeps {
  outbox: Outbox;
  /** Records a call's upload state, wherever the call is now (call-months.ts). */
  setConversion(callId: string, startedAt: number, state: CallConversion): Promise<void>;
  uploader: AdUploader;
  queueOnce(items: readonly { key: string; kind: OutboxKind; payload: string }[], now: number): Promise<void>;
  /** The Data Manager API's requests that took uploads, to ask its diagnostics about later (dm-diagnostics.ts). */
  checks?: DmChecks;
}

export async function deliverAds(deps: AdDeliveryDeps, ads: AdsContext, rows: OutboxRow[]): Promise<void> {
  // A moved call's state is written in its month's log (an RPC): all awaited once the rows are settled.
  const recorded: Promise<void>[] = [];
  const record = (callId: string, startedAt: number, state: CallConversion) => void recorded.push(deps.setConversion(callId, startedAt, state));
  try {
    for (const platform of ["google_ads", "microsoft_ads"] as const) {
      const mine = rows.filter((r) => r.kind === platform);
      if (mine.length) await deliverPlatform(deps, record, ads, platform, mine);
    }
  } finally {
    await Promise.all(recorded);
  }
}

async function deliverPlatform(
  deps: AdDeliveryDeps,
  record: (callId: string, startedAt: number, state: CallConversion) => void,
  ads: AdsContext,
  platform: AdPlatform,
  rows: OutboxRow[],
): Promise<void> {
  const { outbox } = deps;
  const uploads = rows.map((r) => JSON.parse(r.payload) as AdUpload);
  const state = (i: number, status: CallConversion["status"], reason: string | null, at: number, requestId?: string) => {
    const u = uploads[i]!;
    record(rows[i]!.call_id, u.at, {
      platform,
      status,
      clickIdType: u.clickIdType,
      orderId: u.orderId,
      reason,
      ...(requestId ? { requestId } : {}),
      updatedAt: at,
    });
  };
  const cfg = ads.setup[platform];
  // The run's setup was read before the other platform's upload was awaited: a PATCH may have
  // written this one since (new credentials clearing a refusal, and resuming its rows). Its rows
  // go next run, with the setting as it is then: not paused or failed by what it was.
  if (ads.written(platform) !== (cfg?.written ?? null)) return;
  if (!cfg) {
    const at = Date.now();
    rows.forEach((r, i) => {
      outbox.attemptFailed(r, null, `${platform} is no longer configured for this account`, at, true);
      state(i, "failed", `${platform} is no longer configured for this account`, at);
    });
    return;
  }
  if (cfg.authFailed) {
    outbox.pause(
      rows.map((r) => r.id),
      `${platform} credentials no longer work; waiting for new ones`,
    );
    return;
  }
  // The rows were read before this run's awaits (the other platform's upload, the credentials, the
  // access token): asked again right before the request goes. A call erased meanwhile (its rows
  // went with it) or a row changed (a body replaced, an upload cancelled) withdraws the request:
  // nothing sent, nothing recorded; the rows still there are due and go, as they are now, next run.
  const wanted = () => rows.every((r) => outbox.unchanged(r));
  // Read in the same turn as the credentials are (before their await).
  const written = ads.written(platform);
  const creds = await ads.credentials(platform);
  let result: BatchResult | Withdrawn;
  if (!creds) result = { authFailed: "the stored credentials do not open with SECRETS_KEY" };
  else if (platform === "google_ads" && ads.setup.google_ads) result = await deps.uploader.google(ads.accountId, ads.setup.google_ads, creds, uploads, wanted);
  else if (ads.setup.microsoft_ads) result = await deps.uploader.microsoft(ads.accountId, ads.setup.microsoft_ads, creds, uploads, wanted);
  else return;
  if (creds && result.refreshToken) await ads.rotateRefreshToken(platform, creds.refreshToken, result.refreshToken);
  if ("withdrawn" in result) return;
  const at = Date.now();
  if ("authFailed" in result) {
    // A PATCH wrote the setting while the upload waited (the owner replacing the refresh token it
    // revoked, say): the refusal was of what it replaced, and that PATCH cleared the refusal and
    // resumed the uploads. Neither marked nor paused: the rows stay due, and go with the new setting next run.
    if (ads.written(platform) !== written) return;
    outbox.pause(
      rows.map((r) => r.id),
      `${platform}: ${result.authFailed}`,
    );
    rows.forEach((_, i) => {
      state(i, "pending", `paused: ${platform} credentials no longer work (${result.authFailed}); set new credentials or settings to resume`, at);
    });
    console.error(`conversions: ${platform} credentials no longer work; uploads paused`, { account: ads.accountId, reason: result.authFailed });
    if (ads.markAuthFailed(platform, result.authFailed, at) && ads.alerts) {
      const name = platform === "google_ads" ? "Google Ads" : "Microsoft Advertising";
      const payload = JSON.stringify({
        type: "conversions.auth_failed",
        accountId: ads.accountId,
        platform,
        reason: result.authFailed,
        message: `${name} refused the stored credentials or account settings (${result.authFailed}); its conversion uploads are paused.`,
        remedies: authRemedies(platform, result.authFailed).map((message) => ({ message })),
        at,
      });
      await deps.queueOnce([{ key: `conversions-auth/${platform}/${at}`, kind: "alert", payload }], at);
    }
    return;
  }
  // Google checks what its Data Manager API took afterwards: each request id is asked about later.
  // A call erased while the upload was on its way (its outbox row is gone) is not kept for that:
  // its entry is null, as DmChecks.forget leaves it, so the request's count stays Google's.
  const taken = new Map<string, (CheckedUpload | null)[]>();
  result.rows.forEach((r, i) => {
    if (r.verdict !== "uploaded" || !r.requestId) return;
    const u = uploads[i]!;
    const row = rows[i]!;
    const entry = outbox.get(row.id) ? { row: row.id, callId: row.call_id, at: u.at, orderId: u.orderId, clickIdType: u.clickIdType } : null;
    taken.set(r.requestId, [...(taken.get(r.requestId) ?? []), entry]);
  });
  for (const [requestId, carried] of taken) if (carried.some((c) => c !== null)) deps.checks?.add(requestId, carried, at);
  result.rows.forEach((r, i) => {
    const row = rows[i]!;
    if (r.verdict === "uploaded") {
      outbox.delivered(row.id, 200, at, row.payload);
      state(i, "uploaded", null, at, r.requestId);
      return;
    }
    // As the outbox decides it (a redelivered copy is tried once too).
    const final = outbox.attemptFailed(row, r.status, r.error, at, r.verdict === "final") === "dead";
    state(i, final ? "failed" : "pending", r.error, at);
    console.warn(`conversions: ${platform} upload of call ${row.call_id} ${final ? "refused" : "will be retried"}`, r.error);
  });
}

/**
 * What to do when a platform refused the stored credentials or settings (`reason`, as the upload
 * recorded it): the conversions.auth_failed alert's remedies, and the hint of the connection check.
 */
export function authRemedies(platform: AdPlatform, reason: string, paused = true): string[] {
  const name = platform === "google_ads" ? "Google Ads" : "Microsoft Advertising";
  return [
    `Fix what ${name}'s answer names (credentials, or settings such as the manager account's loginCustomerId) with PATCH /v1/account/conversions${paused ? "; the paused uploads then go out" : ""}.`,
    // The developer token is no longer allowlisted: the way on is the Data Manager API.
    ...(platform === "google_ads" && reason.includes("notAllowlistedError")
      ? [
          'Or set googleAds.api to "data_manager" (Google\'s Data Manager API, no developer token) with a refresh token authorized for the https://www.googleapis.com/auth/datamanager scope.',
        ]
      : []),
  ];
}

/**
 * Ad uploads still waiting (paused for credentials, or retrying) for a call older than the
 * platforms' upload window are given up with the reason: no platform would take them, and their
 * payload (click id, caller number) is then pruned with the other finished rows. From the daily upkeep.
 */
export async function expireAdUploads(deps: Pick<AdDeliveryDeps, "outbox" | "setConversion">, now: number): Promise<number> {
  const reason = "not uploaded within 90 days of the call: the ad platforms take no conversion for a click that old";
  const rows = deps.outbox.giveUpAds(now - AD_UPLOAD_WINDOW_MS, reason, now);
  await Promise.all(
    rows.map((r) => {
      const u = JSON.parse(r.payload) as AdUpload;
      const platform = r.kind as AdPlatform;
      return deps.setConversion(r.call_id, u.at, { platform, status: "failed", clickIdType: u.clickIdType, orderId: u.orderId, reason, updatedAt: now });
    }),
  );
  return rows.length;
}
