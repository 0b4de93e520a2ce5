/** Ad conversion settings (admin key): Google Ads and Microsoft Ads offline click conversions and which calls qualify. */

import { createRoute } from "@hono/zod-openapi";
import { unwrap } from "../../platform/result";
import { account } from "../../platform/stubs";
import { errorResponses } from "../../schemas/common";
import { ConversionsCheckRequestSchema, ConversionsCheckSchema, ConversionsPatchSchema, ConversionsSchema } from "../../schemas/conversions";
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

app.use("/v1/account/conversions/check", adminAuth());
app.openapi(
  createRoute({
    method: "post",
    path: "/v1/account/conversions/check",
    tags,
    summary:
      "Test the connection to the configured ad platforms (or the one named) with the stored settings and credentials, recording no conversion: Google through the setting's API with validateOnly (the token refresh, then one event built as a call's, with a made-up click id); Microsoft the token refresh and a read of the offline conversion goal (its API has no validating upload). Changes nothing stored, pauses and resumes nothing.",
    security: ADMIN,
    request: {
      body: {
        required: false,
        description: "Optional: no body (and no Content-Type), or `{}`, checks every configured platform.",
        ...json(ConversionsCheckRequestSchema),
      },
    },
    responses: {
      200: { description: "Each platform's result: ok, what was checked, or the refusal an upload would get and what to do", ...json(ConversionsCheckSchema) },
      ...errorResponses,
    },
  }),
  async (c) => {
    c.header("Cache-Control", "no-store");
    return c.json(unwrap(await account(c.env, c.var.accountId).checkConversions(c.req.valid("json"), Date.now())), 200);
  },
);

export default app;
