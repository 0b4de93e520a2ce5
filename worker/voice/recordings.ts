/**
 * A call's recording, fetched from its provider with the account's credentials and handed on to an
 * API client (GET /v1/calls/{id}/recording). The URL a provider sends is not enough on its own:
 * Twilio asks for Basic auth on media, SignalWire and Plivo can; Vonage serves a recording only with
 * the application's JWT; Telnyx's is a presigned link valid 10 minutes, so a fresh one is asked of
 * its TeXML REST API.
 *
 * The stored URL must be on the provider's own hosts (or, for Telnyx and Plivo, the S3 their links
 * point at): an account's admin holds the keys that sign its callbacks, so the URL is theirs to
 * choose, and the worker is not a fetcher of anything they name. Credentials go only to the
 * provider's hosts. Redirects are followed here, at most MAX_REDIRECTS, each to a public https host
 * that resolves to public addresses (platform/outbound.ts), without the credentials off the provider's.
 */

import { signalwireHost } from "../numbers/signalwire";
import { checkOutboundUrl, resolvedRefusal } from "../platform/outbound";
import { fail, ok, type Result } from "../platform/result";
import type { ProviderCredentials } from "../schemas/providers";
import type { Provider } from "./providers/types";
import { vonageToken } from "./vonage-token";

const MAX_REDIRECTS = 3;
/** How long the provider has to start answering (the download itself may take longer). */
const ANSWER_TIMEOUT_MS = 15_000;

export type RecordingAuth = { basic: { user: string; password: string } } | { bearer: string };

/** Where a recording is and how to ask for it. */
export interface RecordingSource {
  provider: Provider;
  /** The recording's URL (Telnyx: the stored one, used when no fresh one can be had). */
  url: string;
  /** Sent to the provider's own hosts only. */
  auth: RecordingAuth | null;
  /** Telnyx: the TeXML recording resource whose `media_url` is a fresh link, and the API key for it. */
  refresh: { url: string; bearer: string } | null;
  /** SignalWire: the stored Space's host (its credentials go there only). */
  space: string | null;
}

/** The call as the proxy needs it. */
export interface RecordedCall {
  id: string;
  provider: Provider;
  recordingUrl: string | null;
  recordingRef: string | null;
}

/** Whether `host` is one of the provider's own (credentials may go there); `space`: SignalWire's, when stored. */
export function providerHost(provider: Provider, host: string, space?: string | null): boolean {
  const h = host.toLowerCase();
  switch (provider) {
    case "twilio":
      // api.twilio.com, and its regions' (api.dublin.ie1.twilio.com).
      return /^api(\.[a-z0-9-]+){0,2}\.twilio\.com$/.test(h);
    case "signalwire":
      return space ? h === space : /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.signalwire\.com$/.test(h);
    case "telnyx":
      return h === "api.telnyx.com";
    case "plivo":
      // media.plivo.com, and its regions' (aps1.media.plivo.com).
      return /^([a-z0-9-]+\.)?media\.plivo\.com$/.test(h) || h === "api.plivo.com";
    case "vonage":
      // api.nexmo.com, api-us.nexmo.com, api-us-3.vonage.com, api-eu-4.vonage.com …
      return /^api(-[a-z0-9-]+)?\.(nexmo|vonage)\.com$/.test(h);
    default:
      return false;
  }
}

/** Where a recording's stored URL may be: the provider's hosts, or the S3 that Telnyx's and Plivo's links point at. */
function recordingHost(provider: Provider, host: string): boolean {
  const h = host.toLowerCase();
  const s3 = h === "s3.amazonaws.com" || /^[a-z0-9.-]+\.s3[a-z0-9.-]*\.amazonaws\.com$/.test(h) || /^s3[a-z0-9.-]*\.amazonaws\.com$/.test(h);
  return providerHost(provider, h) || ((provider === "telnyx" || provider === "plivo") && s3);
}

const basic = (user: string | undefined, password: string | undefined): RecordingAuth | null => (user && password ? { basic: { user, password } } : null);

/** The id a URL's path names after `segment` (Twilio's /Accounts/AC…/, Plivo's /Account/MA…/). */
const pathId = (url: string, segment: string, id: RegExp): string | undefined => {
  const m = new RegExp(`/${segment}/([^/]+)/`).exec(new URL(url).pathname);
  return m?.[1] && id.test(m[1]) ? m[1] : undefined;
};

/**
 * How to fetch `call`'s recording with the provider's credentials (`creds`: null when none are
 * stored). 404 when the call has none; 409 when the provider cannot serve it without a credential
 * the account has not given (Vonage's application key).
 */
export async function recordingSource(
  call: RecordedCall,
  creds: Partial<ProviderCredentials[keyof ProviderCredentials]> | null,
  nowMs: number,
): Promise<Result<RecordingSource>> {
  const url = call.recordingUrl;
  if (!url) return fail(404, "recording_not_found", `Call ${call.id} has no recording`);
  const source = (auth: RecordingAuth | null, refresh: RecordingSource["refresh"] = null, space: string | null = null) =>
    ok({ provider: call.provider, url, auth, refresh, space });
  switch (call.provider) {
    case "twilio": {
      const c = (creds ?? {}) as Partial<ProviderCredentials["twilio"]>;
      // Twilio asks for Basic auth on media; the account's SID, or the one the URL names (the auth
      // token is that account's, or its parent's).
      return source(basic(c.accountSid ?? pathId(url, "Accounts", /^AC[0-9a-fA-F]{32}$/), c.authToken));
    }
    case "signalwire": {
      const c = (creds ?? {}) as Partial<ProviderCredentials["signalwire"]>;
      // Public unless the Space protects its media URLs; then the project's API credentials, to its Space only.
      return source(basic(c.projectId, c.apiToken), null, c.space ? signalwireHost(c.space) : null);
    }
    case "plivo": {
      const c = (creds ?? {}) as Partial<ProviderCredentials["plivo"]>;
      return source(basic(c.authId ?? pathId(url, "Account", /^[MS]A[A-Z0-9]{18}$/), c.authToken));
    }
    case "telnyx": {
      const c = (creds ?? {}) as Partial<ProviderCredentials["telnyx"]>;
      const [account, recording] = call.recordingRef?.split("/") ?? [];
      const refresh =
        c.apiKey && account && recording
          ? {
              url: `https://api.telnyx.com/v2/texml/Accounts/${encodeURIComponent(account)}/Recordings/${encodeURIComponent(recording)}.json`,
              bearer: c.apiKey,
            }
          : null;
      return source(null, refresh);
    }
    case "vonage": {
      const c = (creds ?? {}) as Partial<ProviderCredentials["vonage"]>;
      const token = c.privateKey && c.applicationId ? await vonageToken(c.privateKey, c.applicationId, nowMs) : null;
      if (!token)
        return fail(
          409,
          "recording_credentials_missing",
          "Vonage serves recordings only with a token signed by the application's private key: set credentials.vonage.privateKey and applicationId (PATCH /v1/account/voice)",
        );
      return source({ bearer: token });
    }
    default:
      // The reference API sends no recordings.
      return source(null);
  }
}

const authHeader = (auth: RecordingAuth): string => ("bearer" in auth ? `Bearer ${auth.bearer}` : `Basic ${btoa(`${auth.basic.user}:${auth.basic.password}`)}`);

/** A request with an answer deadline that does not cut the body off once the answer has begun. */
async function send(method: "GET" | "HEAD", url: string, headers: Headers): Promise<Response | Error> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`no answer in ${ANSWER_TIMEOUT_MS / 1000} s`)), ANSWER_TIMEOUT_MS);
  try {
    return await fetch(url, { method, headers, redirect: "manual", signal: ac.signal });
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  } finally {
    clearTimeout(timer);
  }
}

const unavailable = (provider: Provider, why: string) => fail(502, "recording_unavailable", `${provider} did not give the recording: ${why}`);

/**
 * `method` `url`, following redirects to public https hosts; `auth` goes only to the provider's hosts,
 * and any other host must resolve to public addresses. The answer is the provider's (any status),
 * or why none could be had.
 */
async function follow(
  source: Pick<RecordingSource, "provider" | "space">,
  method: "GET" | "HEAD",
  first: string,
  auth: RecordingAuth | null,
  extra: Record<string, string>,
): Promise<Result<Response>> {
  const { provider } = source;
  let url = first;
  for (let redirects = 0; ; redirects++) {
    const checked = checkOutboundUrl(url);
    if (!checked.ok) return unavailable(provider, `its link ${checked.reason}`);
    const own = providerHost(provider, checked.url.hostname);
    if (!own) {
      const refused = await resolvedRefusal(checked.url);
      if (refused) return unavailable(provider, refused.reason);
    }
    const headers = new Headers(extra);
    if (auth && own && providerHost(provider, checked.url.hostname, source.space)) headers.set("Authorization", authHeader(auth));
    const res = await send(method, checked.url.href, headers);
    if (res instanceof Error) return unavailable(provider, res.message);
    const location = res.headers.get("Location");
    if (res.status < 300 || res.status >= 400 || !location) return ok(res);
    await res.body?.cancel();
    if (redirects === MAX_REDIRECTS) return unavailable(provider, `more than ${MAX_REDIRECTS} redirects`);
    try {
      url = new URL(location, checked.url).href;
    } catch {
      return unavailable(provider, "a redirect to no URL");
    }
  }
}

/** A fresh link from Telnyx's TeXML recording resource; null when Telnyx gives none (the stored one is tried). */
async function freshTelnyxLink(refresh: NonNullable<RecordingSource["refresh"]>): Promise<Result<string | null>> {
  const r = await follow({ provider: "telnyx", space: null }, "GET", refresh.url, { bearer: refresh.bearer }, { Accept: "application/json" });
  if (!r.ok) return r;
  const res = r.value;
  if (res.status === 404) {
    await res.body?.cancel();
    return fail(404, "recording_gone", "Telnyx no longer has this recording (deleted, or past its retention)");
  }
  if (!res.ok) {
    await res.body?.cancel();
    return res.status === 401 || res.status === 403
      ? unavailable("telnyx", `its API refused credentials.telnyx.apiKey (HTTP ${res.status})`)
      : unavailable("telnyx", `its API answered HTTP ${res.status}`);
  }
  const body = (await res.json().catch(() => null)) as { media_url?: unknown } | null;
  return ok(typeof body?.media_url === "string" ? body.media_url : null);
}

/** Content types a recording comes as (S3 serves some as octet-stream). */
const AUDIO = /^(audio\/[\w.+-]+|application\/octet-stream|binary\/octet-stream)\s*(;.*)?$/i;

/** A byte range as a media player asks for it (`bytes=0-`, `bytes=100-199`, `bytes=-500`), passed on to the provider. */
const RANGE = /^bytes=(\d+-\d*|-\d+)(,\s*(\d+-\d*|-\d+))*$/;

const jsonError = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ error: { code, message } }), { status, headers: { "Content-Type": "application/json", ...headers } });

/**
 * The recording's audio as the provider serves it (200, or 206 for a `range`; HEAD: its headers),
 * with the headers a player needs and nothing of the provider's else; or why it could not be had:
 * 404 when the provider no longer has it, 416 for a range past its end, 502 when it refused or failed.
 */
export async function fetchRecording(
  source: RecordingSource,
  callId: string,
  range: string | undefined,
  method: "GET" | "HEAD" = "GET",
): Promise<Result<Response>> {
  const { provider } = source;
  if (!recordingHost(provider, new URL(source.url).hostname))
    return unavailable(provider, `its recording URL is not at a ${provider} host (${new URL(source.url).hostname})`);
  let url = source.url;
  let refreshFailed: Result<never> | null = null;
  if (source.refresh) {
    const fresh = await freshTelnyxLink(source.refresh);
    // Telnyx's API failing: the stored link may still be within its 10 minutes.
    if (!fresh.ok && fresh.error.status !== 404) refreshFailed = fresh;
    else if (!fresh.ok) return fresh;
    else if (fresh.value && recordingHost(provider, new URL(fresh.value).hostname)) url = fresh.value;
  }
  // The bytes as stored: a compressed answer's length and ranges would not be the audio's.
  const extra: Record<string, string> = { "Accept-Encoding": "identity" };
  if (range && range.length <= 200 && RANGE.test(range)) extra.Range = range;
  const r = await follow(source, method, url, source.auth, extra);
  if (!r.ok) return refreshFailed ?? r;
  const res = r.value;
  if (res.status === 404 || res.status === 410) {
    await res.body?.cancel();
    return fail(404, "recording_gone", `${provider} no longer has this recording (deleted, or past its retention)`);
  }
  if (res.status === 416) {
    await res.body?.cancel();
    const size = res.headers.get("Content-Range");
    return ok(jsonError(416, "range_not_satisfiable", `The range ${extra.Range ?? ""} is past the recording's end`, size ? { "Content-Range": size } : {}));
  }
  if (res.status !== 200 && res.status !== 206) {
    await res.body?.cancel();
    if (refreshFailed) return refreshFailed;
    const hint =
      res.status === 401 || res.status === 403
        ? provider === "telnyx" && !source.refresh
          ? ": its link lasts 10 minutes; with credentials.telnyx.apiKey a fresh one is asked for"
          : ": check the credentials stored for it (PATCH /v1/account/voice)"
        : "";
    return unavailable(provider, `HTTP ${res.status}${hint}`);
  }
  const type = res.headers.get("Content-Type") ?? "application/octet-stream";
  if (!AUDIO.test(type)) {
    await res.body?.cancel();
    return unavailable(provider, `it answered ${type.split(";")[0]}, not audio`);
  }
  const headers = new Headers({
    "Content-Type": type,
    "Cache-Control": "private, no-store",
    "Content-Disposition": `inline; filename="recording-${callId.replace(/[^\w.-]/g, "_")}${extensionOf(type)}"`,
    "X-Content-Type-Options": "nosniff",
  });
  // A compressed answer all the same (the identity asked for was not given): its lengths are not the audio's.
  const encoded = (res.headers.get("Content-Encoding") ?? "identity").toLowerCase() !== "identity";
  for (const h of encoded ? ["Accept-Ranges"] : ["Content-Length", "Content-Range", "Accept-Ranges"]) {
    const v = res.headers.get(h);
    if (v) headers.set(h, v);
  }
  if (method === "HEAD") await res.body?.cancel();
  return ok(new Response(method === "HEAD" ? null : res.body, { status: res.status, headers }));
}

function extensionOf(type: string): string {
  const t = type.toLowerCase();
  if (t.includes("mpeg") || t.includes("mp3")) return ".mp3";
  if (t.includes("wav")) return ".wav";
  if (t.includes("ogg")) return ".ogg";
  return "";
}
