/**
 * A stored call as the API shows it (`Call` in schemas/calls.ts): its source when attributed, the
 * lease, the route it took with each attempt's result, its outcome, deliveries and ad uploads. Pure.
 */
import type { Call, CallSource, Delivery } from "../schemas/calls";
import { isCallerNumber } from "../voice/input";
import { type CallRow, conversionsOf, logOf, takenOf } from "./call-row";

export function callView(r: CallRow, deliveries: Delivery[]): Call {
  const source: CallSource | null = r.attributed
    ? {
        name: r.source_name,
        referrer: r.referrer,
        landing: r.landing,
        utm: { source: r.utm_source, medium: r.utm_medium, campaign: r.utm_campaign, term: r.utm_term, content: r.utm_content },
        clickIds: {
          gclid: r.gclid,
          gbraid: r.gbraid,
          wbraid: r.wbraid,
          dclid: r.dclid,
          msclkid: r.msclkid,
          fbclid: r.fbclid,
          ttclid: r.ttclid,
          li_fat_id: r.li_fat_id,
          gcl_aw: r.gcl_aw,
          gcl_gb: r.gcl_gb,
        },
        gaClientId: r.ga_client_id,
        gaSessionIds: gaSessionsView(r.ga_session_ids),
        consent: consentView(r.consent),
      }
    : null;
  return {
    id: r.id,
    pool: r.pool_id,
    trackingNumber: r.tracking_number,
    caller: r.caller,
    callerWithheld: !isCallerNumber(r.caller),
    startedAt: r.started_at,
    receivedAt: r.received_at,
    attributed: r.attributed === 1,
    reason: r.reason,
    session: r.session,
    source,
    lease: r.leased_at !== null ? { leasedAt: r.leased_at, expiresAt: r.lease_expires_at!, endedAt: r.lease_ended_at, endReason: r.lease_end_reason } : null,
    route: routeView(r),
    recordingUrl: r.recording_url ?? null,
    provider: r.provider,
    outcome: r.outcome,
    talkSeconds: r.talk_seconds,
    endedAt: r.ended_at,
    deliveries,
    conversions: Object.values(conversionsOf(r.conversions)),
  };
}

/** The stored GA session ids (none on a call stored before they were, or archived before: undefined). */
/** A call row's GA session ids by stream (stored well-formed, call-facts.ts), or null. */
export function gaSessionsView(json: string | null | undefined): CallSource["gaSessionIds"] {
  return json ? (JSON.parse(json) as Record<string, string>) : null;
}

function consentView(json: string | null): CallSource["consent"] {
  if (!json) return null;
  const c = JSON.parse(json) as Record<string, "granted" | "denied" | undefined>;
  return {
    adStorage: c.adStorage ?? null,
    adUserData: c.adUserData ?? null,
    adPersonalization: c.adPersonalization ?? null,
    analyticsStorage: c.analyticsStorage ?? null,
  };
}

/** The route a call took, for the API: the list, why, each attempt tried with its result, who answered. */
function routeView(r: CallRow): Call["route"] {
  const taken = takenOf(r);
  const log = logOf(r);
  const attempts = (taken?.plan.steps ?? []).flatMap((step, i) => {
    // Its latest report that tells a result: a provider's events are separate requests, and one
    // that tells none (Vonage's ringing landing after its leg's timeout) does not undo the result.
    const reports = log.filter((a) => a.step === i);
    const ended = reports.filter((a) => a.outcome !== null).at(-1) ?? reports.at(-1);
    const tried = i === 0 || log.some((a) => a.step === i - 1);
    if (!tried) return [];
    const to = step.kind === "dial" ? step.to : [];
    return [{ step: i, kind: step.kind, to, status: ended?.status ?? null, outcome: ended?.outcome ?? null }];
  });
  return {
    action: r.action,
    to: r.routed_to,
    list: taken?.list ?? null,
    by: taken?.by ?? null,
    exception: taken?.exception ?? null,
    attempts,
    answeredBy: r.answered_by ?? null,
  };
}
