/**
 * The visitor's GA cookies, as a page sends them (shared/protocol.ts `SourceContext.gaClientId`):
 * the snippet sends each `_ga` and `_ga_<STREAM>` cookie as "name=value"; older snippets and API
 * callers send the GA client id or the raw `_ga` value alone. From them: the GA client id, and per
 * GA4 stream the GA session id, which a call's GA4 event carries as `session_id` so that GA4 joins
 * it to the visit's session (its source/medium, Realtime). Cookie formats, from public write-ups
 * (Google documents neither cookie's value; the Measurement Protocol guide says to take both ids
 * from gtag's `get`, which a snippet of our size cannot wait for):
 *
 * - `_ga`: `GA1.<domain level>[-<path depth>].<random>.<first seen, unix s>`; the client id is the
 *   last two, which the Measurement Protocol reference requires to be "two positive numbers, joined
 *   by a period".
 * - `_ga_<STREAM>` (STREAM: the measurement id G-<STREAM> without "G-"), one per GA4 stream on the
 *   site: `GS1.<level>.<session id>.<session count>.<engaged>.<last hit>…` (dot-separated places),
 *   or since 2025 `GS2.<level>.s<session id>$o<session count>$g<engaged>$t<last hit>$…` (prefixed
 *   parts separated by `$`, in no fixed order). The session id is the session's start, unix s: the
 *   reference takes "a positive numeric value representing a timestamp", so we take 1 to 10 digits
 *   without a leading zero (seconds until 2286), nothing longer.
 *
 * Nothing a browser sends is trusted: a value that is not exactly one of these shapes gives no id.
 * It is dropped, not refused: a cookie we cannot read is no reason to leave a visitor without a number.
 */
import { z } from "@hono/zod-openapi";

/** Most GA4 streams whose session ids are kept (a site rarely has more than two). */
export const GA_STREAMS_MAX = 5;
/** A stream as its cookie names it: a measurement id's characters, without "G-". */
const STREAM = /^[A-Za-z0-9]{1,20}$/;
/** A GA session id: its session's start in unix seconds, a positive number (no leading zero). */
const SESSION_ID_DIGITS = "[1-9]\\d{0,9}";
const SESSION_ID = new RegExp(`^${SESSION_ID_DIGITS}$`);
/** A GA client id: two positive numbers joined by a period (the random part, the first visit's unix seconds). */
const CLIENT_ID = "[1-9]\\d{0,19}\\.[1-9]\\d{0,19}";
/** A GA cookie's version and domain level (with the path depth a cookie path adds): `GA1.1.`, `GS2.2-1.`. */
const LEVEL = "\\d{1,3}(?:-\\d{1,3})?";
const CLIENT_ID_OF = new RegExp(`^(?:GA1\\.${LEVEL}\\.)?(${CLIENT_ID})$`);
const GS1 = new RegExp(`^GS1\\.${LEVEL}\\.(${SESSION_ID_DIGITS})\\.`);
const GS2 = new RegExp(`^GS2\\.${LEVEL}\\.(.+)$`);

/** GA session ids by stream: `{ "ABC123": "1747132561" }`. */
export type GaSessions = Record<string, string>;

export const GaSessionsSchema = z
  .record(z.string().regex(STREAM), z.string().regex(SESSION_ID))
  .refine((s) => Object.keys(s).length <= GA_STREAMS_MAX, `at most ${GA_STREAMS_MAX} streams`);

/**
 * The GA client id (`<random>.<timestamp>`) from what a page sent: the id itself, or the raw `_ga`
 * cookie value (`GA1.1.<random>.<timestamp>`: the snippet leaves parsing it to us). Null otherwise.
 */
export function gaClientIdOf(value: string | undefined): string | null {
  const m = value === undefined ? null : CLIENT_ID_OF.exec(value.trim());
  return m ? m[1]! : null;
}

/** The GA session id in a `_ga_<STREAM>` cookie's value (GS1 or GS2), else null. */
export function gaSessionIdOf(value: string): string | null {
  const gs1 = GS1.exec(value);
  if (gs1) return gs1[1]!;
  // GS2: the one `s<digits>` part (the others: o, g, t, j, l, h, d… in any order). None, two, or
  // one that is not a session id (`s0`, `s` with 11 digits): no id.
  const parts =
    GS2.exec(value)?.[1]
      ?.split("$")
      .filter((p) => /^s\d*$/.test(p)) ?? [];
  const id = parts.length === 1 ? parts[0]!.slice(1) : "";
  return SESSION_ID.test(id) ? id : null;
}

/** The stream a GA4 measurement id's session cookie is named by: "G-ABC123" → "ABC123". */
export const gaStreamOf = (measurementId: string): string => measurementId.replace(/^G-/, "");

/**
 * When a `_ga_<STREAM>` cookie's stream was last hit (unix s; 0: not said): GS1's sixth place,
 * GS2's `t<digits>` part. The site's own tag hits its stream on the page that sends the cookies.
 */
export function gaLastHitOf(value: string): number {
  const gs1 = GS1.test(value) ? value.split(".")[5] : undefined;
  const gs2 = GS2.exec(value)?.[1]
    ?.split("$")
    .find((p) => /^t\d{1,10}$/.test(p))
    ?.slice(1);
  const t = Number(gs1 ?? gs2);
  return Number.isSafeInteger(t) && t > 0 ? t : 0;
}

/**
 * What the GA cookies a page sent give: the GA client id as sent (the first `_ga` that holds one:
 * gaClientIdOf reads it) and the session id of each stream (the first cookie of a stream that holds
 * one). Past GA_STREAMS_MAX streams, those hit last are kept: the account's own GA4 stream is
 * the one its tag on this page has just hit, where another property's (a former tag, a
 * neighbouring site on the same domain) was hit earlier. A string is `_ga`'s value or the client
 * id, as before the array.
 */
export function gaCookiesOf(sent: string | string[] | null | undefined): { clientId?: string; sessions?: GaSessions } {
  if (sent === null || sent === undefined) return {};
  if (typeof sent === "string") return { clientId: sent };
  let clientId: string | undefined;
  const found: { stream: string; id: string; hit: number }[] = [];
  for (const cookie of sent) {
    const eq = cookie.indexOf("=");
    if (eq < 0) continue;
    const name = cookie.slice(0, eq);
    const value = cookie.slice(eq + 1).trim();
    if (name === "_ga") {
      if (clientId === undefined && gaClientIdOf(value)) clientId = value;
      continue;
    }
    const stream = name.startsWith("_ga_") ? name.slice(4) : "";
    const id = STREAM.test(stream) ? gaSessionIdOf(value) : null;
    if (id === null || found.some((f) => f.stream === stream)) continue;
    found.push({ stream, id, hit: gaLastHitOf(value) });
  }
  // Latest hit first (a stable sort: equal ones in the page's order), the first GA_STREAMS_MAX kept.
  const kept = found.sort((a, b) => b.hit - a.hit).slice(0, GA_STREAMS_MAX);
  const sessions: GaSessions = Object.fromEntries(kept.map((f) => [f.stream, f.id]));
  return { ...(clientId !== undefined && { clientId }), ...(kept.length > 0 && { sessions }) };
}

/**
 * A later page view's session ids over a session's: each stream's latest wins (a call joins the GA
 * session it came from, not the visit's first), the others kept, at most GA_STREAMS_MAX (the latest first).
 */
export function laterGaSessions(had: GaSessions | undefined, now: GaSessions | undefined): GaSessions | undefined {
  if (!now) return had;
  const out: GaSessions = { ...now };
  for (const [stream, id] of Object.entries(had ?? {})) if (!Object.hasOwn(out, stream) && Object.keys(out).length < GA_STREAMS_MAX) out[stream] = id;
  return out;
}

/** Session ids read back from storage (a lease's source JSON), defensively: only well-formed entries. */
export function storedGaSessions(v: unknown): GaSessions | null {
  const parsed = GaSessionsSchema.safeParse(v);
  return parsed.success && Object.keys(parsed.data).length ? parsed.data : null;
}
