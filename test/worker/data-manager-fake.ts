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
export const STATUS_PATH = "/v1/requestStatus:retrieve";

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
  /** validateOnly requests Google found valid (nothing taken). */
  validated: number;
  /** The request ids Google gave, with the events each carried. */
  issued: Map<string, number>;
  /**
   * What its diagnostics answer for a request id, in order (RetrieveRequestStatusResponse, REST JSON);
   * a request with none left: SUCCESS.
   */
  diagnostics: Map<string, unknown[]>;
}

export const dataManagerState = (): DataManagerState => ({
  next: [],
  refuse: new Map(),
  taken: new Map(),
  requests: 0,
  validated: 0,
  issued: new Map(),
  diagnostics: new Map(),
});

/** One destination's status as the diagnostics give it (int64 counts as strings, as proto3 JSON writes them). */
export function dmStatus(requestStatus: string, records: number, errors: Record<string, number> = {}) {
  return {
    requestStatusPerDestination: [
      {
        destination: { operatingAccount: { accountType: "GOOGLE_ADS", accountId: "1234567890" }, productDestinationId: "987654321" },
        requestStatus,
        ...(requestStatus === "PROCESSING"
          ? {}
          : {
              errorInfo: { errorCounts: Object.entries(errors).map(([reason, n]) => ({ recordCount: String(n), reason })) },
              eventsIngestionStatus: { recordCount: String(records) },
            }),
      },
    ],
  };
}

/** requestStatus:retrieve: a GET with the access token and the request id, nothing else. */
export function dataManagerStatus(s: DataManagerState, req: Seen, bearerOk: boolean): Response {
  expect(req.method).toBe("GET");
  expect(req.url.pathname).toBe(STATUS_PATH);
  expect([...req.url.searchParams.keys()]).toEqual(["requestId"]);
  for (const h of ["developer-token", "login-customer-id", "linked-customer-id"]) expect(req.headers.get(h), h).toBeNull();
  expect(req.body).toBe("");
  if (!bearerOk)
    return Response.json({ error: { code: 401, message: "Request had invalid authentication credentials.", status: "UNAUTHENTICATED" } }, { status: 401 });
  const id = req.url.searchParams.get("requestId") ?? "";
  const events = s.issued.get(id);
  if (events === undefined) return dmResponse(dmError(400, "INVALID_ARGUMENT", "Invalid request ID.", { reason: "INVALID_REQUEST_ID" }));
  const body = s.diagnostics.get(id)?.shift() ?? dmStatus("SUCCESS", events);
  expect(protoProblems("RetrieveRequestStatusResponse", body)).toEqual([]);
  return Response.json(body);
}

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
  validateOnly?: boolean;
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
  // validate_only: "the request is validated but not executed. Only errors are returned, not results."
  if (body.validateOnly) {
    s.validated++;
    return Response.json({});
  }
  for (const d of body.destinations)
    for (const e of body.events) {
      const key = `${d.productDestinationId} ${e.transactionId}`;
      s.taken.set(key, (s.taken.get(key) ?? 0) + 1);
    }
  const requestId = `dm-req-${s.requests}`;
  s.issued.set(requestId, body.events.length);
  return Response.json({ requestId });
}

const dmResponse = (c: { status: number; body: unknown }) => Response.json(c.body, { status: c.status });
