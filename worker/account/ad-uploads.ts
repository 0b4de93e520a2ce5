/**
 * Uploading calls to ad platforms, the network side: OAuth access tokens (refreshed from the stored
 * refresh token, cached in the object until shortly before they expire, never logged), Google's Data
 * Manager API events:ingest (fast-fail) or the Google Ads API's UploadClickConversions with
 * partialFailure, as the setting's `api` says, and Microsoft Advertising ApplyOfflineConversions
 * (its REST API: SOAP is deprecated on 31 January 2027), and a verdict per row: uploaded, retry, or
 * final with its reason. Hand-written over fetch: the platforms' SDKs (Google's gRPC clients,
 * Microsoft's for .NET, Java, PHP and Python) do not run on Workers.
 */
import { type Answer, all, googleAnswer, microsoftAnswer, type RowResult } from "../domain/ad-answers";
import { type AdUpload, googleClickConversion, microsoftOfflineConversion } from "../domain/conversions";
import { dataManagerRequest } from "../domain/data-manager";
import { dataManagerAnswer, dataManagerStatus, type RequestStatusAnswer } from "../domain/data-manager-answers";
import type { AdPlatform } from "../schemas/conversions";
import type { AdCredentials, GoogleAdsConfig, MicrosoftAdsConfig } from "./conversion-settings";

/**
 * The Google Ads API version. Each major version is served about a year after its release, then
 * sunset (every request to it fails): v26, released October 2026 and the latest the reference shows,
 * is projected to be sunset in November 2027. Move to a newer one before then (Google's sunset-dates
 * page), checking its release notes for changes to ClickConversion and GoogleAdsFailure.
 */
export const GOOGLE_ADS_API_VERSION = "v26";
export const GOOGLE_ADS_API = `https://googleads.googleapis.com/${GOOGLE_ADS_API_VERSION}`;
export const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";
/** Google's Data Manager API (v1): takes offline click conversions without a developer token. */
export const DATA_MANAGER_INGEST_URL = "https://datamanager.googleapis.com/v1/events:ingest";
/** Its diagnostics for a request it took: `GET …?requestId=<id>`, with the same credentials and nothing else. */
export const DATA_MANAGER_STATUS_URL = "https://datamanager.googleapis.com/v1/requestStatus:retrieve";
export const MICROSOFT_APPLY_URL = "https://campaign.api.bingads.microsoft.com/CampaignManagement/v13/OfflineConversions/Apply";
/** GetConversionGoalsByIds (REST): the connection check's read of the offline conversion goals. */
export const MICROSOFT_GOALS_URL = "https://campaign.api.bingads.microsoft.com/CampaignManagement/v13/ConversionGoals/QueryByIds";
export const MICROSOFT_TOKEN_URL = "https://login.microsoftonline.com/common/oauth2/v2.0/token";
const MICROSOFT_SCOPE = "https://ads.microsoft.com/msads.manage offline_access";
const TIMEOUT_MS = 15_000;
/** Refresh a cached token this long before it expires. */
const EARLY_MS = 120_000;

export type { RowResult } from "../domain/ad-answers";
/**
 * Per row (same order as given), or the platform's credentials no longer work (stop, alert); with
 * the refresh token the platform gave in place of the one used, to store (rotation).
 */
export type BatchResult = ({ rows: RowResult[] } | { authFailed: string }) & { refreshToken?: string };
/**
 * An upload not sent: its `wanted` said no right before the request (a row of it erased or changed
 * meanwhile); with the refresh token the platform gave, if it rotated one on the way.
 */
export type Withdrawn = { withdrawn: true; refreshToken?: string };
type Call = (token: string) => Promise<Sent>;
type Read = (r: Sent) => Answer;

type Token = { ok: true; token: string; refreshToken?: string } | { ok: false; revoked: boolean; error: string };
/** A platform's answer as received: its status (null: none), its JSON body, the transport's error. */
export type Sent = { status: number | null; json: unknown; error: string | null };

async function send(req: Request): Promise<Sent> {
  try {
    const res = await fetch(req, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    const text = await res.text().catch(() => "");
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: res.status, json, error: res.ok ? null : `HTTP ${res.status}` };
  } catch (err) {
    return { status: null, json: null, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

/** An access token's cache key: the account, platform, client and refresh token it was made from. */
const tokenKey = (accountId: string, platform: AdPlatform, c: AdCredentials) => `${accountId}/${platform}/${c.clientId}/${c.refreshToken.slice(-8)}`;

export class AdUploader {
  /** Access tokens by platform and account, in the object's memory only. */
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();

  private async token(accountId: string, platform: AdPlatform, c: AdCredentials, refresh: boolean): Promise<Token> {
    const key = tokenKey(accountId, platform, c);
    const cached = this.tokens.get(key);
    if (!refresh && cached && cached.expiresAt - EARLY_MS > Date.now()) return { ok: true, token: cached.token };
    this.tokens.delete(key);
    const form = new URLSearchParams({ grant_type: "refresh_token", client_id: c.clientId, refresh_token: c.refreshToken });
    if (c.clientSecret) form.set("client_secret", c.clientSecret);
    if (platform === "microsoft_ads") form.set("scope", MICROSOFT_SCOPE);
    const url = platform === "google_ads" ? GOOGLE_TOKEN_URL : MICROSOFT_TOKEN_URL;
    const r = await send(new Request(url, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: form }));
    const body = (r.json ?? {}) as { access_token?: unknown; expires_in?: unknown; refresh_token?: unknown; error?: unknown; error_description?: unknown };
    if (r.status === 200 && typeof body.access_token === "string") {
      const ttl = typeof body.expires_in === "number" ? body.expires_in : 3600;
      const cache = { token: body.access_token, expiresAt: Date.now() + ttl * 1000 };
      this.tokens.set(key, cache);
      // Microsoft's identity platform replaces the refresh token at every use (RFC 6749 §6: the
      // client must keep the new one; the old one expires 90 days after it was issued).
      const next = body.refresh_token;
      if (typeof next !== "string" || !next || next === c.refreshToken) return { ok: true, token: body.access_token };
      // The next run reads the stored (rotated) token: the access token is cached under it too.
      this.tokens.set(tokenKey(accountId, platform, { ...c, refreshToken: next }), cache);
      return { ok: true, token: body.access_token, refreshToken: next };
    }
    // invalid_grant: the refresh token was revoked or expired; invalid_client: the client is wrong. Neither heals by retrying.
    const code = typeof body.error === "string" ? body.error : null;
    const revoked = code === "invalid_grant" || code === "invalid_client" || code === "unauthorized_client";
    return { ok: false, revoked, error: `token refresh failed: ${code ?? r.error ?? "no answer"}` };
  }

  /**
   * Send with an access token and read the answer; when the platform refuses the access token
   * (401, or Microsoft's InvalidCredentials / AuthenticationTokenExpired), refresh it once and
   * send once more. A refresh token the platform refuses stops the platform (authFailed).
   * `fresh`: refresh the access token first, even when one is cached (the connection check).
   * `wanted` (an upload of calls): asked right before each request, after the token's await (a
   * Durable Object takes other requests in meanwhile, an erasure among them); false withdraws it.
   */
  private authorized(accountId: string, platform: AdPlatform, c: AdCredentials, call: Call, read: Read, n: number, fresh?: boolean): Promise<BatchResult>;
  private authorized(
    accountId: string,
    platform: AdPlatform,
    c: AdCredentials,
    call: Call,
    read: Read,
    n: number,
    fresh: boolean,
    wanted: () => boolean,
  ): Promise<BatchResult | Withdrawn>;
  private async authorized(
    accountId: string,
    platform: AdPlatform,
    c: AdCredentials,
    call: Call,
    read: Read,
    n: number,
    fresh = false,
    wanted?: () => boolean,
  ): Promise<BatchResult | Withdrawn> {
    let creds = c;
    let t = await this.token(accountId, platform, creds, fresh);
    let refreshToken: string | undefined;
    const rotated = <R extends BatchResult | Withdrawn>(r: R): R => (refreshToken ? { ...r, refreshToken } : r);
    for (let tries = 0; ; tries++) {
      if (!t.ok) {
        const error = t.error;
        return rotated(t.revoked ? { authFailed: error } : { rows: all(n, { verdict: "retry", status: null, error }) });
      }
      refreshToken = t.refreshToken ?? refreshToken;
      // Refreshed again (the access token was refused), from the rotated token when there is one.
      if (t.refreshToken) creds = { ...creds, refreshToken: t.refreshToken };
      if (wanted && !wanted()) return rotated({ withdrawn: true });
      const answer = read(await call(t.token));
      if (!("reauth" in answer)) return rotated(answer);
      if (tries === 1) return rotated({ authFailed: `the access token was refused again after a refresh (${platform})` });
      t = await this.token(accountId, platform, creds, true);
    }
  }

  /** Google, through the API the setting names (the Data Manager API unless google_ads_api). */
  google(accountId: string, cfg: GoogleAdsConfig, c: AdCredentials, uploads: AdUpload[], wanted: () => boolean): Promise<BatchResult | Withdrawn> {
    return cfg.api === "google_ads_api" ? this.googleAds(accountId, cfg, c, uploads, wanted) : this.dataManager(accountId, cfg, c, uploads, wanted);
  }

  /**
   * The Data Manager API's events:ingest: one request for the batch (the alarm sends at most 25,
   * far under its 2000 events), no developer token, the accounts in the body's destination. Fast-fail:
   * the answer refuses the request whole, each row's verdict from what it names.
   */
  private async dataManager(
    accountId: string,
    cfg: GoogleAdsConfig,
    c: AdCredentials,
    uploads: AdUpload[],
    wanted: () => boolean,
  ): Promise<BatchResult | Withdrawn> {
    const body = JSON.stringify(await dataManagerRequest(uploads, cfg));
    return this.authorized(
      accountId,
      "google_ads",
      c,
      (token) => send(dataManagerIngest(token, body)),
      (r) => dataManagerAnswer(r.status, r.json, uploads.length, r.error),
      uploads.length,
      false,
      wanted,
    );
  }

  /**
   * The Data Manager API's diagnostics for a request it took (requestStatus:retrieve): the access
   * token only, no body; a refused access token is refreshed once. A token that cannot be had is
   * `later` (the uploads, not this check, stop the platform for it).
   */
  async requestStatus(accountId: string, c: AdCredentials, requestId: string): Promise<RequestStatusAnswer> {
    const url = `${DATA_MANAGER_STATUS_URL}?${new URLSearchParams({ requestId })}`;
    for (let tries = 0; tries < 2; tries++) {
      const t = await this.token(accountId, "google_ads", c, tries > 0);
      if (!t.ok) return { state: "later", error: t.error };
      const r = await send(new Request(url, { method: "GET", headers: { Authorization: `Bearer ${t.token}` } }));
      const answer = dataManagerStatus(r.status, r.json, r.error);
      if (!("reauth" in answer)) return answer;
    }
    return { state: "later", error: "the access token was refused again after a refresh" };
  }

  /** Google Ads UploadClickConversions, partialFailure on: each row's verdict from its own error. */
  private async googleAds(
    accountId: string,
    cfg: GoogleAdsConfig,
    c: AdCredentials,
    uploads: AdUpload[],
    wanted: () => boolean,
  ): Promise<BatchResult | Withdrawn> {
    const developerToken = c.developerToken;
    if (!developerToken) return { authFailed: NO_DEVELOPER_TOKEN };
    const conversions = await Promise.all(uploads.map((u) => googleClickConversion(u, cfg)));
    const body = JSON.stringify({ conversions, partialFailure: true });
    return this.authorized(
      accountId,
      "google_ads",
      c,
      (token) => send(googleAdsUpload(cfg, token, developerToken, body)),
      (r) => googleAnswer(r.status, r.json, uploads.length, r.error),
      uploads.length,
      false,
      wanted,
    );
  }

  /** Microsoft Advertising ApplyOfflineConversions: PartialErrors name the refused rows by Index. */
  async microsoft(accountId: string, cfg: MicrosoftAdsConfig, c: AdCredentials, uploads: AdUpload[], wanted: () => boolean): Promise<BatchResult | Withdrawn> {
    const body = JSON.stringify({ OfflineConversions: await Promise.all(uploads.map((u) => microsoftOfflineConversion(u, cfg))) });
    return this.authorized(
      accountId,
      "microsoft_ads",
      c,
      (token) => send(new Request(MICROSOFT_APPLY_URL, { method: "POST", headers: microsoftHeaders(cfg, c, token), body })),
      (r) => microsoftAnswer(r.status, r.json, uploads.length, r.error),
      uploads.length,
      false,
      wanted,
    );
  }

  // ---- The connection check (POST /v1/account/conversions/check): nothing is recorded ----

  /**
   * Google, as the setting's API takes a call, with one synthetic upload and validateOnly (the
   * request validated, not executed): the access token refreshed first (a cached one would not
   * show a revoked refresh token), then events:ingest or UploadClickConversions (partialFailure, as
   * the uploads send it). The answer read as an upload's would be, and as received.
   */
  async checkGoogle(accountId: string, cfg: GoogleAdsConfig, c: AdCredentials, upload: AdUpload): Promise<CheckSent> {
    const sent: { last: Sent | null } = { last: null };
    const keep = (read: (r: Sent) => Answer) => (r: Sent) => {
      sent.last = r;
      return read(r);
    };
    if (cfg.api === "google_ads_api") {
      const developerToken = c.developerToken;
      if (!developerToken) return { result: { authFailed: NO_DEVELOPER_TOKEN }, sent: null };
      const body = JSON.stringify({ conversions: [await googleClickConversion(upload, cfg)], partialFailure: true, validateOnly: true });
      const result = await this.authorized(
        accountId,
        "google_ads",
        c,
        (token) => send(googleAdsUpload(cfg, token, developerToken, body)),
        keep((r) => googleAnswer(r.status, r.json, 1, r.error)),
        1,
        true,
      );
      return { result, sent: sent.last };
    }
    const body = JSON.stringify({ ...(await dataManagerRequest([upload], cfg)), validateOnly: true });
    const result = await this.authorized(
      accountId,
      "google_ads",
      c,
      (token) => send(dataManagerIngest(token, body)),
      keep((r) => dataManagerAnswer(r.status, r.json, 1, r.error)),
      1,
      true,
    );
    return { result, sent: sent.last };
  }

  /**
   * Microsoft: the Bing Ads API has no validating upload, so the check reads instead: the access
   * token refreshed first, then GetConversionGoalsByIds for the account's offline conversion goals
   * (no ids: all of them), with the headers an upload sends (developer token, customer, account).
   */
  async checkMicrosoft(accountId: string, cfg: MicrosoftAdsConfig, c: AdCredentials): Promise<CheckSent> {
    const sent: { last: Sent | null } = { last: null };
    const body = JSON.stringify({ ConversionGoalIds: null, ConversionGoalTypes: "OfflineConversion" });
    const result = await this.authorized(
      accountId,
      "microsoft_ads",
      c,
      (token) => send(new Request(MICROSOFT_GOALS_URL, { method: "POST", headers: microsoftHeaders(cfg, c, token), body })),
      (r) => {
        sent.last = r;
        return microsoftAnswer(r.status, r.json, 1, r.error);
      },
      1,
      true,
    );
    return { result, sent: sent.last };
  }
}

/** A check's answer: as an upload would read it, and as received (null: nothing was sent, the token failed). */
export interface CheckSent {
  result: BatchResult;
  sent: Sent | null;
}

const NO_DEVELOPER_TOKEN = "no developer token is stored: the Google Ads API needs one (or use api data_manager)";

/** The Data Manager API's events:ingest: the access token only, the accounts in the body. */
const dataManagerIngest = (token: string, body: string) =>
  new Request(DATA_MANAGER_INGEST_URL, { method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` }, body });

/** The Google Ads API's UploadClickConversions for the setting's customer, through its manager when set. */
const googleAdsUpload = (cfg: GoogleAdsConfig, token: string, developerToken: string, body: string) =>
  new Request(`${GOOGLE_ADS_API}/customers/${cfg.customerId}:uploadClickConversions`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Authorization: `Bearer ${token}`,
      "developer-token": developerToken,
      ...(cfg.loginCustomerId ? { "login-customer-id": cfg.loginCustomerId } : {}),
    },
    body,
  });

/** Microsoft Advertising's REST headers: the access token, developer token, customer and ad account. */
const microsoftHeaders = (cfg: MicrosoftAdsConfig, c: AdCredentials, token: string) => ({
  "Content-Type": "application/json",
  Authorization: `Bearer ${token}`,
  DeveloperToken: c.developerToken ?? "",
  CustomerId: cfg.customerId,
  CustomerAccountId: cfg.accountId,
});
