/** Reading calls back (admin key): list, one call, CSV export, counts by source and day. */

import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { CSV_COLUMNS, csvLine, GOOGLE_IMPORT_COLUMNS, googleImportCells, type ImportSetup, importTimeZone } from "../../domain/call-csv";
import { isTimeZone, startOfDayIn } from "../../domain/schedule";
import { type CsvDelimiter, csvRow } from "../../platform/csv";
import { unwrap } from "../../platform/result";
import { account } from "../../platform/stubs";
import {
  type Call,
  CallerErasedSchema,
  CallerErasureSchema,
  type CallFilter,
  CallFilterQuerySchema,
  CallListQuerySchema,
  CallListSchema,
  CallParamSchema,
  CallSchema,
  CallStatsQuerySchema,
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

const CsvQuerySchema = CallFilterQuerySchema.extend({
  format: z.enum(["calls", "google_ads"]).optional().openapi({
    description: "calls (default): every column; google_ads: only Google's conversions-from-clicks import template, qualifying calls with a gclid.",
  }),
  delimiter: z.enum(["comma", "semicolon"]).optional().openapi({
    description:
      "Cell separator of format=calls: comma (default, RFC 4180) or semicolon, which spreadsheets in locales with a decimal comma (most of Europe) split on. Google's template is always comma-separated.",
  }),
  conversionName: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .openapi({ description: "Conversion Name column (default: the Google Ads setting's conversionName)." }),
  timeZone: z.string().max(64).refine(isTimeZone, "an IANA time zone").optional().openapi({
    description:
      "IANA time zone of Conversion Time and of the Parameters:TimeZone row (default: the Google Ads setting's; without one, UTC: the row says +0000 and each time ends +00:00).",
  }),
});

/**
 * `f` with a day alone as `from` or `to` (from=2026-03-01) read as that day's midnight in `zone`, as
 * the days counted or written are the zone's (else UTC's: a partial day before, the last evening missing).
 */
function inZone(c: Context<AppEnv>, f: CallFilter, zone: string | null | undefined): CallFilter {
  if (!zone) return f;
  for (const bound of ["from", "to"] as const) {
    const raw = c.req.query(bound);
    if (raw !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(raw)) f[bound] = startOfDayIn(raw, zone);
  }
  return f;
}

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
    summary:
      "One call in full, with its GA4, webhook and ad platform delivery status and its conversion uploads (with the reason a call was skipped or refused).",
    security: ADMIN,
    request: { params: CallParamSchema },
    responses: { 200: { description: "Call", ...json(CallSchema) }, ...errorResponses },
  }),
  async (c) => c.json(unwrap(await account(c.env, c.var.accountId).getCall(c.req.valid("param").id)), 200),
);

app.openapi(
  createRoute({
    method: "post",
    path: "/v1/calls/erase",
    tags,
    summary:
      "Erase every call from a caller's number, or of a visit's session id (an erasure request): each as DELETE /v1/calls/{id} erases one, and the archive's; a session's touch on every pool's leases too. At most 200 calls, then 31 archived days, a request: repeat while more is true.",
    security: ADMIN,
    request: { body: { required: true, ...json(CallerErasureSchema) } },
    responses: { 200: { description: "Erased", ...json(CallerErasedSchema) }, ...errorResponses },
  }),
  async (c) => c.json(unwrap(await account(c.env, c.var.accountId).eraseCalls(c.req.valid("json"))), 200),
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
/**
 * Streams every matching call, fetching a page from the account object per chunk. `google_ads`:
 * exactly Google's import template (a Parameters:TimeZone row, its five columns, qualifying calls only).
 */
function csvStream(
  c: Context<AppEnv>,
  filter: CallFilter,
  format: "calls" | "google_ads",
  setup: ImportSetup,
  delimiter: CsvDelimiter,
): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  const stub = account(c.env, c.var.accountId);
  let cursor: string | undefined;
  let started = false;
  const line = (call: Call) => {
    if (format === "calls") return csvLine(call, setup, delimiter);
    const cells = googleImportCells(call, setup);
    return cells[0] === null ? "" : csvRow(cells);
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        // delimiter=semicolon is for Excel in Europe, which reads a CSV without a byte order mark in
        // the locale's code page (a landing URL's or campaign's accents garbled): it gets one.
        const head =
          format === "calls"
            ? `${delimiter === ";" ? "\uFEFF" : ""}${csvRow(CSV_COLUMNS, delimiter)}`
            : `${csvRow([`Parameters:TimeZone=${importTimeZone(setup)}`])}${csvRow(GOOGLE_IMPORT_COLUMNS)}`;
        controller.enqueue(enc.encode(head));
        return;
      }
      const page = unwrap(await stub.listCalls({ ...filter, limit: 500, withDeliveries: false, ...(cursor ? { cursor } : {}) }));
      if (page.calls.length) controller.enqueue(enc.encode(page.calls.map(line).join("")));
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
    summary:
      "Every matching call as CSV (RFC 4180; cells starting with = + - @ are prefixed with ' so spreadsheets never run them; cells holding , ; a tab or a quote are quoted; `delimiter=semicolon` for European spreadsheets, with a UTF-8 byte order mark for Excel).",
    security: ADMIN,
    request: { query: CsvQuerySchema },
    responses: { 200: { description: "CSV", content: { "text/csv": { schema: z.string() } } }, ...errorResponses },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const settings = unwrap(await account(c.env, c.var.accountId).conversionSettings());
    const setup: ImportSetup = {
      rules: settings.rules,
      conversionName: q.conversionName ?? settings.googleAds?.conversionName ?? "",
      timeZone: q.timeZone ?? settings.googleAds?.timeZone ?? null,
    };
    const format = q.format ?? "calls";
    const delimiter: CsvDelimiter = format === "calls" && q.delimiter === "semicolon" ? ";" : ",";
    // Day-only bounds in the zone asked, or for Google's template the zone its times are written in.
    const zone = q.timeZone ?? (format === "google_ads" ? setup.timeZone : null);
    return new Response(csvStream(c, inZone(c, filterOf(q), zone), format, setup, delimiter), {
      status: 200,
      headers: {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": `attachment; filename="${format === "calls" ? "calls" : "google-ads-conversions"}.csv"`,
        "Cache-Control": "no-store",
      },
    });
  },
);

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/stats/calls",
    tags,
    summary:
      "Calls, attributed and answered calls and talk time per day (UTC, or timeZone's) and source name (null: unattributed), their total, and with groupBy the totals by source, campaign, landing page or pool.",
    security: ADMIN,
    request: { query: CallStatsQuerySchema },
    responses: { 200: { description: "Counts", ...json(CallStatsSchema) }, ...errorResponses },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const f = inZone(c, q.timeZone === undefined ? filterOf(q) : { ...filterOf(q), timeZone: q.timeZone }, q.timeZone);
    return c.json(unwrap(await account(c.env, c.var.accountId).callStats(f, q.groupBy)), 200);
  },
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
