/**
 * The API client: every call carries the admin key as an Authorization header (never in the URL),
 * bypasses the HTTP cache, and fails with an ApiError holding the status and the API's message.
 * Answers are typed from the worker's own zod schemas (type-only imports: nothing of the worker is
 * bundled).
 */
import type { Account } from "../worker/schemas/account";
import type { Call, CallStats } from "../worker/schemas/calls";
import type { HealthView, NumberFigures } from "../worker/schemas/health";
import type { Pool } from "../worker/schemas/pool";

export type { Call, CallStats, HealthView, NumberFigures, Pool };

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

/** GET a path with query parameters; `key` is read on every call (sign-out takes effect at once). */
type Get = <T>(path: string, query?: Record<string, string | number | undefined>) => Promise<T>;

export function createClient(key: () => string | null, fetcher: typeof fetch = (...a) => fetch(...a)): Get {
  return async <T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    const url = qs ? `${path}?${qs}` : path;
    const r = await fetcher(url, { headers: { Authorization: `Bearer ${key() ?? ""}` }, cache: "no-store" });
    const body: unknown = await r.json().catch(() => null);
    if (!r.ok) throw new ApiError(r.status, errorMessage(body) ?? r.statusText);
    return body as T;
  };
}

/** The message of the API's `{ error: { code, message } }` body, if that is what came back. */
function errorMessage(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || !("error" in body)) return undefined;
  const error = body.error;
  return typeof error === "object" && error !== null && "message" in error && typeof error.message === "string" ? error.message : undefined;
}

/** The calls the dashboard makes, one function each. */
export function endpoints(get: Get) {
  const pool = (id: string) => `/v1/pools/${encodeURIComponent(id)}`;
  return {
    account: () => get<Account>("/v1/account"),
    pools: async () => (await get<{ pools: Pool[] }>("/v1/pools")).pools,
    /** minutes 0: only the figures now (the cards); else buckets of `step` minutes over `minutes`. */
    health: (id: string, minutes: number, step?: number) => get<HealthView>(`${pool(id)}/health`, { minutes, step }),
    numbers: (id: string, after: string | null, limit: number) => get<NumberPage>(`${pool(id)}/numbers`, { limit, cursor: after ?? undefined }),
    callStats: (from: number) => get<CallStats>("/v1/stats/calls", { from: new Date(from).toISOString() }),
    /** The latest calls (newest first), for their ad conversion uploads. */
    latestCalls: async (limit: number) => (await get<{ calls: Call[] }>("/v1/calls", { limit })).calls,
  };
}

export type Api = ReturnType<typeof endpoints>;
