import { z } from "@hono/zod-openapi";
import { SESSION_ID_PATTERN } from "../../shared/protocol";
import { isTimeZone } from "../domain/schedule";
import { CALL_ID } from "../voice/input";
import { PoolIdSchema } from "./common";
import { CallConversionSchema } from "./conversions";

const text = z.string().nullable();
const consentValue = z.enum(["granted", "denied"]).nullable();

export const CALL_REASONS = ["live", "grace", "overflow", "no_lease", "unknown_number"] as const;
export const CALL_ACTIONS = ["transfer", "whisper", "fallback", "hangup", "message", "voicemail"] as const;
export const CALL_OUTCOMES = ["answered", "busy", "no-answer", "failed", "canceled"] as const;
export const VOICE_PROVIDERS = ["reference", "twilio", "signalwire", "telnyx", "plivo", "vonage"] as const;
/** google_ads / microsoft_ads: offline click conversion uploads (event call.completed). */
export const DELIVERY_KINDS = ["ga4", "webhook", "google_ads", "microsoft_ads"] as const;
/**
 * A call's deliveries: `call` when it rang (stored), `call.completed` when its outcome is known,
 * `call.recording` (webhook only) when its recording's URL came after call.completed had gone out.
 */
export const DELIVERY_EVENTS = ["call", "call.completed", "call.recording"] as const;
/** pending (incl. retrying after a failure) | delivered | dead (the dead letter: retries ran out, or the integration was removed). */
export const DELIVERY_STATUSES = ["pending", "delivered", "dead"] as const;

export const DeliverySchema = z
  .object({
    id: z.string().openapi({ description: "The delivery's id (POST /v1/deliveries/{id}/redeliver)." }),
    kind: z.enum(DELIVERY_KINDS),
    event: z.enum(DELIVERY_EVENTS),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number(),
    lastStatus: z.number().nullable().openapi({ description: "HTTP status of the last attempt (null: no answer)." }),
    lastError: text,
    nextAttemptAt: z.number().nullable(),
    deliveredAt: z.number().nullable(),
    createdAt: z.number(),
  })
  .openapi("Delivery");

export const CallSourceSchema = z
  .object({
    name: text,
    referrer: text,
    landing: text,
    utm: z.object({ source: text, medium: text, campaign: text, term: text, content: text }),
    clickIds: z.object({
      gclid: text,
      gbraid: text,
      wbraid: text,
      dclid: text,
      msclkid: text,
      fbclid: text,
      ttclid: text,
      li_fat_id: text,
      gcl_aw: text.openapi({ description: "The raw _gcl_aw cookie value the page had (GCL.<ts>.<gclid>)." }),
      gcl_gb: text.openapi({ description: "The raw _gcl_gb cookie value the page had (GCL.<ts>.<gbraid>)." }),
    }),
    gaClientId: text,
    gaSessionIds: z
      .record(z.string(), z.string())
      .nullable()
      .openapi({
        description:
          "The visit's GA session ids by GA4 stream (the measurement id G-<STREAM> without \"G-\"), from its `_ga_<STREAM>` cookies at its latest page view before the call: the GA4 event carries its measurement id's as session_id. Null: none known.",
        example: { ABC123XYZ: "1747132561" },
      }),
    consent: z
      .object({ adStorage: consentValue, adUserData: consentValue, adPersonalization: consentValue, analyticsStorage: consentValue })
      .nullable()
      .openapi({ description: "The visit's consent state as the snippet sent it (null: no consent signal)." }),
  })
  .openapi("CallSource");

export const CallSchema = z
  .object({
    id: z.string().openapi({ description: "The provider's call id." }),
    pool: text.openapi({ description: "Pool owning the dialled number; null when it is not this account's." }),
    trackingNumber: z.string(),
    caller: text.openapi({
      description: "The caller's number as E.164; a withheld caller id (callerWithheld) as the provider sent it (`anonymous`, Twilio's `+266696687`).",
    }),
    callerWithheld: z.boolean().openapi({
      description:
        "The caller id is no phone number: withheld, anonymous, restricted or unavailable (spelt out or as a keypad spelling with a plus, which no numbering plan holds). Such a call is nobody's repeat call and has no phone for ad platforms.",
    }),
    startedAt: z.number(),
    receivedAt: z.number(),
    attributed: z.boolean(),
    reason: z
      .enum(CALL_REASONS)
      .openapi({ description: "live | grace (after the lease ended, inside the grace window) | overflow | no_lease | unknown_number" }),
    session: text,
    source: CallSourceSchema.nullable(),
    lease: z.object({ leasedAt: z.number(), expiresAt: z.number(), endedAt: z.number().nullable(), endReason: text }).nullable(),
    route: z.object({
      action: z.enum(CALL_ACTIONS),
      to: text.openapi({ description: "Number the call was forwarded to (first)." }),
      list: text.openapi({ description: "The pool route's step list the call ran (null: no route, the pool's first destination)." }),
      by: z
        .enum(["weekly", "exception", "otherwise", "start"])
        .nullable()
        .openapi({ description: "Why that list: a weekly range, a dated exception, outside every range, or the route's start list (no schedule)." }),
      exception: text.openapi({ description: "The dated exception (holiday) of that day, by name." }),
      attempts: z
        .array(
          z.object({
            step: z.number(),
            kind: z.enum(["dial", "message", "voicemail", "hangup"]),
            to: z.array(z.string()),
            status: text.openapi({ description: "The provider's word when the attempt ended (null: still running, or it ended the call)." }),
            outcome: z.enum(CALL_OUTCOMES).nullable(),
          }),
        )
        .openapi({ description: "Each attempt of the route that ran, in order (failover: one per number)." }),
      answeredBy: text.openapi({ description: "The destination that answered." }),
    }),
    recordingUrl: text.openapi({
      description:
        "The provider's URL of the call's recording or voicemail. It may need the provider's credentials (Twilio, Vonage) or expire (Telnyx: 10 minutes): GET /v1/calls/{id}/recording fetches it with the account's.",
    }),
    provider: z.enum(VOICE_PROVIDERS).openapi({ description: "The voice provider whose callback brought the call." }),
    outcome: z.enum(CALL_OUTCOMES).nullable().openapi({
      description:
        "From the provider's status callbacks: answered (the forwarded call was picked up) | busy | no-answer | failed | canceled; null until one arrives.",
    }),
    talkSeconds: z.number().nullable().openapi({ description: "Talk time of the forwarded call, seconds (0 when not answered; null when not reported)." }),
    endedAt: z.number().nullable().openapi({ description: "When the call ended (ms since epoch), as the provider reported it." }),
    deliveries: z.array(DeliverySchema),
    conversions: z
      .array(CallConversionSchema)
      .openapi({ description: "Uploads to Google Ads / Microsoft Ads (configured platforms only): pending, uploaded, skipped or failed, with the reason." }),
  })
  .openapi("Call");

/** Whether a YYYY-MM-DD that begins a value is a day of the calendar (Date.parse reads 2031-02-30 as 2 March). */
function calendarDay(v: string): boolean {
  const day = /^(\d{4})-(\d{2})-(\d{2})/.exec(v);
  if (!day) return true;
  const t = Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]));
  return new Date(t).toISOString().slice(0, 10) === day[0];
}

/** ms since epoch, or an ISO 8601 date. */
const TimeParam = z
  .string()
  .max(40)
  .transform((v, ctx) => {
    const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
    if (!Number.isFinite(n)) {
      ctx.addIssue({ code: "custom", message: "ms since epoch or an ISO 8601 date" });
      return z.NEVER;
    }
    // A day that does not exist is a malformed request, not the day Date.parse rolls it over to.
    if (!calendarDay(v)) {
      ctx.addIssue({ code: "custom", message: `${v.slice(0, 10)} is not a day of the calendar` });
      return z.NEVER;
    }
    return n;
  })
  .openapi({ type: "string", example: "2026-01-01T00:00:00Z" });

const filters = {
  pool: PoolIdSchema.optional().openapi({ description: "Only calls to this pool's numbers." }),
  source: z.string().min(1).max(64).optional().openapi({ description: "Source name, e.g. google-ads." }),
  attributed: z.enum(["true", "false"]).optional().openapi({ description: "true: only calls matched to a visit; false: only unattributed ones." }),
  outcome: z
    .enum([...CALL_OUTCOMES, "pending"])
    .optional()
    .openapi({ description: "Outcome, or pending for calls with none yet." }),
  from: TimeParam.optional().openapi({ description: "Calls started at or after (ms since epoch or ISO 8601)." }),
  to: TimeParam.optional().openapi({ description: "Calls started before." }),
};

export const CallFilterQuerySchema = z.object(filters);
export const CallListQuerySchema = z.object({
  ...filters,
  limit: z.coerce.number().int().min(1).max(500).default(50).openapi({ description: "Calls per page, 1 to 500." }),
  cursor: z.string().max(200).optional().openapi({ description: "nextCursor of the previous page." }),
});

export const CallListSchema = z.object({ calls: z.array(CallSchema), nextCursor: z.string().nullable() }).openapi("CallList");

/** What `GET /v1/stats/calls?groupBy=` totals by: source name, utm_campaign, landing page (URL without query), pool. */
export const CALL_GROUPINGS = ["source", "campaign", "landing", "pool"] as const;
export type CallGrouping = (typeof CALL_GROUPINGS)[number];

export const CallStatsQuerySchema = CallFilterQuerySchema.extend({
  timeZone: z.string().max(64).refine(isTimeZone, "an IANA time zone, e.g. America/New_York").optional().openapi({
    description:
      "Count `days` as this IANA time zone's days (a business's, a viewer's) instead of UTC days; a `from` or `to` given as a day alone (2026-03-01) is then that day's midnight in the zone.",
    example: "America/Los_Angeles",
  }),
  groupBy: z.enum(CALL_GROUPINGS).optional().openapi({
    description:
      "Also answer `groups`: the range's totals by source name, utm_campaign, landing page (the landing URL without its query and fragment) or pool; null is calls without one.",
  }),
});

const CallTotalsSchema = z.object({
  calls: z.number(),
  attributed: z.number(),
  answered: z.number(),
  talkSeconds: z.number().openapi({ description: "Total talk time of the answered calls." }),
});

export const CallGroupSchema = CallTotalsSchema.extend({
  key: text.openapi({ description: "The source name, campaign, landing page or pool id (null: calls without one)." }),
}).openapi("CallGroup");

export const CallStatsSchema = z
  .object({
    days: z.array(
      z.object({
        day: z.string().openapi({ example: "2026-01-31" }),
        source: text,
        calls: z.number(),
        attributed: z.number(),
        answered: z.number(),
        talkSeconds: z.number().openapi({ description: "Total talk time of the answered calls." }),
      }),
    ),
    total: CallTotalsSchema,
    groupBy: z.enum(CALL_GROUPINGS).optional().openapi({ description: "The grouping asked for (absent without groupBy)." }),
    groups: z
      .array(CallGroupSchema)
      .optional()
      .openapi({ description: "With groupBy: the range's totals per group, most calls first (absent without groupBy)." }),
  })
  .openapi("CallStats");

export const OrphanReportSchema = z
  .object({
    callId: z.string(),
    provider: z.enum(VOICE_PROVIDERS),
    level: z.enum(["dial", "call"]).openapi({ description: "dial: about the forwarded leg; call: about the caller's call." }),
    status: z.string().openapi({ description: "The provider's status word, as sent." }),
    outcome: z.enum(CALL_OUTCOMES).nullable(),
    talkSeconds: z.number().nullable(),
    endedAt: z.number().nullable(),
    receivedAt: z.number(),
    reason: z.string(),
    expiresAt: z.number().openapi({ description: "When it is forgotten if its call never arrives." }),
  })
  .openapi("OrphanReport");

export const OrphanReportsSchema = z.object({ reports: z.array(OrphanReportSchema) }).openapi("OrphanReports");
export type OrphanReport = z.infer<typeof OrphanReportSchema>;

export const CallerErasureSchema = z
  .object({
    caller: z.string().min(3).max(64).optional().openapi({
      description: "The caller's phone number, E.164 or international digits (`+44 20 7946 0958`, `004420…`, `tel:+4420…`).",
      example: "+442079460958",
    }),
    session: z.string().regex(SESSION_ID_PATTERN).optional().openapi({
      description:
        "A visit's session id (the snippet keeps it in the visitor's localStorage, `dni:a`.session): its calls, and its touch (landing, referrer, click ids, GA client id) on every pool's leases.",
    }),
  })
  .strict()
  .refine((b) => (b.caller === undefined) !== (b.session === undefined), { message: "give caller or session, one of them", path: ["caller"] })
  .openapi("CallerErasure");

export const CallerErasedSchema = z
  .object({
    erased: z.number().int().openapi({ description: "Calls erased by this request." }),
    more: z.boolean().openapi({ description: "More of these calls are left: send the same request again." }),
  })
  .openapi("CallerErased");

export const CallParamSchema = z.object({
  id: z
    .string()
    .regex(CALL_ID)
    .openapi({ param: { name: "id", in: "path" }, description: "The call id (the provider's call id)." }),
});

export type Call = z.infer<typeof CallSchema>;
export type CallSource = z.infer<typeof CallSourceSchema>;
export type Delivery = z.infer<typeof DeliverySchema>;
export type CallStats = z.infer<typeof CallStatsSchema>;
export type CallGroup = z.infer<typeof CallGroupSchema>;
export type CallReason = (typeof CALL_REASONS)[number];
export type CallAction = (typeof CALL_ACTIONS)[number];
export type DeliveryKind = (typeof DELIVERY_KINDS)[number];
export type DeliveryEvent = (typeof DELIVERY_EVENTS)[number];
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

/** What the account object is asked for (plain data over RPC). */
export interface CallFilter {
  pool?: string;
  source?: string;
  attributed?: boolean;
  outcome?: CallOutcome | "pending";
  from?: number;
  to?: number;
  /** Stats only: the days are this IANA time zone's (none: UTC days). Filters nothing. */
  timeZone?: string;
}
export interface CallPageQuery extends CallFilter {
  limit: number;
  cursor?: string;
  /** Leave out deliveries (the CSV export does not show them). */
  withDeliveries?: boolean;
}
export interface CallPage {
  calls: Call[];
  nextCursor: string | null;
}
