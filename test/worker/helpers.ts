/** Helpers for worker tests: everything goes through the real HTTP API of the worker in workerd. */
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { afterEach, beforeEach, vi } from "vitest";
import { PoolObject } from "../../worker/pool/pool";

export const OPERATOR = "test-operator-token";
export const ORIGIN = "https://www.shop.example";
export const BASE = "https://dni.test";

export interface Created {
  accountId: string;
  adminKey: string;
  siteKey: string;
}

export async function api(method: string, path: string, opts: { key?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key) headers.Authorization = `Bearer ${opts.key}`;
  let body: string | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["Content-Type"] ??= "application/json";
  }
  const res = await SELF.fetch(`${BASE}${path}`, { method, headers, body });
  const text = await res.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.status, json, headers: res.headers, text };
}

export async function createAccount(origins: string[] = [ORIGIN], name = "Acme"): Promise<Created> {
  const r = await api("POST", "/v1/accounts", { key: OPERATOR, body: { name, allowedOrigins: origins } });
  if (r.status !== 201) throw new Error(`account create failed: ${r.status} ${JSON.stringify(r.json)}`);
  return { accountId: r.json.account.id, adminKey: r.json.adminKey, siteKey: r.json.siteKey };
}

/** n distinct valid US toll-free numbers: +1 800 555 0000 + offset… */
function numbers(n: number, base = 8005550000): string[] {
  return Array.from({ length: n }, (_, i) => `+1${base + i}`);
}

let rangeSeq = 0;
/** A fresh range of tracking numbers per call, so pools in one file never collide. */
export function freshNumbers(n: number): string[] {
  rangeSeq += 1;
  return numbers(n, 8882000000 + rangeSeq * 20_000);
}

/**
 * A new account whose default pool `web` has `size` fresh numbers for +12127365000, 60 s leases and
 * no grace (`extra` overrides any of it).
 */
export async function accountWithWebPool(size: number, extra: Record<string, unknown> = {}) {
  const acct = await createAccount();
  const tracking = freshNumbers(size);
  await createPool(acct, {
    id: "web",
    name: "Web",
    trackingNumbers: tracking,
    destinations: ["+12127365000"],
    leaseSeconds: 60,
    graceSeconds: 0,
    isDefault: true,
    ...extra,
  });
  return { acct, tracking };
}

export async function createPool(acct: Created, pool: Record<string, unknown>) {
  const r = await api("POST", "/v1/pools", { key: acct.adminKey, body: pool });
  if (r.status !== 201) throw new Error(`pool create failed: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

let sessionSeq = 0;
export function sessionId(label = "s"): string {
  sessionSeq += 1;
  return `${label}${String(sessionSeq).padStart(6, "0")}${crypto.randomUUID().replace(/-/g, "")}`.slice(0, 40);
}

/** The headers a desktop browser's fetch() from a page sends. */
export const BROWSER_HEADERS: Record<string, string> = {
  "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "Accept-Language": "en-US,en;q=0.9",
  "Sec-Fetch-Mode": "cors",
  "Sec-Fetch-Site": "cross-site",
};

export async function allocate(
  siteKey: string,
  session: string,
  opts: { pools?: string[]; origin?: string | null; source?: unknown; headers?: Record<string, string>; sources?: string } = {},
) {
  const headers: Record<string, string> = { ...BROWSER_HEADERS, "Content-Type": "text/plain;charset=UTF-8", ...opts.headers };
  const origin = opts.origin === undefined ? ORIGIN : opts.origin;
  if (origin) headers.Origin = origin;
  const body: Record<string, unknown> = { key: siteKey, session };
  if (opts.pools) body.pools = opts.pools;
  if (opts.source) body.source = opts.source;
  if (opts.sources !== undefined) body.sources = opts.sources;
  return api("POST", "/v1/allocate", { raw: JSON.stringify(body), headers });
}

export function poolStub(accountId: string, poolId: string) {
  return env.POOLS.get(env.POOLS.idFromName(`${accountId}/${poolId}`));
}

export function accountStub(accountId: string) {
  return env.ACCOUNTS.get(env.ACCOUNTS.idFromName(accountId));
}

/**
 * Every row of every table of an object's SQLite storage: to prove a refusal stored nothing. A pool
 * object first writes what it defers (the current minute's figures, due expiries), so a snapshot
 * never depends on whether its alarm happened to run in between.
 */
export async function dump(stub: DurableObjectStub): Promise<string> {
  await runInDurableObject(stub, async (instance) => {
    if (instance instanceof PoolObject) await instance.healthFigures({ now: Date.now(), step: 1, count: 0 });
  });
  return runInDurableObject(stub, (_instance, state) => {
    const sql = state.storage.sql;
    const tables = sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name")
      .toArray();
    return JSON.stringify(tables.map((t) => [t.name, sql.exec(`SELECT * FROM "${t.name}"`).toArray()]));
  });
}

export function directoryStub() {
  return env.DIRECTORY.get(env.DIRECTORY.idFromName("directory"));
}

export interface TestClock {
  /** Where every test starts. */
  readonly start: number;
  /** Sets the fake "now" to `ms`. */
  at(ms: number): void;
  /** Moves the fake "now" on by `ms`; answers the new now. */
  advance(ms: number): number;
}

/**
 * A fake clock (Date only) for every test of the file or describe block it is called in: each test
 * starts at `start`; after each, spies are restored and the real clock is back. `start` must be ahead
 * of the real clock: workerd runs Durable Object alarms on the real clock, so an alarm set at a past
 * fake "now" would fire on its own, racing the test's runDurableObjectAlarm. `silence` mutes console
 * levels the code under test logs to by design.
 */
export function useTestClock(start: number, opts: { silence?: readonly ("warn" | "error")[] } = {}): TestClock {
  if (start <= Date.now()) throw new Error(`useTestClock: start ${new Date(start).toISOString()} is not ahead of the real clock`);
  const at = (ms: number) => vi.setSystemTime(new Date(ms));
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    at(start);
    for (const level of opts.silence ?? []) vi.spyOn(console, level).mockImplementation(() => undefined);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });
  return {
    start,
    at,
    advance(ms) {
      at(Date.now() + ms);
      return Date.now();
    },
  };
}
