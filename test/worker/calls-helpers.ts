/** Helpers for the call-path tests: callbacks as the provider sends them, and a fake network edge. */
import { runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { vi } from "vitest";
import { accountStub, allocate, api, type Created, createAccount, createPool, dump, freshNumbers, poolStub, sessionId } from "./helpers";
import type { Seen } from "./seen";

export const DEST = "+12127365000";
/** A time far ahead of the real clock: alarms set at fake "now" never fire on their own, only through runDurableObjectAlarm. */
export const T0 = Date.parse("2031-03-01T10:00:00Z");

export interface Voice {
  secret: string;
  callbackUrl: string;
  agentCallbackUrl: string;
  signedCallbackUrl: string;
  signedAgentCallbackUrl: string;
  fallbackNumber: string | null;
}

export async function voiceOf(acct: Created): Promise<Voice> {
  const r = await api("GET", "/v1/account/voice", { key: acct.adminKey });
  if (r.status !== 200) throw new Error(`voice settings: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

/** POST a callback body, JSON by default or form-encoded, to a callback URL. */
export async function ring(url: string, fields: Record<string, unknown>, opts: { form?: boolean; headers?: Record<string, string>; raw?: string } = {}) {
  const body = opts.raw ?? (opts.form ? new URLSearchParams(fields as Record<string, string>).toString() : JSON.stringify(fields));
  const headers = { "Content-Type": opts.form ? "application/x-www-form-urlencoded" : "application/json", ...opts.headers };
  const res = await SELF.fetch(url, { method: "POST", headers, body });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json, text, headers: res.headers };
}

/** A call as the reference provider names its fields. */
export function callBody(id: string, calledNo: string, startTime: number, extra: Record<string, unknown> = {}) {
  return { callId: id, callerNo: "+13105550123", calledNo, startTime, ...extra };
}

let callSeq = 0;
export const callId = (label = "call") => `${label}-${++callSeq}-${crypto.randomUUID().slice(0, 8)}`;

export const GOOGLE = {
  name: "google-ads",
  referrer: "https://www.google.com/",
  landing: "https://www.shop.example/?gclid=abc&utm_source=google&utm_medium=cpc&utm_campaign=spring",
  utm: { source: "google", medium: "cpc", campaign: "spring" },
  clickIds: { gclid: "abc" },
  gaClientId: "1234567890.1700000000",
};

/** An account with one pool `web` of `size` numbers and its voice settings. */
export async function callWorld(size = 1, pool: Record<string, unknown> = {}) {
  const acct = await createAccount();
  const tracking = freshNumbers(size);
  await createPool(acct, {
    id: "web",
    name: "Web",
    trackingNumbers: tracking,
    destinations: [DEST, "+12127365001"],
    leaseSeconds: 60,
    graceSeconds: 120,
    isDefault: true,
    ...pool,
  });
  return { acct, tracking, voice: await voiceOf(acct) };
}

/** A visit (a new session, or `session` coming back) that allocates; its number and lease end. */
export async function visit(acct: Created, source: unknown = GOOGLE, pools?: string[], session = sessionId()) {
  const r = await allocate(acct.siteKey, session, { source, ...(pools ? { pools } : {}) });
  if (r.status !== 200) throw new Error(`allocate: ${r.status} ${JSON.stringify(r.json)}`);
  return { session, number: r.json.pools[0].number?.e164 as string, expiresAt: r.json.pools[0].expiresAt as number };
}

export const at = (ms: number) => vi.setSystemTime(new Date(ms));

/** Run the account object's alarms, as scheduled, until `until` (the clock is left there). */
export async function runAccountAlarms(accountId: string, until: number) {
  const stub = accountStub(accountId);
  for (let i = 0; i < 500; i++) {
    const next = await runInDurableObject(stub, (_i, s) => s.storage.getAlarm());
    if (next === null || next > until) break;
    at(Math.max(next, Date.now() + 1));
    await runDurableObjectAlarm(stub);
  }
  at(until);
}

export async function getCall(acct: Created, id: string) {
  return api("GET", `/v1/calls/${encodeURIComponent(id)}`, { key: acct.adminKey });
}

/** Everything an account and its pools store: proves a refused callback stored nothing. */
export async function storage(acct: Created, pools: string[] = ["web"]) {
  const parts = [await dump(accountStub(acct.accountId))];
  for (const p of pools) parts.push(await dump(poolStub(acct.accountId, p)));
  return parts.join("\n");
}

export type { Seen } from "./seen";

/** A public address (TEST-NET would be refused): what every mocked host name resolves to unless a test says otherwise. */
export const PUBLIC_IP = "93.184.215.14";

/**
 * The network edge: outbound fetch (GA4, webhook receivers, email API) answered by `respond`. The
 * worker and its Durable Objects run in this isolate, so spying on the global fetch catches their
 * requests; the tests' own requests go through SELF and are untouched.
 *
 * DNS-over-HTTPS lookups (the outbound policy resolves a receiver's host before sending) are
 * answered here from `dns` — explicitly, and only in tests: every name resolves to PUBLIC_IP unless
 * a test maps it elsewhere — and are kept out of `seen` (listed in `lookups`).
 */
export function mockNetwork(respond: (req: Seen) => Response | Promise<Response> = () => new Response(null, { status: 204 })) {
  const seen: Seen[] = [];
  const lookups: string[] = [];
  const dns = new Map<string, string[]>();
  const net = { seen, respond, dns, lookups };
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    if (url.origin === "https://cloudflare-dns.com" && url.pathname === "/dns-query") {
      const name = url.searchParams.get("name") ?? "";
      const type = url.searchParams.get("type") === "AAAA" ? 28 : 1;
      lookups.push(`${name} ${type === 28 ? "AAAA" : "A"}`);
      const addrs = (net.dns.get(name) ?? [PUBLIC_IP]).filter((a) => a.includes(":") === (type === 28));
      return Response.json({ Status: 0, Answer: addrs.map((data) => ({ name, type, TTL: 60, data })) });
    }
    const entry = { url, method: req.method, headers: req.headers, body: await req.text() };
    seen.push(entry);
    return net.respond(entry);
  });
  return net;
}

/**
 * The reference API's signed-callback headers: v3 covers the time, the endpoint (method, path and
 * query) and the body, parted by line breaks; `v2` (parted by ".") is still taken without a query.
 */
export async function referenceSigned(
  secret: string,
  url: string,
  body: string,
  nowMs = Date.now(),
  version: "v2" | "v3" = "v3",
): Promise<Record<string, string>> {
  const ts = String(Math.floor(nowMs / 1000));
  const { pathname, search } = new URL(url);
  const between = version === "v3" ? "\n" : ".";
  return { "X-DNI-Timestamp": ts, "X-DNI-Signature": `${version}=${await hmacHex(secret, `${ts}${between}POST ${pathname}${search}${between}${body}`)}` };
}

export async function hmacHex(secret: string, message: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return [...new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(message)))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Whether nothing is due at the account object but its daily call-storage upkeep: no alarm, or
 * the alarm set exactly for that upkeep (a day after the last one).
 */
export async function onlyUpkeepDue(acct: Created): Promise<boolean> {
  return runInDurableObject(accountStub(acct.accountId), async (_i, state) => {
    const alarm = await state.storage.getAlarm();
    if (alarm === null) return true;
    const last = state.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'upkeep_at'").toArray()[0];
    return !!last && alarm === Number(last.value) + 86_400_000;
  });
}
