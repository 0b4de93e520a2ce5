/**
 * Google's Data Manager API at the network edge (events:ingest), built from its reference and
 * guides: the request checked against Google's protos (data-manager-protos.ts) and what the guides
 * add (an access token and no developer token; the operating account a 10-digit Google Ads customer;
 * productDestinationId the conversion action's numeric id; hashed identifiers hex with `encoding`),
 * answered with `{ requestId }`, or refused whole in the guide's error shape (fast-fail: nothing in a
 * refused request is processed).
 */
import { expect } from "vitest";
import type { Seen } from "./calls-helpers";
import { protoProblems } from "./data-manager-protos";

export const INGEST_PATH = "/v1/events:ingest";

/** A refusal of one event, as the guide's BadRequest field violations give it. */
export interface EventRefusal {
  reason: string;
  description: string;
}

export interface DataManagerState {
  /** Whole-request answers to give instead of processing the next requests, in order. */
  next: { status: number; body: unknown }[];
  /** Events refused (fast-fail) by their click id: the request naming one is refused whole. */
  refuse: Map<string, EventRefusal>;
  /** What Google took: `<conversion action> <transactionId>` → times (more than 1: a duplicate its diagnostics report). */
  taken: Map<string, number>;
  requests: number;
}

export const dataManagerState = (): DataManagerState => ({ next: [], refuse: new Map(), taken: new Map(), requests: 0 });

/** A Data Manager API error (google.rpc.Status): ErrorInfo, RequestInfo and, for INVALID_ARGUMENT, BadRequest. */
export function dmError(
  httpStatus: number,
  status: string,
  message: string,
  opts: { reason?: string; domain?: string; violations?: { field: string; description: string; reason: string }[] } = {},
) {
  const requestId = `t-err-${httpStatus}`;
  const details: unknown[] = [];
  if (opts.reason)
    details.push({
      "@type": "type.googleapis.com/google.rpc.ErrorInfo",
      reason: opts.reason,
      domain: opts.domain ?? "datamanager.googleapis.com",
      metadata: { requestId },
    });
  details.push({ "@type": "type.googleapis.com/google.rpc.RequestInfo", requestId });
  if (opts.violations?.length) details.push({ "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: opts.violations });
  return { status: httpStatus, body: { error: { code: httpStatus, message, status, details } } };
}

interface Ingest {
  destinations: { operatingAccount: { accountType: string; accountId: string }; loginAccount?: { accountId: string }; productDestinationId: string }[];
  events: { transactionId?: string; adIdentifiers?: Record<string, string>; userData?: { userIdentifiers: { phoneNumber?: string }[] } }[];
  encoding?: string;
}

/** events:ingest. `bearerOk`: whether Google's token endpoint issued the access token sent. */
export function dataManager(s: DataManagerState, req: Seen, bearerOk: boolean): Response {
  expect(req.method).toBe("POST");
  expect(req.url.pathname).toBe(INGEST_PATH);
  expect(req.headers.get("Content-Type")).toContain("application/json");
  // The Data Manager API takes no developer token; the accounts travel in the body, not in headers.
  for (const h of ["developer-token", "login-customer-id", "linked-customer-id"]) expect(req.headers.get(h), h).toBeNull();
  if (!bearerOk)
    return Response.json({ error: { code: 401, message: "Request had invalid authentication credentials.", status: "UNAUTHENTICATED" } }, { status: 401 });
  s.requests++;
  const canned = s.next.shift();
  if (canned) return Response.json(canned.body, { status: canned.status });
  const body = JSON.parse(req.body) as Ingest;
  expect(protoProblems("IngestEventsRequest", body)).toEqual([]);
  expect(body.events.length).toBeGreaterThan(0);
  expect(body.events.length).toBeLessThanOrEqual(2000);
  for (const d of body.destinations) {
    expect(d.operatingAccount.accountType).toBe("GOOGLE_ADS");
    expect(d.operatingAccount.accountId).toMatch(/^\d{10}$/);
    if (d.loginAccount) expect(d.loginAccount.accountId).toMatch(/^\d{10}$/);
    // The numeric id, not the resource name (customers/…/conversionActions/…).
    expect(d.productDestinationId).toMatch(/^\d+$/);
  }
  const violations: { field: string; description: string; reason: string }[] = [];
  body.events.forEach((e, i) => {
    const ids = Object.entries(e.adIdentifiers ?? {}).filter(([k]) => ["gclid", "gbraid", "wbraid"].includes(k));
    expect(ids, "one click id per event").toHaveLength(1);
    for (const u of e.userData?.userIdentifiers ?? []) expect(u.phoneNumber).toMatch(/^[0-9a-f]{64}$/);
    if (e.userData) expect(body.encoding).toBe("HEX");
    const [type, id] = ids[0]!;
    const refusal = s.refuse.get(id);
    // As the guide's sample writes a violation's field.
    if (refusal) violations.push({ field: `events.events[${i}].ad_identifiers.${type}`, ...refusal });
  });
  if (violations.length)
    return dmResponse(dmError(400, "INVALID_ARGUMENT", "There was a problem with the request.", { reason: "INVALID_ARGUMENT", violations }));
  for (const d of body.destinations)
    for (const e of body.events) {
      const key = `${d.productDestinationId} ${e.transactionId}`;
      s.taken.set(key, (s.taken.get(key) ?? 0) + 1);
    }
  return Response.json({ requestId: `dm-req-${s.requests}` });
}

const dmResponse = (c: { status: number; body: unknown }) => Response.json(c.body, { status: c.status });
