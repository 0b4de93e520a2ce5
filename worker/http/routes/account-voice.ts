/** The account's call-path settings (admin key): voice provider and credentials, callback URLs, fallback, GA4, webhook. */

import { createRoute, type z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { VoiceSetup } from "../../account/account";
import { fail, unwrap } from "../../platform/result";
import { account } from "../../platform/stubs";
import { errorResponses } from "../../schemas/common";
import { type ProviderSetupSchema, VoicePatchSchema, VoiceSettingsSchema } from "../../schemas/providers";
import { IntegrationsPatchSchema, IntegrationsSchema } from "../../schemas/voice";
import { PROVIDERS } from "../../voice/providers/types";
import { rs256Key } from "../../voice/providers/vonage";
import { consoleSetup } from "../../voice/setup";
import type { AppEnv } from "../app-env";
import { invalidRequest } from "../errors";
import { adminAuth } from "../middleware/auth";
import { ADMIN, createRouter, json } from "../router";

type ProviderSetup = z.infer<typeof ProviderSetupSchema>;

const app = createRouter();
for (const path of ["/v1/account/voice", "/v1/account/voice/*", "/v1/account/integrations"]) app.use(path, adminAuth());

const tags = ["account"];

/** The callback URLs the provider is given, on the origin this request came to. Credentials are never shown. */
function voiceView(c: Context<AppEnv>, v: VoiceSetup) {
  c.header("Cache-Control", "no-store");
  const base = `${new URL(c.req.url).origin}/v1/voice/${c.var.accountId}`;
  const callbackUrl = `${base}/${v.secret}`;
  const providers = Object.fromEntries(
    PROVIDERS.map((p) => {
      const stored = p === "reference" ? { hints: {}, updatedAt: null } : v.credentials[p];
      return [
        p,
        {
          configured: p === "reference" || !!stored,
          hints: stored?.hints ?? {},
          updatedAt: stored?.updatedAt ?? null,
          pools: v.pools[p] ?? [],
          numbers: v.numbers[p] ?? [],
          ...consoleSetup(p, base, callbackUrl),
        },
      ];
    }),
  ) as Record<(typeof PROVIDERS)[number], ProviderSetup>;
  return {
    secret: v.secret,
    callbackUrl,
    agentCallbackUrl: `${callbackUrl}/agent`,
    signedCallbackUrl: base,
    signedAgentCallbackUrl: `${base}/agent`,
    fallbackNumber: v.fallbackNumber,
    provider: v.provider,
    providers,
  };
}

const voiceOk = { 200: { description: "Voice settings", ...json(VoiceSettingsSchema) }, ...errorResponses };

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/account/voice",
    tags,
    summary: "The voice provider, what to paste where in each provider's console, the voice secret, the fallback number. Credentials are write-only.",
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
    summary:
      "Set the voice provider, a provider's credentials (null removes them; stored encrypted, never returned), or the fallback number (null: hang up; never a tracking number).",
    security: ADMIN,
    request: { body: { required: true, ...json(VoicePatchSchema) } },
    responses: voiceOk,
  }),
  async (c) => {
    const patch = c.req.valid("json");
    // The schema sees a PEM's shape; only WebCrypto tells a key from text in one (nothing is stored then).
    const pem = patch.credentials?.vonage?.publicKey;
    if (pem && !(await rs256Key(pem))) {
      const issue = { path: "credentials.vonage.publicKey", message: "not an RSA public key" };
      // The schema's own error shape and wording (a 400 from c.json would not type against this route's 200).
      unwrap(fail(400, "invalid_request", invalidRequest([{ ...issue, path: issue.path.split(".") }]).error.message, [issue]));
    }
    return c.json(voiceView(c, unwrap(await account(c.env, c.var.accountId).updateVoice(patch, Date.now()))), 200);
  },
);

app.openapi(
  createRoute({
    method: "post",
    path: "/v1/account/voice/rotate",
    tags,
    summary: "New voice secret; the old reference callback URLs and signatures stop working at once.",
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
    description:
      "The GA4 API secret, the webhooks' signing secrets and the alert email's API key are stored sealed with the deployment's SECRETS_KEY: without it, a change that would store one answers 503 secrets_unavailable and changes nothing. A webhook or alert email given without its secret keeps the one it has.",
    security: ADMIN,
    request: { body: { required: true, ...json(IntegrationsPatchSchema) } },
    responses: integrationsOk,
  }),
  async (c) => c.json(unwrap(await account(c.env, c.var.accountId).setIntegrations(c.req.valid("json"), Date.now())), 200),
);

export default app;
