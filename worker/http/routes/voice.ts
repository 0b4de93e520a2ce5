/**
 * The voice provider's callbacks (see docs/calls.md). Two legs, each in two authenticated forms:
 *   POST /v1/voice/{account}/{voice secret}         inbound call   (secret path token)
 *   POST /v1/voice/{account}/{voice secret}/agent   whisper agent leg
 *   POST /v1/voice/{account}                        inbound call   (X-DNI-Timestamp + X-DNI-Signature)
 *   POST /v1/voice/{account}/agent                  whisper agent leg (signed)
 * The answer is `{ "actions": [...] }`. Anything refused (401, 4xx) stores nothing.
 */

import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ApiError, unwrap } from "../../platform/result";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from "../../platform/signing";
import { account } from "../../platform/stubs";
import { errorResponses } from "../../schemas/common";
import { VOICE_TOKEN_PATTERN, type VoiceAuth } from "../../voice/auth";
import { agentConference, type Issue, inboundCall, parseFields } from "../../voice/input";
import type { AppEnv } from "../app-env";
import { errorBody } from "../errors";
import { capBody } from "../middleware/limits";
import { createRouter } from "../router";

const VOICE_MAX_BYTES = 64 * 1024;
const ACCOUNT_ID = /^[a-z0-9]{16}$/;
const TOKEN = new RegExp(`^${VOICE_TOKEN_PATTERN}$`);

type Leg = "inbound" | "agent";
type AuthIn = { kind: "token"; token: string } | Omit<Extract<VoiceAuth, { kind: "signature" }>, "body">;
type Stub = ReturnType<typeof account>;

const app = createRouter();
app.use("/v1/voice/*", capBody(VOICE_MAX_BYTES));

const unauthorized = (message: string) => new ApiError({ status: 401, code: "unauthorized", message });

function signed(c: Context<AppEnv>): AuthIn {
  const timestamp = c.req.header(TIMESTAMP_HEADER);
  const signature = c.req.header(SIGNATURE_HEADER);
  if (!timestamp || !signature)
    throw unauthorized(`Sign the callback (${TIMESTAMP_HEADER}, ${SIGNATURE_HEADER}) or use the callback URL with the voice secret`);
  return { kind: "signature", timestamp, signature };
}

async function handle(c: Context<AppEnv>, leg: Leg, auth: AuthIn): Promise<Response> {
  c.header("Cache-Control", "no-store");
  const accountId = c.req.param("account") ?? "";
  if (!ACCOUNT_ID.test(accountId)) throw unauthorized("Unknown account or wrong voice token");
  // Bytes, decoded as UTF-8: the raw body is what a signature covers (and .text() warns on forms).
  const raw = new TextDecoder().decode(await c.req.arrayBuffer());
  const full: VoiceAuth = auth.kind === "token" ? auth : { ...auth, body: raw };
  const stub = account(c.env, accountId);
  const now = Date.now();
  const fields = parseFields(c.req.header("Content-Type"), raw);
  if (leg === "agent") {
    if (!fields.ok) return refuse(c, stub, full, now, fields);
    return answer(c, unwrap(await stub.answerAgent(full, agentConference(fields.value), now)));
  }
  const call = fields.ok ? inboundCall(fields.value, now) : fields;
  if (!call.ok) return refuse(c, stub, full, now, call);
  return answer(c, unwrap(await stub.answerInbound(full, call.value, now)));
}

/** A body we cannot use: 401 unless the request is authenticated (say nothing to strangers), else 4xx. */
async function refuse(
  c: Context<AppEnv>,
  stub: Stub,
  auth: VoiceAuth,
  now: number,
  bad: { code: string; message: string; issues?: Issue[] },
): Promise<Response> {
  if (!(await stub.checkVoice(auth, now)))
    throw unauthorized(auth.kind === "token" ? "Unknown account or wrong voice token" : "Missing, stale or wrong signature");
  return c.json(errorBody(bad.code, bad.message, bad.issues), bad.code === "unsupported_media_type" ? 415 : 400);
}

function answer(c: Context<AppEnv>, reply: { answer: string; duplicate: boolean }): Response {
  c.header("X-DNI-Duplicate", reply.duplicate ? "1" : "0");
  return c.body(reply.answer, 200, { "Content-Type": "application/json; charset=utf-8" });
}

function token(c: Context<AppEnv>): AuthIn {
  const value = c.req.param("token") ?? "";
  if (!TOKEN.test(value)) throw unauthorized("Unknown account or wrong voice token");
  return { kind: "token", token: value };
}

// The signed agent leg first: "agent" is never a voice secret (those are 20+ characters).
app.post("/v1/voice/:account/agent", (c) => handle(c, "agent", signed(c)));
app.post("/v1/voice/:account", (c) => handle(c, "inbound", signed(c)));
app.post("/v1/voice/:account/:token", (c) => handle(c, "inbound", token(c)));
app.post("/v1/voice/:account/:token/agent", (c) => handle(c, "agent", token(c)));

const ActionsSchema = z.object({ actions: z.array(z.record(z.string(), z.unknown())) }).openapi("VoiceActions");
const body = {
  required: true,
  description: "The provider's callback: callId, callerNo, calledNo, startTime (or CallSid/From/To…), JSON or form-encoded.",
  content: {
    "application/json": { schema: z.record(z.string(), z.unknown()) },
    "application/x-www-form-urlencoded": { schema: z.record(z.string(), z.unknown()) },
  },
};
const responses = { 200: { description: "Call flow actions", content: { "application/json": { schema: ActionsSchema } } }, ...errorResponses };
const params = (withToken: boolean) =>
  z.object({
    account: z.string().openapi({ param: { name: "account", in: "path" } }),
    ...(withToken ? { token: z.string().openapi({ param: { name: "token", in: "path" }, description: "The account's voice secret" }) } : {}),
  });
for (const [path, summary, withToken] of [
  [
    "/v1/voice/{account}/{token}",
    "Inbound call callback (voice secret in the path): attribute, store once, answer TRANSFER (or whisper, fallback, HANGUP).",
    true,
  ],
  ["/v1/voice/{account}/{token}/agent", "Whisper agent-leg callback (voice secret in the path): SAY the source, join the caller's conference.", true],
  ["/v1/voice/{account}", "Inbound call callback, signed (X-DNI-Timestamp, X-DNI-Signature).", false],
  ["/v1/voice/{account}/agent", "Whisper agent-leg callback, signed.", false],
] as const) {
  app.openAPIRegistry.registerPath({ method: "post", path, tags: ["voice"], summary, request: { params: params(withToken), body }, responses });
}

export default app;
