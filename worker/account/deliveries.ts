/**
 * What we send about a call, and one attempt at sending it: a GA4 Measurement Protocol event,
 * and a signed JSON webhook. Bodies are built once, when the call is stored; secrets and URLs
 * are read from the account's current settings at each attempt.
 */
import { signatureHeaders } from "../platform/signing";
import type { Call } from "../schemas/calls";
import type { IntegrationConfig } from "../schemas/voice";
import type { OutboxRow } from "./outbox";

export const GA4_ENDPOINT = "https://www.google-analytics.com/mp/collect";
export const GA4_EVENT = "phone_call";
/** Sent when the call's outcome is known, with `call_outcome` and `call_duration` (talk seconds). */
export const GA4_COMPLETED_EVENT = "phone_call_completed";
const TIMEOUT_MS = 10_000;

/**
 * The Measurement Protocol body for an attributed call with a GA client id, else null: the ring
 * (`phone_call`), or with `completed` the outcome (`phone_call_completed`: `call_outcome`,
 * `call_duration` in seconds, `call_answered` 1/0).
 */
export function ga4Payload(call: Call, completed = false): string | null {
  const s = call.source;
  if (!call.attributed || !s?.gaClientId) return null;
  const params: Record<string, string | number> = {
    source: s.utm.source ?? s.name ?? "(direct)",
    medium: s.utm.medium ?? "(none)",
    campaign: s.utm.campaign ?? "(not set)",
    call_id: call.id,
    pool: call.pool ?? "",
    tracking_number: call.trackingNumber,
    attribution: call.reason,
    engagement_time_msec: 1,
  };
  if (s.name) params.dni_source = s.name;
  if (s.utm.term) params.term = s.utm.term;
  if (s.utm.content) params.content = s.utm.content;
  if (s.clickIds.gclid) params.gclid = s.clickIds.gclid;
  if (completed) {
    params.call_outcome = call.outcome ?? "unknown";
    params.call_duration = call.talkSeconds ?? 0;
    params.call_answered = call.outcome === "answered" ? 1 : 0;
  }
  // GA4 takes timestamps up to 72 h old; the outcome's is when the call ended.
  const at = completed ? (call.endedAt ?? call.startedAt) : call.startedAt;
  return JSON.stringify({ client_id: s.gaClientId, timestamp_micros: at * 1000, events: [{ name: completed ? GA4_COMPLETED_EVENT : GA4_EVENT, params }] });
}

/** The webhook body: the call as the API shows it (without delivery status); type `call` or `call.completed`. */
export function webhookPayload(accountId: string, call: Call, type: "call" | "call.completed" = "call"): string {
  const { deliveries: _deliveries, ...rest } = call;
  return JSON.stringify({ type, accountId, call: rest });
}

export type Attempt = { ok: true; status: number } | { ok: false; status: number | null; error: string; final: boolean };

async function request(row: OutboxRow, config: IntegrationConfig, now: number): Promise<Request | null> {
  if (row.kind === "ga4") {
    if (!config.ga4) return null;
    const url = new URL(GA4_ENDPOINT);
    url.searchParams.set("measurement_id", config.ga4.measurementId);
    url.searchParams.set("api_secret", config.ga4.apiSecret);
    return new Request(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: row.payload });
  }
  if (row.kind === "alert") return config.alertWebhook ? signedPost(config.alertWebhook, alertType(row.payload), row, now) : null;
  return config.webhook ? signedPost(config.webhook, row.event, row, now) : null;
}

/** A webhook request: JSON body, X-DNI-Event, X-DNI-Delivery (the same on every retry), signed. */
async function signedPost(hook: { url: string; secret: string }, event: string, row: OutboxRow, now: number): Promise<Request> {
  const headers = {
    "Content-Type": "application/json",
    "User-Agent": "edge-dni-webhook/1",
    "X-DNI-Event": event,
    "X-DNI-Delivery": String(row.id),
    ...(await signatureHeaders(hook.secret, row.payload, now)),
  };
  return new Request(hook.url, { method: "POST", headers, body: row.payload, redirect: "manual" });
}

const alertType = (payload: string) => String((JSON.parse(payload) as { type?: unknown }).type ?? "pool.alert");

/** One attempt: any 2xx is delivered; anything else (status, network error, timeout) is retried. */
export async function attempt(row: OutboxRow, config: IntegrationConfig, now: number): Promise<Attempt> {
  const req = await request(row, config, now);
  if (!req) return { ok: false, status: null, error: `${row.kind} is no longer configured for this account`, final: true };
  try {
    const res = await fetch(req, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    const text = await res.text().catch(() => "");
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
    return { ok: false, status: res.status, error: `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ""}`, final: false };
  } catch (err) {
    return { ok: false, status: null, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err), final: false };
  }
}
