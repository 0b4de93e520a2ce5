/**
 * GET /v1/region — where the caller's IP address is (Cloudflare's request.cf): its country and
 * subdivision, for the snippet's Consent Mode defaults scoped with `region` (snippet/consent.ts).
 * No key: it tells a caller only what its own address says, so any origin may read it; never
 * cached on the way (another visitor is elsewhere).
 *
 * Mounted before the app's common layers (app.ts): a page view may ask it before its allocation,
 * and it sets its own Cache-Control.
 */
import { createRoute } from "@hono/zod-openapi";
import type { RegionResponse } from "../../../shared/protocol";
import { RegionSchema } from "../../schemas/region";
import { createRouter, json } from "../router";

/** Cloudflare's codes that name no country: unknown, and Tor. */
const NO_COUNTRY = new Set(["XX", "T1"]);

/** The caller's region from request.cf (absent outside Cloudflare's edge, e.g. a plain test request). */
export const regionOf = (cf: { country?: string; regionCode?: string } | undefined): RegionResponse => {
  const country = cf?.country && /^[A-Z]{2}$/.test(cf.country) && !NO_COUNTRY.has(cf.country) ? cf.country : null;
  const code = cf?.regionCode && /^[A-Z0-9]{1,3}$/.test(cf.regionCode) ? cf.regionCode : null;
  return { country, subdivision: country && code ? `${country}-${code}` : null };
};

const app = createRouter();

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/region",
    tags: ["allocation"],
    summary:
      "The caller's country and subdivision (ISO 3166-2), from its IP address: for Consent Mode defaults scoped by region (no key; CORS for any origin).",
    responses: { 200: { description: "Where the caller is; null where unknown", ...json(RegionSchema) } },
  }),
  (c) => {
    c.header("Access-Control-Allow-Origin", "*");
    c.header("Cache-Control", "private, no-store");
    // A request from the edge carries IncomingRequestCfProperties (absent in a plain local request).
    return c.json(regionOf(c.req.raw.cf as IncomingRequestCfProperties | undefined), 200);
  },
);

export default app;
