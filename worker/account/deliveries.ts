/**
 * What we send about a call, and one attempt at sending any outbox row: a GA4 Measurement Protocol
 * event, a Standard Webhooks signed JSON webhook (calls and alerts), an alert email. Bodies are built
 * once, when the row is queued; secrets and URLs are read from the account's current settings at
 * each attempt, and a GA4 body's stream-bound session id and its timestamp are settled as it goes
 * (ga4AsSent).
 */
import { adUserDataOf } from "../domain/conversions";
import { type GaSessions, gaStreamOf } from "../domain/ga-cookies";
import { outboundFetch } from "../platform/outbound";
import { retryAfterMs } from "../platform/retry-after";
import { standardWebhookHeaders } from "../platform/standard-webhooks";
import type { Call, DeliveryEvent } from "../schemas/calls";
import type { DeliveryItem } from "../schemas/deliveries";
import type { IntegrationConfig, WebhookConfig } from "../schemas/voice";
import { emailRequest } from "./alert-email";
import { fieldOf, type SecretName } from "./integration-secrets";
import type { OutboxRow } from "./outbox";
import { previousSigning } from "./settings";

export const GA4_ENDPOINT = "https://www.google-analytics.com/mp/collect";
/** The Measurement Protocol reference's endpoint "if you want your data to be collected in the EU". */
export const GA4_EU_ENDPOINT = "https://region1.google-analytics.com/mp/collect";
export const GA4_EVENT = "phone_call";
/** Sent when the call's outcome is known, with `call_outcome` and `call_duration` (talk seconds). */
export const GA4_COMPLETED_EVENT = "phone_call_completed";
const TIMEOUT_MS = 10_000;
/** The longest a receiver's Retry-After puts the next attempt off: the retry schedule's longest wait. */
const MAX_RETRY_AFTER_MS = 12 * 3_600_000;
/** GA4 takes an event's timestamp_micros up to 72 hours back (less a margin for the request's own time). */
export const GA4_MAX_AGE_MS = 72 * 3_600_000 - 60_000;
/** Why an event older than that is not sent (GA4 would take it, dated 72 hours ago). */
export const GA4_TOO_OLD = "GA4 takes events up to 72 hours old (an older one it would date 72 hours ago): not sent";

/**
 * GA4 logs no event parameter whose value is over 100 characters (its event collection limits:
 * the parameter is dropped, silently). A text (a long utm_content, a campaign name) is cut to that;
 * an id (a provider's call id, a gclid) that long is left out, since a part of one would join to
 * nothing or to the wrong thing.
 */
export const GA4_VALUE_MAX = 100;
const ga4Text = (v: string): string => {
  const chars = [...v];
  return chars.length > GA4_VALUE_MAX ? chars.slice(0, GA4_VALUE_MAX).join("") : v;
};

/**
 * The Measurement Protocol body for an attributed call with a GA client id, else null: the ring
 * (`phone_call`), or with `completed` the outcome (`phone_call_completed`: `call_outcome`,
 * `call_duration` in seconds, `call_answered` 1/0). `measurementId`: the stream it goes to, whose
 * GA session id (the visit's `_ga_<STREAM>` cookie) the event carries as `session_id`, when known.
 */
export function ga4Payload(call: Call, measurementId: string, completed = false): string | null {
  const s = call.source;
  if (!call.attributed || !s?.gaClientId) return null;
  const params: Record<string, string | number> = {
    source: ga4Text(s.utm.source ?? s.name ?? "(direct)"),
    medium: ga4Text(s.utm.medium ?? "(none)"),
    campaign: ga4Text(s.utm.campaign ?? "(not set)"),
    pool: ga4Text(call.pool ?? ""),
    tracking_number: call.trackingNumber,
    attribution: call.reason,
    engagement_time_msec: 1,
  };
  // GA4 joins an event to a session by its session_id (with the client id): the call then has the
  // visit's session source/medium and shows in Realtime. The stream's own, or none: another
  // stream's session is not this one's. (GA4 attributes it so within 24 hours of the session's
  // start, per its Measurement Protocol use cases; a later call is logged all the same.)
  const sessionId = s.gaSessionIds?.[gaStreamOf(measurementId)];
  if (sessionId) params.session_id = sessionId;
  if (call.id.length <= GA4_VALUE_MAX) params.call_id = call.id;
  if (s.name) params.dni_source = ga4Text(s.name);
  if (s.utm.term) params.term = ga4Text(s.utm.term);
  if (s.utm.content) params.content = ga4Text(s.utm.content);
  if (s.clickIds.gclid && s.clickIds.gclid.length <= GA4_VALUE_MAX) params.gclid = s.clickIds.gclid;
  if (completed) {
    params.call_outcome = call.outcome ?? "unknown";
    params.call_duration = call.talkSeconds ?? 0;
    params.call_answered = call.outcome === "answered" ? 1 : 0;
  }
  // GA4 takes timestamps up to 72 h old; the outcome's is when the call ended.
  const at = completed ? (call.endedAt ?? call.startedAt) : call.startedAt;
  const body: Record<string, unknown> = { client_id: s.gaClientId, timestamp_micros: at * 1000 };
  // The visit's ad consent as Measurement Protocol takes it (GRANTED | DENIED): a visit that denied
  // ad data (or, with no ad_user_data signal, ad_storage) must not feed a linked Google Ads account
  // through GA4, as no upload does. Unknown: none sent (GA4's default).
  const consent: Record<string, string> = {};
  const adUserData = adUserDataOf(s.consent);
  if (adUserData) consent.ad_user_data = adUserData.toUpperCase();
  if (s.consent?.adPersonalization) consent.ad_personalization = s.consent.adPersonalization.toUpperCase();
  if (Object.keys(consent).length) body.consent = consent;
  body.events = [{ name: completed ? GA4_COMPLETED_EVENT : GA4_EVENT, params }];
  return JSON.stringify(body);
}

/**
 * A queued GA4 body as it goes out at `now` to `measurementId`:
 * - each event's `session_id` that stream's, from the call's GA session ids (`sessions`), or none:
 *   the body was built for the measurement id configured when its call was stored, and the
 *   account may have moved to another stream since;
 * - `timestamp_micros` no later than `now`: GA4 takes it as when the event happened, in the past
 *   ("<= request time" in its use cases); a provider's clock may run ahead of ours (a call's start
 *   is taken up to 5 minutes ahead, its end from the provider), and the ring's event goes at once.
 */
export function ga4AsSent(payload: string, measurementId: string, sessions: GaSessions | null, now: number): string {
  const body = JSON.parse(payload) as { timestamp_micros?: unknown; events?: { params?: Record<string, unknown> }[] };
  const sessionId = sessions?.[gaStreamOf(measurementId)];
  for (const e of body.events ?? []) {
    if (!e.params) continue;
    if (sessionId) e.params.session_id = sessionId;
    else delete e.params.session_id;
  }
  if (typeof body.timestamp_micros === "number" && body.timestamp_micros > now * 1000) body.timestamp_micros = now * 1000;
  return JSON.stringify(body);
}

/** The webhook body: the call as the API shows it (without delivery status); type `call` or `call.completed`. */
export function webhookPayload(accountId: string, call: Call, type: DeliveryEvent = "call"): string {
  const { deliveries: _deliveries, ...rest } = call;
  return JSON.stringify({ type, accountId, call: rest });
}

/**
 * An attempt's result; `retryAfterMs`: the receiver's Retry-After on a 429 or 503 (the next attempt
 * not before it); `notSent`: given up for a reason of ours, not the receiver's (a GA4 event too old,
 * an integration removed on purpose): no delivery.failing about the receiver.
 */
export type Attempt = { ok: true; status: number } | { ok: false; status: number | null; error: string; final: boolean; retryAfterMs?: number; notSent?: true };

/** The Standard Webhooks message id of a delivery: the same on every retry and redelivery, unique across accounts. */
export const webhookId = (accountId: string, rowId: number) => `msg_${accountId}_${rowId}`;

type Built = { req: Request; trusted: boolean } | null;

/** A delivery as GET /v1/deliveries shows it. */
export function deliveryItem(row: OutboxRow, accountId: string): DeliveryItem {
  const alert = row.kind === "alert" || row.kind === "alert_email";
  return {
    id: String(row.id),
    webhookId: row.kind === "webhook" || row.kind === "alert" ? webhookId(accountId, row.id) : null,
    kind: row.kind as DeliveryItem["kind"],
    event: alert ? alertType(row.payload) : row.event,
    callId: alert ? null : row.call_id,
    status: row.status,
    attempts: row.attempts,
    redeliveries: row.redeliveries,
    lastStatus: row.last_status,
    lastError: row.last_error,
    nextAttemptAt: row.next_attempt_at,
    deliveredAt: row.delivered_at,
    createdAt: row.created_at,
  };
}

function request(row: OutboxRow, config: IntegrationConfig, accountId: string): Promise<Built> | Built {
  if (row.kind === "ga4") {
    if (!config.ga4) return null;
    const url = new URL(config.ga4.region === "eu" ? GA4_EU_ENDPOINT : GA4_ENDPOINT);
    url.searchParams.set("measurement_id", config.ga4.measurementId);
    url.searchParams.set("api_secret", config.ga4.apiSecret);
    return { req: new Request(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: row.payload }), trusted: true };
  }
  if (row.kind === "alert_email")
    // A redelivery is one more email, asked for: its own Idempotency-Key (Resend keeps a key 24 h:
    // the same one sent nothing and answered as sent, or 409 when the recipients had changed).
    return config.alertEmail
      ? { req: emailRequest(config.alertEmail, webhookId(accountId, row.id) + (row.redeliveries ? `.r${row.redeliveries}` : ""), row.payload), trusted: true }
      : null;
  const hook = row.kind === "alert" ? config.alertWebhook : config.webhook;
  return hook ? signedPost(hook, row.kind === "alert" ? alertType(row.payload) : row.event, webhookId(accountId, row.id), row.payload) : null;
}

/**
 * A webhook request: JSON body, Standard Webhooks headers (webhook-id the same on every attempt), X-DNI-Event for routing.
 * Its webhook-timestamp is when it is made, just before it goes: not the time the alarm's run began
 * (the upkeep and earlier rounds before it may take minutes, and receivers refuse a timestamp more than
 * five minutes off theirs).
 */
async function signedPost(hook: WebhookConfig, event: string, id: string, payload: string): Promise<Built> {
  const now = Date.now();
  // For a day after the secret changed, the one it replaced signs too: a receiver still holding it verifies.
  const previous = previousSigning(hook, now);
  const headers = {
    "Content-Type": "application/json",
    "User-Agent": "edge-dni-webhook/2",
    "X-DNI-Event": event,
    ...(await standardWebhookHeaders(previous ? [hook.secret, previous] : [hook.secret], id, payload, now)),
  };
  return { req: new Request(hook.url, { method: "POST", headers, body: payload, redirect: "manual" }), trusted: false };
}

/** The integration whose secret a delivery of each kind is sent with. */
const SECRET_OF: Partial<Record<string, SecretName>> = { ga4: "ga4", alert_email: "alertEmail", alert: "alertWebhook", webhook: "webhook" };

/** The secret a delivery of `kind` is sent with ("" when it cannot be read; undefined: none, or not configured). */
const secretOf = (kind: string, config: IntegrationConfig): string | undefined => {
  const name = SECRET_OF[kind];
  return name && fieldOf(config, name);
};

const alertType = (payload: string) => String((JSON.parse(payload) as { type?: unknown }).type ?? "pool.alert");

/**
 * One attempt under the outbound policy (platform/outbound.ts): any 2xx is delivered; anything else
 * (status, refusal, network error, timeout) is retried. Only the target's status is kept, never its body.
 * `stillWanted` is asked right before the request goes, after signing and the receiver's lookup
 * (awaits a Durable Object takes other requests in, an erasure among them): null when it said no,
 * nothing sent and nothing to record.
 */
export async function attempt(row: OutboxRow, config: IntegrationConfig, accountId: string, now: number, stillWanted: () => boolean): Promise<Attempt | null> {
  // GA4 takes events backdated up to 72 hours; an older one it answers 2xx all the same and logs as
  // 72 hours old (its sending guide, "Validation behavior for past events": RELAXED, the default):
  // a call on the wrong day. Not sent, and never "delivered".
  if (row.kind === "ga4") {
    const micros = (JSON.parse(row.payload) as { timestamp_micros?: unknown }).timestamp_micros;
    if (typeof micros === "number" && now - micros / 1000 > GA4_MAX_AGE_MS) return { ok: false, status: null, error: GA4_TOO_OLD, final: true, notSent: true };
  }
  // A sealed secret that cannot be opened (no SECRETS_KEY, or one without the key it was sealed
  // with) reads as "": nothing goes out unsigned or unauthenticated; the row waits on its backoff
  // for the key, then is dead with this reason, for redelivery (integration-secrets.ts).
  if (secretOf(row.kind, config) === "")
    return { ok: false, status: null, error: `${row.kind}'s secret cannot be read: SECRETS_KEY is not set or lacks the key it was sealed with`, final: false };
  const built = await request(row, config, accountId);
  if (!built) return { ok: false, status: null, error: `${row.kind} is no longer configured for this account`, final: true, notSent: true };
  const sent = await outboundFetch(built.req, { timeoutMs: TIMEOUT_MS, trusted: built.trusted, stillWanted });
  if ("withdrawn" in sent) return null;
  if (!sent.ok) return { ok: false, status: null, error: sent.reason, final: false };
  const status = sent.response.status;
  if (status >= 200 && status < 300) return { ok: true, status };
  // The Measurement Protocol answers 2xx to whatever it received, even a payload it drops; anything
  // else is about the request itself, and its reference says not to retry the same request. A 4xx
  // (bar 408 and 429) is that: dead at once. A 5xx, 408 or 429 is Google's side, and retried.
  if (row.kind === "ga4" && status >= 400 && status < 500 && status !== 408 && status !== 429)
    return { ok: false, status, error: `HTTP ${status}: GA4 refused the request itself; the same request is not retried`, final: true };
  const note = status >= 300 && status < 400 ? " (redirects are not followed)" : "";
  // A receiver (Resend, a webhook's host) that asks to wait is not asked again before then: its
  // schedule's 30 s would spend attempts and call the delivery failing (at most 12 h: the schedule's longest wait).
  const wait = status === 429 || status === 503 ? retryAfterMs(sent.response.headers.get("Retry-After")) : undefined;
  return {
    ok: false,
    status,
    error: `HTTP ${status}${note}`,
    final: false,
    ...(wait !== undefined ? { retryAfterMs: Math.min(wait, MAX_RETRY_AFTER_MS) } : {}),
  };
}
