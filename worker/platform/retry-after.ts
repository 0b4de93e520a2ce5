/** An HTTP answer's Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP date. */

/** Retry-After as seconds or an HTTP date, in ms from now (undefined: none, or not readable). */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const s = Number(header);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
