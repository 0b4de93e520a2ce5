/** The account's call-path settings (admin key): voice secret and callback URLs, fallback, GA4, webhook. */

import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { VoiceSecrets } from "../../account/account";
import { unwrap } from "../../platform/result";
import { account } from "../../platform/stubs";
import { errorResponses } from "../../schemas/common";
import { IntegrationsPatchSchema, IntegrationsSchema, VoicePatchSchema, VoiceSettingsSchema } from "../../schemas/voice";
import type { AppEnv } from "../app-env";
import { adminAuth } from "../middleware/auth";
import { ADMIN, createRouter, json } from "../router";

const app = createRouter();
for (const path of ["/v1/account/voice", "/v1/account/voice/*", "/v1/account/integrations"]) app.use(path, adminAuth());

const tags = ["account"];

/** The callback URLs the provider is given, on the origin this request came to. */
function voiceView(c: Context<AppEnv>, v: VoiceSecrets) {
  const base = `${new URL(c.req.url).origin}/v1/voice/${c.var.accountId}`;
  return {
    secret: v.secret,
    callbackUrl: `${base}/${v.secret}`,
    agentCallbackUrl: `${base}/${v.secret}/agent`,
    signedCallbackUrl: base,
    signedAgentCallbackUrl: `${base}/agent`,
    fallbackNumber: v.fallbackNumber,
  };
}

const voiceOk = { 200: { description: "Voice settings", ...json(VoiceSettingsSchema) }, ...errorResponses };

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/account/voice",
    tags,
    summary: "The voice secret, the callback URLs to give the provider, the fallback number.",
    security: ADMIN,
    responses: voiceOk,
  }),
  async (c) => c.json(voiceView(c, unwrap(await account(c.env, c.var.accountId).voiceSettings())), 200),
);

app.openapi(
  createRoute({
    method: "patch",
    path: "/v1/account/voice",
    tags,
    summary: "Set (or clear with null) the fallback number for calls on numbers this account does not own. Never a tracking number.",
    security: ADMIN,
    request: { body: { required: true, ...json(VoicePatchSchema) } },
    responses: voiceOk,
  }),
  async (c) => c.json(voiceView(c, unwrap(await account(c.env, c.var.accountId).setFallback(c.req.valid("json").fallbackNumber, Date.now()))), 200),
);

app.openapi(
  createRoute({
    method: "post",
    path: "/v1/account/voice/rotate",
    tags,
    summary: "New voice secret; the old callback URLs and signatures stop working at once.",
    security: ADMIN,
    responses: voiceOk,
  }),
  async (c) => c.json(voiceView(c, unwrap(await account(c.env, c.var.accountId).rotateVoiceSecret(Date.now()))), 200),
);

const integrationsOk = { 200: { description: "Integrations", ...json(IntegrationsSchema) }, ...errorResponses };

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/account/integrations",
    tags,
    summary: "GA4 (Measurement Protocol) and webhook settings.",
    security: ADMIN,
    responses: integrationsOk,
  }),
  async (c) => c.json(unwrap(await account(c.env, c.var.accountId).integrations()), 200),
);

app.openapi(
  createRoute({
    method: "patch",
    path: "/v1/account/integrations",
    tags,
    summary: "Set or clear (null) GA4 { measurementId, apiSecret } and the webhook { url, secret? }.",
    security: ADMIN,
    request: { body: { required: true, ...json(IntegrationsPatchSchema) } },
    responses: integrationsOk,
  }),
  async (c) => c.json(unwrap(await account(c.env, c.var.accountId).setIntegrations(c.req.valid("json"), Date.now())), 200),
);

export default app;
