/**
 * The API client: every call carries the admin key as an Authorization header (never in the URL),
 * bypasses the HTTP cache, and fails with an ApiError holding the status and the API's message
 * (status 0: no answer at all).
 * Answers are typed from the worker's own zod schemas (type-only imports: nothing of the worker is
 * bundled).
 */
import type { Account, AccountPatch } from "../worker/schemas/account";
import type { AutoscaleView, ScaleEvent } from "../worker/schemas/autoscale";
import type { Call, CallGroup, CallGrouping, CallStats } from "../worker/schemas/calls";
import type { Conversions, ConversionsCheck } from "../worker/schemas/conversions";
import type { DeliveryItem, DeliveryList } from "../worker/schemas/deliveries";
import type { HealthView, NumberFigures } from "../worker/schemas/health";
import type { Order } from "../worker/schemas/orders";
import type { Pool } from "../worker/schemas/pool";

export type {
  Account,
  AutoscaleView,
  Call,
  CallGroup,
  CallGrouping,
  CallStats,
  Conversions,
  ConversionsCheck,
  DeliveryItem,
  HealthView,
  NumberFigures,
  Order,
  Pool,
  ScaleEvent,
};

export interface NumberPage {
  numbers: NumberFigures[];
  nextCursor: string | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
  /** The key was refused: the caller should sign out. */
  get unauthorized(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

type Query = Record<string, string | number | undefined>;

/** The ways the dashboard calls the API: JSON GET, JSON POST (a JSON body or none), JSON PATCH, and a file as a Blob. */
export interface Client {
  get<T>(path: string, query?: Query): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  patch<T>(path: string, body: unknown): Promise<T>;
  blob(path: string, query?: Query): Promise<Blob>;
}

/** `key` is read on every call (sign-out takes effect at once). */
export function createClient(key: () => string | null, fetcher: typeof fetch = (...a) => fetch(...a)): Client {
  const send = async (method: "GET" | "POST" | "PATCH", path: string, query: Query = {}, body?: unknown): Promise<Response> => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    const headers: Record<string, string> = { Authorization: `Bearer ${key() ?? ""}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const init: RequestInit = { method, headers, cache: "no-store" };
    if (body !== undefined) init.body = JSON.stringify(body);
    // A fetch that fails (offline, DNS, connection reset) is status 0 here: not a refused key.
    const r = await fetcher(qs ? `${path}?${qs}` : path, init).catch(() => {
      throw new ApiError(0, "no answer from the server (is this device offline?)");
    });
    // Without the API's error body (a proxy's page), the status text — which HTTP/2 and /3 leave empty.
    if (!r.ok) throw new ApiError(r.status, errorMessage(await r.json().catch(() => null)) ?? (r.statusText || `HTTP ${r.status}`));
    return r;
  };
  return {
    get: async <T>(path: string, query?: Query) => (await (await send("GET", path, query)).json()) as T,
    post: async <T>(path: string, body?: unknown) => (await (await send("POST", path, {}, body)).json()) as T,
    patch: async <T>(path: string, body: unknown) => (await (await send("PATCH", path, {}, body)).json()) as T,
    blob: async (path: string, query?: Query) => (await send("GET", path, query)).blob(),
  };
}

/**
 * The message of the API's `{ error: { code, message, details? } }` body, if that is what came back,
 * with what its details say ("message (destinations: why)").
 */
export function errorMessage(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || !("error" in body)) return undefined;
  const error = body.error;
  if (typeof error !== "object" || error === null || !("message" in error) || typeof error.message !== "string") return undefined;
  // A detail the message already says (invalid_request names its first in the message) is not said twice.
  const message = error.message;
  const details = "details" in error && Array.isArray(error.details) ? error.details.map(detailText).filter((d) => d && !message.includes(d)) : [];
  return details.length ? `${error.message} (${details.join("; ")})` : error.message;
}

/** One detail of an error as "path: message" (or its message alone). */
function detailText(d: unknown): string {
  if (typeof d !== "object" || d === null || !("message" in d) || typeof d.message !== "string") return "";
  return "path" in d && typeof d.path === "string" && d.path ? `${d.path}: ${d.message}` : d.message;
}

/** A time range [from, to) in ms since epoch. */
export interface Range {
  from: number;
  to: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const rangeQuery = (r: Range) => ({ from: iso(r.from), to: iso(r.to) });

/** The calls the dashboard makes, one function each. */
export function endpoints(client: Client) {
  const { get } = client;
  const pool = (id: string) => `/v1/pools/${encodeURIComponent(id)}`;
  return {
    account: () => get<Account>("/v1/account"),
    pools: async () => (await get<{ pools: Pool[] }>("/v1/pools")).pools,
    /** minutes 0: only the figures now (the cards); else buckets of `step` minutes over `minutes`. */
    health: (id: string, minutes: number, step?: number) => get<HealthView>(`${pool(id)}/health`, { minutes, step }),
    numbers: (id: string, after: string | null, limit: number) => get<NumberPage>(`${pool(id)}/numbers`, { limit, cursor: after ?? undefined }),
    /** The pool's number orders, newest first (the API's last 100). */
    orders: async (id: string) => (await get<{ orders: Order[] }>("/v1/orders", { pool: id })).orders,
    /** The pool's autoscaling, or null when it has none (the list, not GET …/autoscale's 404: no failed request in the console). */
    autoscale: async (id: string) => (await get<{ pools: AutoscaleView[] }>("/v1/autoscale", { pool: id })).pools[0] ?? null,
    /** Per day (the viewer's time zone's, as the range's days are: range.ts) and source, the total, and the totals by `groupBy`, over the range. */
    callStats: (r: Range, groupBy: CallGrouping) =>
      get<CallStats>("/v1/stats/calls", { ...rangeQuery(r), groupBy, timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone }),
    /** The range's latest calls, newest first. */
    calls: async (r: Range, limit: number) => (await get<{ calls: Call[] }>("/v1/calls", { ...rangeQuery(r), limit })).calls,
    call: (id: string) => get<Call>(`/v1/calls/${encodeURIComponent(id)}`),
    /** The call's recording, fetched from its provider by the API with the account's credentials. */
    recording: (id: string) => client.blob(`/v1/calls/${encodeURIComponent(id)}/recording`),
    /** Every call of the range as the API's CSV export. */
    callsCsv: (r: Range) => client.blob("/v1/calls.csv", rangeQuery(r)),
    /** Deliveries retrying after a failure, or dead (retries ran out). */
    deliveries: async (status: "failing" | "dead", limit: number) => (await get<DeliveryList>("/v1/deliveries", { status, limit })).deliveries,
    redeliver: (id: string) => client.post<DeliveryItem>(`/v1/deliveries/${encodeURIComponent(id)}/redeliver`),
    /** The ad platforms' settings: each one's API, whether its uploads run or are paused (auth), Google's diagnostics still asked for. */
    conversionSettings: () => get<Conversions>("/v1/account/conversions"),
    /** Tests the connection to every configured ad platform, recording nothing (409: none configured). */
    checkConversions: () => client.post<ConversionsCheck>("/v1/account/conversions/check"),
    /** Erases every call from a caller's number (the API erases 200 a request: asked again while more are left); answers how many. */
    eraseCaller: async (caller: string): Promise<number> => {
      let erased = 0;
      for (;;) {
        const r = await client.post<{ erased: number; more: boolean }>("/v1/calls/erase", { caller });
        erased += r.erased;
        if (!r.more) return erased;
      }
    },
    /** Changes account settings (PATCH /v1/account); answers the account as changed. */
    patchAccount: (patch: AccountPatch) => client.patch<Account>("/v1/account", patch),
    /** Turns a pool's replaceAll on or off (PATCH); answers the pool as changed. */
    setReplaceAll: (id: string, on: boolean) => client.patch<Pool>(pool(id), { replaceAll: on }),
  };
}

export type Api = ReturnType<typeof endpoints>;
