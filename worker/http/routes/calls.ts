/** Reading calls back (admin key): list, one call, CSV export, counts by source and day. */

import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { csvRow } from "../../platform/csv";
import { unwrap } from "../../platform/result";
import { account } from "../../platform/stubs";
import {
  type Call,
  type CallFilter,
  CallFilterQuerySchema,
  CallListQuerySchema,
  CallListSchema,
  CallParamSchema,
  CallSchema,
  CallStatsSchema,
  OrphanReportsSchema,
} from "../../schemas/calls";
import { errorResponses } from "../../schemas/common";
import type { AppEnv } from "../app-env";
import { adminAuth } from "../middleware/auth";
import { ADMIN, createRouter, json } from "../router";

const app = createRouter();
for (const path of ["/v1/calls", "/v1/calls/*", "/v1/calls.csv", "/v1/stats/*", "/v1/call-reports/*"]) app.use(path, adminAuth());

const tags = ["calls"];

function filterOf(q: z.infer<typeof CallFilterQuerySchema>): CallFilter {
  const f: CallFilter = {};
  if (q.pool !== undefined) f.pool = q.pool;
  if (q.source !== undefined) f.source = q.source;
  if (q.attributed !== undefined) f.attributed = q.attributed === "true";
  if (q.outcome !== undefined) f.outcome = q.outcome;
  if (q.from !== undefined) f.from = q.from;
  if (q.to !== undefined) f.to = q.to;
  return f;
}

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/calls",
    tags,
    summary: "Calls, newest first, filtered by pool, source, attribution and start time; paged with nextCursor.",
    security: ADMIN,
    request: { query: CallListQuerySchema },
    responses: { 200: { description: "A page of calls", ...json(CallListSchema) }, ...errorResponses },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const page = unwrap(await account(c.env, c.var.accountId).listCalls({ ...filterOf(q), limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) }));
    return c.json(page, 200);
  },
);

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/calls/{id}",
    tags,
    summary: "One call in full, with its GA4 and webhook delivery status.",
    security: ADMIN,
    request: { params: CallParamSchema },
    responses: { 200: { description: "Call", ...json(CallSchema) }, ...errorResponses },
  }),
  async (c) => c.json(unwrap(await account(c.env, c.var.accountId).getCall(c.req.valid("param").id)), 200),
);

app.openapi(
  createRoute({
    method: "delete",
    path: "/v1/calls/{id}",
    tags,
    summary:
      "Erase a call (an erasure request): deleted everywhere it is kept — the call log, its status reports and pending deliveries, and the R2 archive. 404 when no copy is left anywhere.",
    security: ADMIN,
    request: { params: CallParamSchema },
    responses: { 204: { description: "Erased" }, ...errorResponses },
  }),
  async (c) => {
    unwrap(await account(c.env, c.var.accountId).eraseCall(c.req.valid("param").id));
    return c.body(null, 204);
  },
);

const CSV_COLUMNS = [
  "call_id",
  "started_at",
  "pool",
  "tracking_number",
  "caller",
  "attributed",
  "reason",
  "session",
  "source",
  "referrer",
  "landing",
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "utm_term",
  "utm_content",
  "gclid",
  "msclkid",
  "fbclid",
  "ga_client_id",
  "leased_at",
  "lease_expires_at",
  "lease_ended_at",
  "action",
  "routed_to",
  "provider",
  "outcome",
  "talk_seconds",
  "ended_at",
] as const;

const iso = (t: number | null | undefined) => (t === null || t === undefined ? null : new Date(t).toISOString());

function csvLine(call: Call): string {
  const s = call.source;
  return csvRow([
    call.id,
    iso(call.startedAt),
    call.pool,
    call.trackingNumber,
    call.caller,
    call.attributed,
    call.reason,
    call.session,
    s?.name,
    s?.referrer,
    s?.landing,
    s?.utm.source,
    s?.utm.medium,
    s?.utm.campaign,
    s?.utm.term,
    s?.utm.content,
    s?.clickIds.gclid,
    s?.clickIds.msclkid,
    s?.clickIds.fbclid,
    s?.gaClientId,
    iso(call.lease?.leasedAt),
    iso(call.lease?.expiresAt),
    iso(call.lease?.endedAt),
    call.route.action,
    call.route.to,
    call.provider,
    call.outcome,
    call.talkSeconds,
    iso(call.endedAt),
  ]);
}

/** Streams every matching call, fetching a page from the account object per chunk. */
function csvStream(c: Context<AppEnv>, filter: CallFilter): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  const stub = account(c.env, c.var.accountId);
  let cursor: string | undefined;
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(enc.encode(csvRow(CSV_COLUMNS)));
        return;
      }
      const page = unwrap(await stub.listCalls({ ...filter, limit: 500, withDeliveries: false, ...(cursor ? { cursor } : {}) }));
      if (page.calls.length) controller.enqueue(enc.encode(page.calls.map(csvLine).join("")));
      if (page.nextCursor) cursor = page.nextCursor;
      else controller.close();
    },
  });
}

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/calls.csv",
    tags,
    summary: "Every matching call as CSV (RFC 4180; cells starting with = + - @ are prefixed with ' so spreadsheets never run them).",
    security: ADMIN,
    request: { query: CallFilterQuerySchema },
    responses: { 200: { description: "CSV", content: { "text/csv": { schema: z.string() } } }, ...errorResponses },
  }),
  async (c) => {
    return new Response(csvStream(c, filterOf(c.req.valid("query"))), {
      status: 200,
      headers: { "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": 'attachment; filename="calls.csv"', "Cache-Control": "no-store" },
    });
  },
);

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/stats/calls",
    tags,
    summary: "Calls and attributed calls per UTC day and source name (null: unattributed).",
    security: ADMIN,
    request: { query: CallFilterQuerySchema },
    responses: { 200: { description: "Counts", ...json(CallStatsSchema) }, ...errorResponses },
  }),
  async (c) => c.json(unwrap(await account(c.env, c.var.accountId).callStats(filterOf(c.req.valid("query")))), 200),
);

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/call-reports/orphans",
    tags,
    summary:
      "Status reports kept for calls that have not arrived (a report before its inbound callback, or for an unknown call id), newest first, with why and until when.",
    security: ADMIN,
    request: { query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100).openapi({ description: "Reports per page, 1 to 500." }) }) },
    responses: { 200: { description: "Orphan reports", ...json(OrphanReportsSchema) }, ...errorResponses },
  }),
  async (c) => c.json({ reports: unwrap(await account(c.env, c.var.accountId).orphanReports(c.req.valid("query").limit)) }, 200),
);

export default app;
