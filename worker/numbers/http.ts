/** One provider HTTP call, its failure classified (types.ts ProviderError). */
import { retryAfterMs } from "../platform/retry-after";
import type { Outcome, ProviderError } from "./types";

const TIMEOUT_MS = 15_000;

export interface Answer {
  status: number;
  body: unknown;
}

/**
 * Send a request; 2xx answers the parsed body; 408, 429, 5xx and network failures are `retry` (a
 * provider's moment, not the request's fault: Retry-After kept); other 4xx are classified by
 * `refusal` (default `fatal` with the provider's message).
 */
export async function call(
  url: string,
  init: RequestInit,
  describe: (body: unknown, status: number) => string,
  refusal?: (body: unknown, status: number) => ProviderError | null,
): Promise<Outcome<Answer>> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (e) {
    return { ok: false, error: { kind: "retry", reason: `network: ${e instanceof Error ? e.message : String(e)}` } };
  }
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  if (res.ok) return { ok: true, value: { status: res.status, body } };
  const reason = `${res.status}: ${describe(body, res.status)}`;
  if (res.status === 408 || res.status === 429 || res.status >= 500)
    return { ok: false, error: { kind: "retry", reason, retryAfterMs: retryAfterMs(res.headers.get("Retry-After")) } };
  const classified = refusal?.(body, res.status);
  if (classified) return { ok: false, error: { ...classified, reason: `${res.status}: ${classified.reason}` } };
  return { ok: false, error: { kind: "fatal", reason } };
}

export const field = (body: unknown, key: string): unknown => (body && typeof body === "object" ? (body as Record<string, unknown>)[key] : undefined);
export const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

/**
 * Delete a provider's resource (a number given back): its 404 says it is already gone, which is
 * what was asked, so it counts as done; anything else as `call` classifies it (`refusal` first).
 */
export async function remove(
  url: string,
  headers: HeadersInit,
  describe: (body: unknown, status: number) => string,
  refusal?: (body: unknown, status: number) => ProviderError | null,
): Promise<Outcome<true>> {
  const r = await call(url, { method: "DELETE", headers }, describe, (body, status) =>
    status === 404 ? { kind: "taken", reason: "already gone" } : (refusal?.(body, status) ?? null),
  );
  return r.ok || r.error.kind === "taken" ? { ok: true, value: true } : r;
}

/**
 * A provider's paging link (relative, or absolute), as a URL to follow only when it stays on the
 * provider's `origin` under `path` (the credentials go with it): elsewhere, `//host/…`, or not a
 * URL at all, null (not followed).
 */
export function pageLink(next: string | null, origin: string, path: string): string | null {
  if (!next) return null;
  try {
    const u = new URL(next, origin);
    return u.origin === origin && u.pathname.startsWith(path) ? u.toString() : null;
  } catch {
    return null;
  }
}
