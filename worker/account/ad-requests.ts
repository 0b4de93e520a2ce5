/**
 * The ad platforms' endpoints and requests as sent (worker/account/ad-uploads.ts sends them): the
 * OAuth token endpoints, Google's Data Manager API and Google Ads API, Microsoft Advertising's REST
 * API, each request's headers, and how a request is sent and its answer read.
 */
import type { AdCredentials, GoogleAdsConfig, MicrosoftAdsConfig } from "./conversion-settings";

const TIMEOUT_MS = 15_000;

/** A platform's answer as received: its status (null: none), its JSON body, the transport's error. */
export type Sent = { status: number | null; json: unknown; error: string | null };

export async function send(req: Request): Promise<Sent> {
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
export const MICROSOFT_SCOPE = "https://ads.microsoft.com/msads.manage offline_access";
export const MICROSOFT_TOKEN_URL = "https://login.microsoftonline.com/common/oauth2/v2.0/token";

/** The Data Manager API's events:ingest: the access token only, the accounts in the body. */
export const dataManagerIngest = (token: string, body: string) =>
  new Request(DATA_MANAGER_INGEST_URL, { method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` }, body });

/** The Google Ads API's UploadClickConversions for the setting's customer, through its manager when set. */
export const googleAdsUpload = (cfg: GoogleAdsConfig, token: string, developerToken: string, body: string) =>
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
export const microsoftHeaders = (cfg: MicrosoftAdsConfig, c: AdCredentials, token: string) => ({
  "Content-Type": "application/json",
  Authorization: `Bearer ${token}`,
  DeveloperToken: c.developerToken ?? "",
  CustomerId: cfg.customerId,
  CustomerAccountId: cfg.accountId,
});
