/** Shared fixtures for the snippet's unit tests (happy-dom). */
import { vi } from "vitest";
import { leaseMs, renewMs } from "../../shared/lease";
import { findings } from "../../shared/pairs";
import { pattern } from "../../shared/pattern";
import type { AllocateResponse, PhoneParts, PoolAllocation } from "../../shared/protocol";
import type { Config } from "../../snippet/config";
import { type Api, start } from "../../snippet/main";

/** A NANP destination and its tracking number. */
export const US: PhoneParts = { e164: "+18005550199", cc: "1", nsn: "8005550199", trunk: "1", national: "(800) 555-0199", groups: ["800", "555", "0199"] };
export const US_T: PhoneParts = { e164: "+18005550123", cc: "1", nsn: "8005550123", trunk: "1", national: "(800) 555-0123", groups: ["800", "555", "0123"] };
/** A GB destination, its tracking number, and a GB tracking number with a shorter nsn. */
export const UK: PhoneParts = { e164: "+442079460958", cc: "44", nsn: "2079460958", trunk: "0", national: "020 7946 0958", groups: ["20", "7946", "0958"] };
export const UK_T: PhoneParts = { e164: "+442079460111", cc: "44", nsn: "2079460111", trunk: "0", national: "020 7946 0111", groups: ["20", "7946", "0111"] };
export const UK_9: PhoneParts = { e164: "+44169772345", cc: "44", nsn: "169772345", trunk: "0", national: "016977 2345", groups: ["16977", "2345"] };
/** 1-800-FLOWERS. */
export const FLOWERS: PhoneParts = { e164: "+18003569377", cc: "1", nsn: "8003569377", trunk: "1", national: "(800) 356-9377", groups: ["800", "356", "9377"] };

export const API = "https://dni.example.com";
export const KEY = "pk_test";
export const LEASE = 30 * 60_000;

export const alloc = (pool: string, destinations: PhoneParts[], number: PhoneParts | null, now = Date.now()): PoolAllocation => ({
  pool,
  destinations,
  number,
  expiresAt: number ? now + LEASE : null,
  overflow: false,
});

/**
 * The worker's campaign pattern for a first touch without campaign parameters
 * (worker/domain/session.ts campaignPattern): any click id (but "withheld"), utm_source or utm_medium.
 */
export const DIRECT_CAMPAIGN =
  "[?&](?:(?:gclid|gbraid|wbraid|dclid|msclkid|fbclid|ttclid|li_fat_id)=(?!(?:withheld)(?:[&#]|$))|(?:utm_source|utm_medium)=)[^&#]";

export const answer = (pools: PoolAllocation[], session = "s", now = Date.now(), source = "email"): AllocateResponse => {
  const { numbers, pairs } = findings(pools, source);
  return {
    session,
    token: `token-of-${session}`,
    campaign: DIRECT_CAMPAIGN,
    now,
    source,
    pools,
    pattern: pattern(numbers),
    pairs,
    lease: leaseMs(pools, now),
    renew: renewMs(pools, now),
  };
};

let tokens = 0;
/**
 * A stub of fetch (the network edge) that answers with `body` (status 200 unless given). As the
 * worker does, an answer names the session of the token sent (kept: this stub never begins a new
 * one for a campaign click), or a new one without; `answers` holds what it answered.
 */
export const stubFetch = (body: unknown = answer([alloc("web", [US], US_T)]), status = 200) => {
  const answers: any[] = [];
  const f = vi.fn(async (_url: string, init?: RequestInit) => {
    const asked = init?.body ? (JSON.parse(init.body as string) as { token?: string }).token : undefined;
    const token = asked ?? `token-${++tokens}`;
    const out = body && typeof body === "object" && "pools" in body ? { ...body, session: `session-of-${token}`, token } : body;
    answers.push(out);
    return new Response(JSON.stringify(out), { status });
  });
  vi.stubGlobal("fetch", f);
  return Object.assign(f, { answers });
};

/** The JSON body of the n-th request. */
export const sent = (f: ReturnType<typeof stubFetch>, n = 0) => JSON.parse(f.mock.calls[n]![1]!.body as string);

/** Sets the page: URL (query string), referrer, cookie, body. */
export const page = (html: string, url = "https://shop.example/", referrer = "") => {
  (window as any).happyDOM.setURL(url);
  Object.defineProperty(document, "referrer", { value: referrer, configurable: true });
  document.body.innerHTML = html;
};

/** Lets timers, promises and mutation observers run. */
export const flush = async (n = 3) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 0));
};

let running: Api[] = [];
/** Starts the snippet (config defaults: the test key and endpoint); stopped by reset(). */
export const run = (c: Partial<Config> = {}) => {
  const a = start({ key: KEY, api: API, ...c });
  running.push(a);
  return a;
};

/** Stops every started snippet: the page view ends (storage stays). */
export const leave = () => {
  // Newest first: each puts back the attachShadow it wrapped.
  for (const a of running.reverse()) a.stop?.();
  running = [];
};

/** Stops every started snippet and clears storage, cookies and stubs. */
export const reset = () => {
  leave();
  localStorage.clear();
  for (const c of document.cookie.split(";")) {
    // biome-ignore lint/suspicious/noDocumentCookie: happy-dom has no Cookie Store API; this clears the page's cookies.
    document.cookie = `${c.split("=")[0]!.trim()}=; expires=Thu, 01 Jan 1970 00:00:00 GMT`;
  }
  delete (window as any).dataLayer;
  delete (window as any).dni;
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  vi.useRealTimers();
};
