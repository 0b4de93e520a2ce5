/** Ad conversion settings (admin key): Google Ads and Microsoft Ads offline click conversions and which calls qualify. */

import { createRoute } from "@hono/zod-openapi";
import { unwrap } from "../../platform/result";
import { account } from "../../platform/stubs";
import { errorResponses } from "../../schemas/common";
import { ConversionsPatchSchema, ConversionsSchema } from "../../schemas/conversions";
import { adminAuth } from "../middleware/auth";
import { ADMIN, createRouter, json } from "../router";

const app = createRouter();
app.use("/v1/account/conversions", adminAuth());

const tags = ["account"];
const responses = { 200: { description: "Conversion settings (credentials as hints)", ...json(ConversionsSchema) }, ...errorResponses };

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/account/conversions",
    tags,
    summary: "Google Ads / Microsoft Ads conversion uploads: accounts, credential hints, whether the credentials still work, the qualifying rules.",
    security: ADMIN,
    responses,
  }),
  async (c) => {
    c.header("Cache-Control", "no-store");
    return c.json(unwrap(await account(c.env, c.var.accountId).conversionSettings()), 200);
  },
);

app.openapi(
  createRoute({
    method: "patch",
    path: "/v1/account/conversions",
    tags,
    summary:
      "Set or clear (null) googleAds and microsoftAds (credentials write-only: omit them to keep the stored ones), and the rules: minSeconds (default 60), value, currency, consent, per-pool overrides.",
    security: ADMIN,
    request: { body: { required: true, ...json(ConversionsPatchSchema) } },
    responses,
  }),
  async (c) => {
    c.header("Cache-Control", "no-store");
    return c.json(unwrap(await account(c.env, c.var.accountId).setConversionSettings(c.req.valid("json"), Date.now())), 200);
  },
);

export default app;
