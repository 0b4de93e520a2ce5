/**
 * The R2 archive of calls past the account's retention (admin key): the archived days, and one
 * day's calls as NDJSON (one call per line, as GET /v1/calls/{id} shows it without deliveries).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { archiveKey, archivePrefix } from "../../calllog/archive";
import { ApiError, INVALID_CURSOR } from "../../platform/result";
import { errorResponses } from "../../schemas/common";
import { adminAuth } from "../middleware/auth";
import { ADMIN, createRouter, json } from "../router";

const app = createRouter();
app.use("/v1/archive/*", adminAuth());

const tags = ["calls"];

const ArchiveDaysSchema = z
  .object({
    days: z.array(z.object({ day: z.string().openapi({ example: "2026-01-31" }), bytes: z.number(), archivedAt: z.number() })),
    nextCursor: z.string().nullable(),
  })
  .openapi("ArchivedDays");

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/archive/calls",
    tags,
    summary: "Days whose calls were archived to R2 after the retention period, oldest first; paged with nextCursor.",
    security: ADMIN,
    request: { query: z.object({ cursor: z.string().max(1024).optional().openapi({ description: "nextCursor of the previous page." }) }) },
    responses: { 200: { description: "Archived days", ...json(ArchiveDaysSchema) }, ...errorResponses },
  }),
  async (c) => {
    const { cursor } = c.req.valid("query");
    const prefix = archivePrefix(c.var.accountId);
    let list: R2Objects;
    try {
      list = await c.env.ARCHIVE.list({ prefix, limit: 500, ...(cursor ? { cursor } : {}) });
    } catch {
      throw new ApiError({ status: 400, code: "invalid_cursor", message: INVALID_CURSOR });
    }
    const days = list.objects.map((o) => ({ day: o.key.slice(prefix.length).replace(/\.ndjson$/, ""), bytes: o.size, archivedAt: o.uploaded.getTime() }));
    return c.json({ days, nextCursor: list.truncated ? list.cursor : null }, 200);
  },
);

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/archive/calls/{day}",
    tags,
    summary: "One archived day's calls as NDJSON (application/x-ndjson), oldest first.",
    security: ADMIN,
    request: {
      params: z.object({
        day: z
          .string()
          .regex(/^\d{4}-\d{2}-\d{2}$/, "a UTC day, YYYY-MM-DD")
          // A day of the calendar: 2026-13-45 is a malformed request, not a day without an archive.
          .refine((d) => !Number.isNaN(Date.parse(d)) && new Date(d).toISOString().startsWith(d), "a day of the calendar")
          .openapi({ param: { name: "day", in: "path" }, example: "2026-01-31", description: "The UTC day (YYYY-MM-DD), as GET /v1/archive/calls lists it." }),
      }),
    },
    responses: { 200: { description: "NDJSON", content: { "application/x-ndjson": { schema: z.string() } } }, ...errorResponses },
  }),
  async (c) => {
    const { day } = c.req.valid("param");
    const obj = await c.env.ARCHIVE.get(archiveKey(c.var.accountId, day));
    if (!obj) throw new ApiError({ status: 404, code: "archive_not_found", message: `No archived calls for ${day}` });
    // The typed router takes a media type ending in "json" for a c.json() answer; NDJSON is streamed as is.
    return c.body(obj.body, 200, { "Content-Type": "application/x-ndjson; charset=utf-8", "Cache-Control": "no-store" }) as never;
  },
);

export default app;
