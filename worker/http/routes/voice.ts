/**
 * The voice providers' callbacks (see docs/calls.md). Each provider has its own URLs, verified
 * with its own signature scheme and the account's credentials for it:
 *   GET|POST /v1/voice/{account}/{provider}           inbound call (twilio, signalwire, telnyx, plivo, vonage)
 *   GET|POST /v1/voice/{account}/{provider}/status    status, hangup and dial-action callbacks
 *   GET|POST /v1/voice/{account}/{provider}/whisper   the agent's leg before it is bridged (URLs we hand out)
 *   GET|POST /v1/voice/{account}/{provider}/next|answered|confirm|bridge|recording   a route's callbacks (docs/routing.md)
 * The reference voice API, with the voice secret in the path or an X-DNI-Signature:
 *   POST /v1/voice/{account}/{voice secret}[/agent|/status]
 *   POST /v1/voice/{account}[/agent|/status]          signed (X-DNI-Timestamp, X-DNI-Signature)
 * The answer is in the provider's format. Anything refused (401, 4xx) stores nothing.
 */

import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ApiError, unwrap } from "../../platform/result";
import { account } from "../../platform/stubs";
import { errorResponses } from "../../schemas/common";
import { VOICE_TOKEN_PATTERN } from "../../voice/auth";
import type { Leg, Provider, VoiceRequest } from "../../voice/providers/types";
import type { AppEnv } from "../app-env";
import { capBody } from "../middleware/limits";
import { createRouter } from "../router";

const VOICE_MAX_BYTES = 64 * 1024;
const ACCOUNT_ID = /^[a-z0-9]{16}$/;
const TOKEN = new RegExp(`^${VOICE_TOKEN_PATTERN}$`);
const NATIVE = ["twilio", "signalwire", "telnyx", "plivo", "vonage"] as const;
/** The request headers a verification reads (nothing else crosses to the account object). */
const AUTH_HEADERS = [
  "content-type",
  "x-twilio-signature",
  // Names the SharedKey and hash of a Twilio Webhooks Rule that signed the callback (twilio.ts).
  "x-twilio-webhooks-signature-settings",
  "x-signalwire-signature",
  "telnyx-signature-ed25519",
  "telnyx-timestamp",
  "x-plivo-signature-v3",
  // The main account's signature of a subaccount's callback (plivo.ts).
  "x-plivo-signature-ma-v3",
  "x-plivo-signature-v3-nonce",
  "authorization",
  "x-dni-timestamp",
  "x-dni-signature",
];

/**
 * Whether a callback carries what its provider signs with (a signature, its nonce or timestamp; the
 * reference API's signature or token): one without is refused here, before the account's object is
 * asked (the account id is public, in the site key: an unsigned flood queued on the object that
 * answers the account's calls).
 */
const SIGNED: Record<Provider, (h: Record<string, string>, token: string | undefined) => boolean> = {
  twilio: (h) => !!h["x-twilio-signature"],
  signalwire: (h) => !!(h["x-signalwire-signature"] || h["x-twilio-signature"]),
  telnyx: (h) => !!h["telnyx-signature-ed25519"] && !!h["telnyx-timestamp"],
  plivo: (h) => !!(h["x-plivo-signature-v3"] || h["x-plivo-signature-ma-v3"]) && !!h["x-plivo-signature-v3-nonce"],
  vonage: (h) => !!h.authorization,
  reference: (h, token) => token !== undefined || !!h["x-dni-signature"],
};

const app = createRouter();
app.use("/v1/voice/*", capBody(VOICE_MAX_BYTES));

const unauthorized = (message: string) => new ApiError({ status: 401, code: "unauthorized", message });

/** What providers send a callback body as: form fields (Twilio, SignalWire, Telnyx TeXML, Plivo) or JSON (Vonage, the reference API). */
const CALLBACK_TYPES = ["application/x-www-form-urlencoded", "application/json"];

/** A body in a type no provider sends (or none named) is refused before it is read: 415, nothing stored. */
function checkMediaType(c: Context<AppEnv>, body: string): void {
  const header = c.req.header("Content-Type");
  const type = (header ?? "").split(";")[0]!.trim().toLowerCase();
  if (CALLBACK_TYPES.includes(type)) return;
  // No body and no type (a bare POST) is read as no fields; any body must say what it is.
  if (header === undefined && body === "") return;
  throw new ApiError({
    status: 415,
    code: "unsupported_media_type",
    message: `Content-Type ${header ?? "(none)"} is not a voice provider's callback; send application/x-www-form-urlencoded or application/json`,
    details: [{ path: "Content-Type", value: header ?? "", message: `allowed: ${CALLBACK_TYPES.join(", ")}` }],
  });
}

async function handle(c: Context<AppEnv>, provider: Provider, leg: Leg, token?: string): Promise<Response> {
  c.header("Cache-Control", "no-store");
  const accountId = c.req.param("account") ?? "";
  if (!ACCOUNT_ID.test(accountId)) throw unauthorized("Unknown account or wrong credentials");
  if (token !== undefined && !TOKEN.test(token)) throw unauthorized("Unknown account or wrong voice token");
  const headers: Record<string, string> = {};
  for (const name of AUTH_HEADERS) {
    const v = c.req.header(name);
    if (v !== undefined) headers[name] = v.slice(0, 4096);
  }
  // Bytes, decoded as UTF-8: the raw body is what a signature covers (and .text() warns on forms).
  const body = c.req.method === "GET" ? "" : new TextDecoder().decode(await c.req.arrayBuffer());
  if (c.req.method !== "GET") checkMediaType(c, body);
  if (!SIGNED[provider](headers, token)) throw unauthorized(`Not signed as ${provider} signs its callbacks`);
  const req: VoiceRequest = { method: c.req.method, url: c.req.url, headers, body, ...(token !== undefined ? { token } : {}) };
  const reply = unwrap(await account(c.env, accountId).voiceCallback(provider, leg, req, Date.now()));
  if (reply.duplicate !== undefined) c.header("X-DNI-Duplicate", reply.duplicate ? "1" : "0");
  if (reply.report) c.header("X-DNI-Report", reply.report);
  if (reply.status === 204) return c.body(null, 204);
  return c.body(reply.body, 200, { "Content-Type": reply.contentType });
}

const isNative = (s: string): s is (typeof NATIVE)[number] => (NATIVE as readonly string[]).includes(s);
/** A native provider's callback legs by their last path segment (none: the inbound call). */
const NATIVE_LEGS = new Map<string, Leg>([
  ["status", "status"],
  ["whisper", "whisper"],
  ["next", "next"],
  ["answered", "answered"],
  ["confirm", "confirm"],
  ["bridge", "bridge"],
  ["recording", "recording"],
]);

// One route per depth, told apart here: a provider's name, "agent"/"status" (the reference API,
// signed; never a voice secret, those are 20+ characters) or a voice secret. A static segment or
// a pattern beside a parameter in the same place would make Hono fall back from its one-regex
// router to a tree walk on every request, allocations included (profiled).
app.post("/v1/voice/:account", (c) => handle(c, "reference", "inbound"));
app.on(["GET", "POST"], "/v1/voice/:account/:at", (c) => {
  const at = c.req.param("at");
  if (isNative(at)) return handle(c, at, "inbound");
  if (c.req.method !== "POST") return c.notFound();
  return at === "agent" || at === "status" ? handle(c, "reference", at) : handle(c, "reference", "inbound", at);
});
app.on(["GET", "POST"], "/v1/voice/:account/:at/:leg", (c) => {
  const at = c.req.param("at");
  const leg = c.req.param("leg");
  if (isNative(at)) {
    const nativeLeg = NATIVE_LEGS.get(leg);
    return nativeLeg ? handle(c, at, nativeLeg) : c.notFound();
  }
  if (c.req.method !== "POST" || (leg !== "agent" && leg !== "status")) return c.notFound();
  return handle(c, "reference", leg, at);
});

// ---- OpenAPI ----

const anyBody = z.record(z.string(), z.unknown());
const body = {
  required: false,
  description:
    "The provider's callback as it sends it: form fields (Twilio, SignalWire, Telnyx TeXML, Plivo), JSON (Vonage events, the reference API), or none (GET).",
  content: { "application/x-www-form-urlencoded": { schema: anyBody }, "application/json": { schema: anyBody } },
};
const responses = {
  200: {
    description: "The answer in the provider's format: TwiML / cXML / TeXML or Plivo XML, a Vonage NCCO, or the reference `{ actions }`.",
    content: {
      "application/xml": { schema: z.string() },
      // A Vonage NCCO is a JSON array of actions; the reference answer an object.
      "application/json": { schema: z.union([z.array(anyBody), anyBody]) },
    },
  },
  204: { description: "A Vonage event was recorded." },
  ...errorResponses,
};
const accountParam = { account: z.string().openapi({ param: { name: "account", in: "path" }, description: "The account id the callback URL was made for." }) };
const providerParam = {
  provider: z.enum(NATIVE).openapi({ param: { name: "provider", in: "path" }, description: "The voice provider whose native webhook format this URL speaks." }),
};
const tokenParam = { token: z.string().openapi({ param: { name: "token", in: "path" }, description: "The account's voice secret" }) };
const native: [string, string][] = [
  ["", "Inbound call, in the provider's native webhook (signed by the provider): attribute, store once, answer with the pool's route."],
  ["/status", "Status, hangup and dial-action callbacks: merged into the call's outcome (answered, busy, no-answer, failed, canceled; talk time)."],
  ["/whisper", "The agent's leg of a whispered call (a URL we hand out in the answer): what the agent hears before being connected."],
  [
    "/next",
    "A route's dial attempt ended (Dial action, Vonage synchronous connect event): stored as a status report; answered with the next attempt when nobody took the call (docs/routing.md).",
  ],
  ["/answered", "Who picked up a simultaneous ring (a number's answered event; Plivo's Dial callbackUrl): recorded when it is a number of that attempt."],
  ["/confirm", "The agent's keypress on a press-1-to-accept ring: 1 bridges the call, anything else hangs up that agent."],
  [
    "/bridge",
    "A whisper without press 1 ended (TwiML: its Gather's action, sent with no digit too; Vonage: its closing notify): the agent is bridged; the seconds since their pick-up are not talk time.",
  ],
  ["/recording", "A voicemail or call recording is ready: its https URL is stored on the call."],
];
/**
 * A provider's URL and the reference API's voice-secret URL have one shape where their suffixes are
 * the same (`/v1/voice/{account}/{provider}` and `…/{token}`): OpenAPI holds two paths that differ
 * only in a parameter's name to be one path, and validators refuse the document. Those are one
 * path with one parameter, `at`, that is either.
 */
const atParam = {
  at: z.string().openapi({
    param: { name: "at", in: "path" },
    description: `A voice provider's name (${NATIVE.join(", ")}: its native webhook, signed by the provider), or the account's voice secret (the reference API).`,
  }),
};
const REFERENCE_BY_SECRET: Record<string, string> = {
  "": "Reference API inbound call (voice secret in the path): attribute, store once, answer TRANSFER (or whisper, fallback, HANGUP).",
  "/status": "Reference API status (ours: callId, status, duration, endTime), voice secret in the path.",
};
for (const [suffix, summary] of native) {
  const shared = REFERENCE_BY_SECRET[suffix];
  for (const method of ["get", "post"] as const) {
    app.openAPIRegistry.registerPath({
      method,
      path: shared === undefined ? `/v1/voice/{account}/{provider}${suffix}` : `/v1/voice/{account}/{at}${suffix}`,
      tags: ["voice"],
      summary: shared === undefined ? summary : `${summary} Or, POST with a voice secret as {at}: ${shared}`,
      request: { params: z.object({ ...accountParam, ...(shared === undefined ? providerParam : atParam) }), ...(method === "post" ? { body } : {}) },
      responses,
    });
  }
}
for (const [path, summary, withToken] of [
  ["/v1/voice/{account}/{token}/agent", "Reference API whisper agent leg (voice secret in the path): SAY the source, join the caller's conference.", true],
  ["/v1/voice/{account}", "Reference API inbound call, signed (X-DNI-Timestamp, X-DNI-Signature).", false],
  ["/v1/voice/{account}/agent", "Reference API whisper agent leg, signed.", false],
  ["/v1/voice/{account}/status", "Reference API status, signed.", false],
] as const) {
  app.openAPIRegistry.registerPath({
    method: "post",
    path,
    tags: ["voice"],
    summary,
    request: { params: z.object({ ...accountParam, ...(withToken ? tokenParam : {}) }), body },
    responses,
  });
}

export default app;
