/**
 * Uploading calls to ad platforms, the network side: with an OAuth access token (ad-tokens.ts),
 * Google's Data Manager API events:ingest (fast-fail) or the Google Ads API's UploadClickConversions
 * with partialFailure, as the setting's `api` says, and Microsoft Advertising ApplyOfflineConversions
 * (its REST API: SOAP is deprecated on 31 January 2027), and a verdict per row: uploaded, retry, or
 * final with its reason. Hand-written over fetch: the platforms' SDKs (Google's gRPC clients,
 * Microsoft's for .NET, Java, PHP and Python) do not run on Workers. The endpoints and requests
 * as sent: ad-requests.ts.
 */
import { type Answer, all, googleAnswer, microsoftAnswer, type RowResult } from "../domain/ad-answers";
import { type AdUpload, googleClickConversion, microsoftOfflineConversion } from "../domain/conversions";
import { dataManagerRequest } from "../domain/data-manager";
import { dataManagerAnswer, dataManagerStatus, type RequestStatusAnswer } from "../domain/data-manager-answers";
import type { AdPlatform } from "../schemas/conversions";
import {
  DATA_MANAGER_STATUS_URL,
  dataManagerIngest,
  googleAdsUpload,
  MICROSOFT_APPLY_URL,
  MICROSOFT_GOALS_URL,
  microsoftHeaders,
  type Sent,
  send,
} from "./ad-requests";
import { AdTokens } from "./ad-tokens";
import type { AdCredentials, GoogleAdsConfig, MicrosoftAdsConfig } from "./conversion-settings";

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
/** Asked right before an upload's request starts: false withdraws it (ad-delivery.ts). */
type Wanted = () => boolean;
/**
 * A batch's request (`call`, with the access token), how its answer is read, its row count (`n`),
 * and `fresh`: refresh the access token first, even when one is cached (the connection check).
 */
type Batch = { call: (token: string) => Promise<Sent>; read: (r: Sent) => Answer; n: number; fresh?: boolean };

export class AdUploader {
  /** Access tokens, in the object's memory only. */
  private readonly tokens = new AdTokens();

  /**
   * An upload's (or a check's) batch through withToken: a refresh token refused stops the platform
   * (authFailed). `wanted` (an upload of calls): asked right before each request, after the token's
   * await (a Durable Object takes other requests in meanwhile, an erasure among them); false
   * withdraws it.
   */
  private authorized(accountId: string, platform: AdPlatform, c: AdCredentials, batch: Batch): Promise<BatchResult>;
  private authorized(accountId: string, platform: AdPlatform, c: AdCredentials, batch: Batch, wanted: Wanted): Promise<BatchResult | Withdrawn>;
  private async authorized(
    accountId: string,
    platform: AdPlatform,
    c: AdCredentials,
    { call, read, n, fresh = false }: Batch,
    wanted?: Wanted,
  ): Promise<BatchResult | Withdrawn> {
    const { answer, refreshToken } = await this.tokens.withToken<BatchResult | Withdrawn>(
      accountId,
      platform,
      c,
      // Asked synchronously before the request starts: nothing can change in between.
      async (token) => (wanted && !wanted() ? { withdrawn: true } : read(await call(token))),
      (failure) =>
        failure === null
          ? { authFailed: `the access token was refused again after a refresh (${platform})` }
          : failure.revoked
            ? { authFailed: failure.error }
            : { rows: all(n, { verdict: "retry", status: null, error: failure.error }) },
      fresh,
    );
    return refreshToken ? { ...answer, refreshToken } : answer;
  }

  /** Google, through the API the setting names (the Data Manager API unless google_ads_api). */
  google(accountId: string, cfg: GoogleAdsConfig, c: AdCredentials, uploads: AdUpload[], wanted: Wanted): Promise<BatchResult | Withdrawn> {
    return cfg.api === "google_ads_api" ? this.googleAds(accountId, cfg, c, uploads, wanted) : this.dataManager(accountId, cfg, c, uploads, wanted);
  }

  /**
   * The Data Manager API's events:ingest: one request for the batch (the alarm sends at most 25,
   * far under its 2000 events), no developer token, the accounts in the body's destination. Fast-fail:
   * the answer refuses the request whole, each row's verdict from what it names.
   */
  private async dataManager(accountId: string, cfg: GoogleAdsConfig, c: AdCredentials, uploads: AdUpload[], wanted: Wanted): Promise<BatchResult | Withdrawn> {
    const body = JSON.stringify(await dataManagerRequest(uploads, cfg));
    return this.authorized(
      accountId,
      "google_ads",
      c,
      { call: (token) => send(dataManagerIngest(token, body)), read: (r) => dataManagerAnswer(r.status, r.json, uploads.length, r.error), n: uploads.length },
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
    const { answer } = await this.tokens.withToken<Exclude<RequestStatusAnswer, { reauth: true }>>(
      accountId,
      "google_ads",
      c,
      async (token) => {
        const r = await send(new Request(url, { method: "GET", headers: { Authorization: `Bearer ${token}` } }));
        return dataManagerStatus(r.status, r.json, r.error);
      },
      (failure) => ({ state: "later", error: failure?.error ?? "the access token was refused again after a refresh" }),
    );
    return answer;
  }

  /** Google Ads UploadClickConversions, partialFailure on: each row's verdict from its own error. */
  private async googleAds(accountId: string, cfg: GoogleAdsConfig, c: AdCredentials, uploads: AdUpload[], wanted: Wanted): Promise<BatchResult | Withdrawn> {
    const developerToken = c.developerToken;
    if (!developerToken) return { authFailed: NO_DEVELOPER_TOKEN };
    const conversions = await Promise.all(uploads.map((u) => googleClickConversion(u, cfg)));
    const body = JSON.stringify({ conversions, partialFailure: true });
    return this.authorized(
      accountId,
      "google_ads",
      c,
      {
        call: (token) => send(googleAdsUpload(cfg, token, developerToken, body)),
        read: (r) => googleAnswer(r.status, r.json, uploads.length, r.error),
        n: uploads.length,
      },
      wanted,
    );
  }

  /** Microsoft Advertising ApplyOfflineConversions: PartialErrors name the refused rows by Index. */
  async microsoft(accountId: string, cfg: MicrosoftAdsConfig, c: AdCredentials, uploads: AdUpload[], wanted: Wanted): Promise<BatchResult | Withdrawn> {
    const body = JSON.stringify({ OfflineConversions: await Promise.all(uploads.map((u) => microsoftOfflineConversion(u, cfg))) });
    return this.authorized(
      accountId,
      "microsoft_ads",
      c,
      {
        call: (token) => send(new Request(MICROSOFT_APPLY_URL, { method: "POST", headers: microsoftHeaders(cfg, c, token), body })),
        read: (r) => microsoftAnswer(r.status, r.json, uploads.length, r.error),
        n: uploads.length,
      },
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
      const result = await this.authorized(accountId, "google_ads", c, {
        call: (token) => send(googleAdsUpload(cfg, token, developerToken, body)),
        read: keep((r) => googleAnswer(r.status, r.json, 1, r.error)),
        n: 1,
        fresh: true,
      });
      return { result, sent: sent.last };
    }
    const body = JSON.stringify({ ...(await dataManagerRequest([upload], cfg)), validateOnly: true });
    const result = await this.authorized(accountId, "google_ads", c, {
      call: (token) => send(dataManagerIngest(token, body)),
      read: keep((r) => dataManagerAnswer(r.status, r.json, 1, r.error)),
      n: 1,
      fresh: true,
    });
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
    const result = await this.authorized(accountId, "microsoft_ads", c, {
      call: (token) => send(new Request(MICROSOFT_GOALS_URL, { method: "POST", headers: microsoftHeaders(cfg, c, token), body })),
      read: (r) => {
        sent.last = r;
        return microsoftAnswer(r.status, r.json, 1, r.error);
      },
      n: 1,
      fresh: true,
    });
    return { result, sent: sent.last };
  }
}

/** A check's answer: as an upload would read it, and as received (null: nothing was sent, the token failed). */
export interface CheckSent {
  result: BatchResult;
  sent: Sent | null;
}

const NO_DEVELOPER_TOKEN = "no developer token is stored: the Google Ads API needs one (or use api data_manager)";
