/**
 * Alerts by email through the Resend HTTP API (https://resend.com/docs/api-reference/emails/send-email):
 *
 *   POST https://api.resend.com/emails   Authorization: Bearer re_…   Idempotency-Key: <alert key>
 *   { "from": "…", "to": ["…"], "subject": "…", "text": "…" }
 *
 * The subject and body come from templates the owner may change; `{{name}}` placeholders are filled
 * from the alert (unknown names are left empty). The Idempotency-Key is the alert's own key, so a
 * retry after a lost answer does not send the email twice; a redelivery (asked for: one more email)
 * has its own. Resend is a fixed endpoint of ours, not a
 * URL the account typed, so it is sent as a trusted outbound request.
 */
import type { AlertEmailConfig } from "../schemas/voice";

export const RESEND_ENDPOINT = "https://api.resend.com/emails";

export const DEFAULT_SUBJECT = "[edge-dni] {{title}}";
export const DEFAULT_TEXT = `{{message}}

Alert: {{type}}
Pool: {{pool}}
At: {{at}}

{{remedies}}
— edge-dni, account {{accountId}}`;

/** Every placeholder a template may use. */
export const TEMPLATE_FIELDS = ["type", "title", "message", "pool", "accountId", "at", "remedies"] as const;

const TITLES: Record<string, string> = {
  "pool.warning": "Pool running low",
  "pool.exhausted": "Pool ran dry",
  "pool.recovered": "Pool recovered",
  "pool.scaled": "Pool scaled",
  "pool.scale_failed": "Pool could not grow",
  "delivery.failing": "Deliveries failing",
  "delivery.recovered": "Deliveries recovered",
  "conversions.auth_failed": "Ad conversion uploads stopped",
  "conversions.upload_refused": "Ad conversion uploads refused",
  "number.release_failing": "A number could not be given back",
  "task.failing": "Background work failing",
  "task.recovered": "Background work recovered",
};

/** The values an alert body (a pool alert or an account alert) gives the template. */
export function templateValues(payload: string): Record<string, string> {
  const p = JSON.parse(payload) as {
    type?: string;
    accountId?: string;
    at?: number;
    message?: string;
    pool?: { id?: string; name?: string } | null;
    remedies?: { message?: string }[];
  };
  const type = p.type ?? "alert";
  const remedies = (p.remedies ?? []).map((r) => `- ${r.message ?? ""}`).join("\n");
  return {
    type,
    title: `${TITLES[type] ?? type}${p.pool?.name ? `: ${p.pool.name}` : ""}`,
    message: p.message ?? "",
    pool: p.pool ? `${p.pool.name ?? ""} (${p.pool.id ?? ""})` : "",
    accountId: p.accountId ?? "",
    at: typeof p.at === "number" ? new Date(p.at).toISOString() : "",
    remedies: remedies ? `What to do:\n${remedies}\n` : "",
  };
}

/** Fill `{{name}}` placeholders. */
export function render(template: string, values: Record<string, string>): string {
  // Own keys only: `{{constructor}}` is no placeholder (the values are a plain object).
  return template.replace(/\{\{\s*([A-Za-z]+)\s*\}\}/g, (_, name: string) => (Object.hasOwn(values, name) ? values[name]! : ""));
}

/** The Resend request for one alert. */
export function emailRequest(config: AlertEmailConfig, key: string, payload: string): Request {
  const values = templateValues(payload);
  const body = {
    from: config.from,
    to: config.to,
    subject: render(config.subject ?? DEFAULT_SUBJECT, values)
      .replace(/[\r\n]+/g, " ")
      .slice(0, 250),
    text: render(config.text ?? DEFAULT_TEXT, values),
  };
  return new Request(RESEND_ENDPOINT, {
    method: "POST",
    headers: { Authorization: `Bearer ${config.apiKey}`, "Content-Type": "application/json", "Idempotency-Key": key.slice(0, 256) },
    body: JSON.stringify(body),
  });
}
