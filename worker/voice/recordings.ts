/**
 * A call's recording, fetched from its provider with the account's credentials and handed on to an
 * API client (GET /v1/calls/{id}/recording). The URL a provider sends is not enough on its own:
 * Twilio asks for Basic auth on media, SignalWire and Plivo can; Vonage serves a recording only with
 * the application's JWT; Telnyx's is a presigned link valid 10 minutes, so a fresh one is asked of
 * its TeXML REST API.
 *
 * Credentials go only to the provider's own hosts (the URL came in a signed callback, but a link it
 * redirects to is someone else's: S3, a CDN). Redirects are followed here, at most MAX_HOPS, each to
 * a public https host, and a hop off the provider's hosts drops the credentials.
 */
import { checkOutboundUrl } from "../platform/outbound";
import { fail, ok, type Result } from "../platform/result";
import type { ProviderCredentials } from "../schemas/providers";
import type { Provider } from "./providers/types";
import { vonageToken } from "./vonage-token";

const MAX_HOPS = 3;
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
}

/** The call as the proxy needs it. */
export interface RecordedCall {
  id: string;
  provider: Provider;
  recordingUrl: string | null;
  recordingRef: string | null;
}

/** Whether `host` is one of the provider's own (credentials may go there). */
export function providerHost(provider: Provider, host: string): boolean {
  const h = host.toLowerCase();
  const under = (domain: string) => h === domain || h.endsWith(`.${domain}`);
  switch (provider) {
    case "twilio":
      return h === "api.twilio.com";
    case "signalwire":
      return h.endsWith(".signalwire.com");
    case "telnyx":
      return h === "api.telnyx.com";
    case "plivo":
      return under("plivo.com");
    case "vonage":
      return under("nexmo.com") || under("vonage.com");
    default:
      return false;
  }
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
  const source = (auth: RecordingAuth | null, refresh: RecordingSource["refresh"] = null) => ok({ provider: call.provider, url, auth, refresh });
  switch (call.provider) {
    case "twilio": {
      const c = (creds ?? {}) as Partial<ProviderCredentials["twilio"]>;
      // Twilio asks for Basic auth on media; the account's SID, or the one the URL names (the auth
      // token is that account's, or its parent's).
      return source(basic(c.accountSid ?? pathId(url, "Accounts", /^AC[0-9a-fA-F]{32}$/), c.authToken));
    }
    case "signalwire": {
      const c = (creds ?? {}) as Partial<ProviderCredentials["signalwire"]>;
      // Public unless the Space protects its media URLs; then the project's API credentials.
      return source(basic(c.projectId, c.apiToken));
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

/** A GET with an answer deadline that does not cut the body off once the answer has begun. */
async function get(url: string, headers: Headers): Promise<Response | Error> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`no answer in ${ANSWER_TIMEOUT_MS / 1000} s`)), ANSWER_TIMEOUT_MS);
  try {
    return await fetch(url, { headers, redirect: "manual", signal: ac.signal });
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  } finally {
    clearTimeout(timer);
  }
}

const unavailable = (provider: Provider, why: string) => fail(502, "recording_unavailable", `${provider} did not give the recording: ${why}`);

/**
 * GET `url`, following redirects to public https hosts; `auth` goes only to the provider's hosts.
 * The answer is the provider's (any status), or why none could be had.
 */
async function follow(provider: Provider, first: string, auth: RecordingAuth | null, extra: Record<string, string>): Promise<Result<Response>> {
  let url = first;
  for (let hop = 0; ; hop++) {
    const checked = checkOutboundUrl(url);
    if (!checked.ok) return unavailable(provider, `its link ${checked.reason}`);
    const headers = new Headers(extra);
    if (auth && providerHost(provider, checked.url.hostname)) headers.set("Authorization", authHeader(auth));
    const res = await get(checked.url.href, headers);
    if (res instanceof Error) return unavailable(provider, res.message);
    const location = res.headers.get("Location");
    if (res.status < 300 || res.status >= 400 || !location) return ok(res);
    await res.body?.cancel();
    if (hop + 1 >= MAX_HOPS) return unavailable(provider, `more than ${MAX_HOPS} redirects`);
    try {
      url = new URL(location, checked.url).href;
    } catch {
      return unavailable(provider, "a redirect to no URL");
    }
  }
}

/** A fresh link from Telnyx's TeXML recording resource; null when Telnyx gives none (the stored one is tried). */
async function freshTelnyxLink(refresh: NonNullable<RecordingSource["refresh"]>): Promise<Result<string | null>> {
  const r = await follow("telnyx", refresh.url, { bearer: refresh.bearer }, { Accept: "application/json" });
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

/** A byte range as a media player asks for it, passed on to the provider. */
const RANGE = /^bytes=\d*-\d*(,\s*\d*-\d*)*$/;

/**
 * The recording's audio as the provider serves it (200, or 206 for a `range`), with the headers a
 * player needs and nothing of the provider's else; or why it could not be had: 404 when the
 * provider no longer has it, 502 when it refused or failed.
 */
export async function fetchRecording(source: RecordingSource, callId: string, range: string | undefined): Promise<Result<Response>> {
  const { provider } = source;
  let url = source.url;
  if (source.refresh) {
    const fresh = await freshTelnyxLink(source.refresh);
    if (!fresh.ok) return fresh;
    url = fresh.value ?? url;
  }
  const extra: Record<string, string> = {};
  if (range && range.length <= 200 && RANGE.test(range)) extra.Range = range;
  const r = await follow(provider, url, source.auth, extra);
  if (!r.ok) return r;
  const res = r.value;
  if (res.status === 404 || res.status === 410) {
    await res.body?.cancel();
    return fail(404, "recording_gone", `${provider} no longer has this recording (deleted, or past its retention)`);
  }
  if (res.status !== 200 && res.status !== 206) {
    await res.body?.cancel();
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
  for (const h of ["Content-Length", "Content-Range", "Accept-Ranges"]) {
    const v = res.headers.get(h);
    if (v) headers.set(h, v);
  }
  return ok(new Response(res.body, { status: res.status, headers }));
}

function extensionOf(type: string): string {
  const t = type.toLowerCase();
  if (t.includes("mpeg") || t.includes("mp3")) return ".mp3";
  if (t.includes("wav")) return ".wav";
  if (t.includes("ogg")) return ".ogg";
  return "";
}
