/**
 * The published contract: every response of about 110 realistic requests over the whole API is what
 * the served OpenAPI document declares for its operation and status — the status declared, the
 * Content-Type declared, the body valid against the declared schema (a small JSON Schema checker:
 * ajv compiles with new Function, which workerd forbids), and every error in the one error shape.
 * Clients generated from the document rely on each of these.
 */
import { runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { COMPLETED_SETTLE_MS } from "../../worker/account/call-outcome";
import { at, callBody, callId, callWorld, DEST, GOOGLE, mockNetwork, T0, visit } from "./calls-helpers";
import { DM_SETTINGS, GOOGLE_SETTINGS, GRANTED } from "./conversions-helpers";
import { accountStub, api, BASE, BROWSER_HEADERS, createAccount, createPool, freshNumbers, OPERATOR, ORIGIN, sessionId, useTestClock } from "./helpers";
import { FakeTwilio, stock, TWILIO_SID, TWILIO_TOKEN } from "./numbers-fakes";
import { poolBody } from "./numbers-helpers";
import { inboundFields, NATIVE, nativeId, providerWorld, send, signed } from "./voice-helpers";

type S = Record<string, any>;
let DOC: S | undefined;
const doc = async () => (DOC ??= (await api("GET", "/openapi.json")).json);

/** A JSON Schema (2020-12 subset the document uses) checker: adds each problem to `out`. */
function validate(schema: S, value: unknown, at: string, root: S, out: string[]): void {
  if (schema.$ref) {
    const name = String(schema.$ref).split("/").pop()!;
    validate(root.components.schemas[name], value, at, root, out);
    return;
  }
  if (schema.anyOf || schema.oneOf) {
    const alts = (schema.anyOf ?? schema.oneOf) as S[];
    const results = alts.map((a) => {
      const o: string[] = [];
      validate(a, value, at, root, o);
      return o;
    });
    const passing = results.filter((r) => r.length === 0).length;
    if (passing === 0)
      out.push(
        `${at}: matches no ${schema.anyOf ? "anyOf" : "oneOf"} alternative (${JSON.stringify(value)?.slice(0, 200)}): ${results.map((r) => r[0]).join(" | ")}`,
      );
    else if (schema.oneOf && passing > 1) out.push(`${at}: matches ${passing} oneOf alternatives`);
  }
  if (schema.allOf) for (const a of schema.allOf) validate(a, value, at, root, out);
  if (schema.type !== undefined) {
    const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type];
    const actual =
      value === null ? "null" : Array.isArray(value) ? "array" : typeof value === "number" ? (Number.isInteger(value) ? "integer" : "number") : typeof value;
    const ok = types.some((t) => t === actual || (t === "number" && actual === "integer"));
    if (!ok) {
      out.push(`${at}: type ${actual} (${JSON.stringify(value)?.slice(0, 120)}), declared ${types.join("|")}`);
      return;
    }
  }
  if (schema.enum && !schema.enum.some((e: unknown) => JSON.stringify(e) === JSON.stringify(value)))
    out.push(`${at}: ${JSON.stringify(value)} not in enum ${JSON.stringify(schema.enum)}`);
  if (schema.const !== undefined && JSON.stringify(schema.const) !== JSON.stringify(value)) out.push(`${at}: not const ${JSON.stringify(schema.const)}`);
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) out.push(`${at}: ${value} < minimum ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) out.push(`${at}: ${value} > maximum ${schema.maximum}`);
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) out.push(`${at}: ${value} <= exclusiveMinimum ${schema.exclusiveMinimum}`);
  }
  if (typeof value === "string") {
    if (schema.minLength !== undefined && value.length < schema.minLength) out.push(`${at}: length ${value.length} < minLength ${schema.minLength}`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) out.push(`${at}: length ${value.length} > maxLength ${schema.maxLength}`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value))
      out.push(`${at}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) out.push(`${at}: ${value.length} items < minItems ${schema.minItems}`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) out.push(`${at}: ${value.length} items > maxItems ${schema.maxItems}`);
    const prefix: S[] = schema.prefixItems ?? [];
    value.forEach((v, i) => {
      if (i < prefix.length) validate(prefix[i]!, v, `${at}[${i}]`, root, out);
      else if (schema.items && typeof schema.items === "object") validate(schema.items, v, `${at}[${i}]`, root, out);
      else if (schema.items === false && prefix.length) out.push(`${at}[${i}]: beyond prefixItems`);
    });
  }
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!(r in obj)) out.push(`${at}.${r}: required, missing`);
    const props: S = schema.properties ?? {};
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) validate(props[k], v, `${at}.${k}`, root, out);
      else if (schema.additionalProperties === false) out.push(`${at}.${k}: not declared (additionalProperties false)`);
      else if (schema.additionalProperties && typeof schema.additionalProperties === "object")
        validate(schema.additionalProperties, v, `${at}.${k}`, root, out);
    }
  }
}

interface Res {
  status: number;
  headers: Headers;
  text: string;
}
const problems: string[] = [];
const checked = new Set<string>();

/** Check one response against the document's operation `method template`. */
async function conform(method: string, template: string, res: Res, label = ""): Promise<string[]> {
  const d = await doc();
  const op = d.paths[template]?.[method.toLowerCase()];
  const where = `${method} ${template} -> ${res.status}${label ? ` (${label})` : ""}`;
  const out: string[] = [];
  checked.add(`${method} ${template} ${res.status}`);
  if (!op) {
    out.push(`${where}: operation not documented`);
  } else {
    const declared = op.responses[String(res.status)] ?? op.responses.default;
    if (!declared) out.push(`${where}: status not declared (declared: ${Object.keys(op.responses).join(",")}) body=${res.text.slice(0, 200)}`);
    else {
      const ct = (res.headers.get("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
      if (!declared.content) {
        if (res.text !== "") out.push(`${where}: declared without content, but has body (${ct}) ${res.text.slice(0, 100)}`);
      } else {
        const media = declared.content[ct];
        if (!media) out.push(`${where}: Content-Type ${ct || "(none)"} not declared (declared: ${Object.keys(declared.content).join(",")})`);
        else if (ct.endsWith("json")) {
          let body: unknown;
          try {
            body = JSON.parse(res.text);
          } catch {
            out.push(`${where}: body is not JSON`);
          }
          if (body !== undefined) {
            const o: string[] = [];
            validate(media.schema, body, "$", d, o);
            for (const p of o) out.push(`${where}: ${p}`);
          }
        }
      }
    }
  }
  // Error bodies: always the documented shape.
  if (res.status >= 400) {
    try {
      const b = JSON.parse(res.text);
      const o: string[] = [];
      validate({ $ref: "#/components/schemas/Error" }, b, "$", d, o);
      for (const p of o) out.push(`${where}: error shape: ${p}`);
    } catch {
      out.push(`${where}: error body not JSON: ${res.text.slice(0, 100)}`);
    }
  }
  problems.push(...out);
  return out;
}

/** Request, then check against the template; answers the response. */
async function hit(method: string, template: string, path: string, opts: Parameters<typeof api>[2] = {}, label = "") {
  const r = await api(method, path, opts);
  const o = await conform(method, template, r, label);
  return { ...r, problems: o };
}

const HOOK = "https://hooks.example/dni";
/** What the snippet sends POST /v1/allocate with: a browser's headers, its body as text/plain, the site's Origin. */
const SNIPPET_HEADERS = { ...BROWSER_HEADERS, "Content-Type": "text/plain;charset=UTF-8", Origin: ORIGIN };
/** POST /v1/allocate as the snippet sends it (`headers` to send others), checked against the document. */
const allocateChecked = (body: Record<string, unknown>, label = "", headers: Record<string, string> = SNIPPET_HEADERS) =>
  hit("POST", "/v1/allocate", "/v1/allocate", { raw: JSON.stringify(body), headers }, label);

useTestClock(T0, { silence: ["warn", "error"] });

describe("accounts, account, keys", () => {
  it("operator and account routes", async () => {
    const before = problems.length;
    const created = await hit("POST", "/v1/accounts", "/v1/accounts", { key: OPERATOR, body: { name: "Probe", allowedOrigins: [ORIGIN] } });
    expect(created.status).toBe(201);
    const key = created.json.adminKey as string;
    await hit("GET", "/v1/accounts", "/v1/accounts", { key: OPERATOR });
    await hit("GET", "/v1/accounts", "/v1/accounts", {}, "no token");
    await hit("POST", "/v1/accounts", "/v1/accounts", { key: OPERATOR, body: { name: "" } }, "invalid");
    await hit("GET", "/v1/account", "/v1/account", { key });
    await hit("GET", "/v1/account", "/v1/account", { key: created.json.siteKey }, "site key");
    await hit("PATCH", "/v1/account", "/v1/account", { key, body: { name: "Probe 2", allowedOrigins: [ORIGIN, "https://*.shop.example"] } });
    await hit("PATCH", "/v1/account", "/v1/account", { key, body: { allowedOrigins: ["http://x"] } }, "bad origin");
    await hit("PATCH", "/v1/account", "/v1/account", { key, raw: "x", headers: { "Content-Type": "text/plain" } }, "text/plain");
    await hit("POST", "/v1/account/keys/rotate", "/v1/account/keys/rotate", { key, body: { key: "site" } });
    await hit("GET", "/v1/account/voice", "/v1/account/voice", { key });
    await hit("PATCH", "/v1/account/voice", "/v1/account/voice", {
      key,
      body: { provider: "twilio", credentials: { twilio: { authToken: TWILIO_TOKEN, accountSid: TWILIO_SID } }, fallbackNumber: "+12127365099" },
    });
    await hit(
      "PATCH",
      "/v1/account/voice",
      "/v1/account/voice",
      { key, body: { credentials: { vonage: { publicKey: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----" } } } },
      "bad pem",
    );
    await hit("POST", "/v1/account/voice/rotate", "/v1/account/voice/rotate", { key });
    await hit("GET", "/v1/account/integrations", "/v1/account/integrations", { key });
    await hit("PATCH", "/v1/account/integrations", "/v1/account/integrations", {
      key,
      body: { ga4: { measurementId: "G-TEST1234", apiSecret: "mp_secret_abcdef" }, webhook: { url: HOOK }, alertWebhook: { url: HOOK } },
    });
    // Integration secrets are sealed with SECRETS_KEY: a deployment without it cannot store them.
    await runInDurableObject(accountStub(created.json.account.id), (instance) => {
      (instance as unknown as { secrets: { secretsKey: string | undefined } }).secrets.secretsKey = undefined;
    });
    const unsealed = await hit(
      "PATCH",
      "/v1/account/integrations",
      "/v1/account/integrations",
      { key, body: { ga4: { measurementId: "G-TEST1234", apiSecret: "mp_secret_ghijkl" } } },
      "no SECRETS_KEY",
    );
    expect(unsealed.status).toBe(503);
    await hit("GET", "/v1/account/conversions", "/v1/account/conversions", { key });
    await hit("POST", "/v1/account/conversions/check", "/v1/account/conversions/check", { key }, "nothing configured");
    await hit("PATCH", "/v1/account/conversions", "/v1/account/conversions", {
      key,
      body: { googleAds: GOOGLE_SETTINGS, rules: { minSeconds: 30, value: 10, currency: "USD" } },
    });
    await hit("GET", "/v1/account/conversions", "/v1/account/conversions", { key }, "after set");
    await hit("PATCH", "/v1/account/conversions", "/v1/account/conversions", { key, body: { googleAds: DM_SETTINGS } }, "data manager");
    await hit("PATCH", "/v1/account/conversions", "/v1/account/conversions", { key, body: { googleAds: { ...DM_SETTINGS, api: "adwords" } } }, "bad api");
    await hit("POST", "/v1/sizing", "/v1/sizing", { key, body: { visitorsPerHour: 600, minutes: 30, share: 1, pools: 2, target: 0.01 } });
    await hit("POST", "/v1/sizing", "/v1/sizing", { key, body: {} }, "empty");
    await hit("GET", "/healthz", "/healthz");
    await hit("GET", "/v1/region", "/v1/region");
    await hit("GET", "/dni.js", "/dni.js");
    expect(problems.slice(before)).toEqual([]);
  });
});

describe("pools, allocation, leases, health, sizing, replay", () => {
  it("pool lifecycle", async () => {
    const before = problems.length;
    const acct = await createAccount();
    const key = acct.adminKey;
    const tracking = freshNumbers(3);
    await hit("POST", "/v1/pools", "/v1/pools", {
      key,
      body: { id: "web", name: "Web", trackingNumbers: tracking, destinations: [DEST], leaseSeconds: 60, graceSeconds: 120, isDefault: true },
    });
    await hit("POST", "/v1/pools", "/v1/pools", { key, body: { id: "web", name: "Web", trackingNumbers: freshNumbers(1), destinations: [DEST] } }, "exists");
    await hit("POST", "/v1/pools", "/v1/pools", { key, body: { id: "dup", name: "Dup", trackingNumbers: [tracking[0]], destinations: [DEST] } }, "conflict");
    await hit("POST", "/v1/pools", "/v1/pools", {
      key,
      body: {
        id: "routed",
        name: "Routed",
        trackingNumbers: freshNumbers(1),
        destinations: [DEST],
        route: { start: "main", lists: { main: [{ type: "forward", to: DEST }] } },
      },
    });
    await hit("GET", "/v1/pools", "/v1/pools", { key });
    await hit("GET", "/v1/pools/{id}", "/v1/pools/web", { key });
    await hit("GET", "/v1/pools/{id}", "/v1/pools/routed", { key }, "routed");
    await hit("GET", "/v1/pools/{id}", "/v1/pools/nope", { key }, "missing");
    await hit("PATCH", "/v1/pools/{id}", "/v1/pools/web", { key, body: { name: "Web 2", exhaustionPolicy: "overflow", overflowNumber: "+12127365077" } });
    await hit("POST", "/v1/pools/{id}/numbers", "/v1/pools/web/numbers", { key, body: { add: freshNumbers(1) } });
    for (let i = 0; i < 3; i++) await allocateChecked({ key: acct.siteKey, session: sessionId(), source: GOOGLE });
    await allocateChecked({ key: acct.siteKey, session: sessionId(), pools: ["nope"] }, "unknown pool");
    await allocateChecked({ key: acct.siteKey, session: sessionId(), sources: "ads: gclid -> web", source: { landing: `${ORIGIN}/` } }, "no rule matches");
    await allocateChecked({ key: acct.siteKey, session: sessionId() }, "bad origin", { ...SNIPPET_HEADERS, Origin: "https://evil.example" });
    await allocateChecked({ key: acct.siteKey, session: sessionId() }, "not a browser", { "Content-Type": "text/plain;charset=UTF-8", Origin: ORIGIN });
    await allocateChecked({ key: "pk_nonsense", session: sessionId() }, "bad key");
    await allocateChecked({ key: acct.adminKey, session: sessionId() }, "admin key");
    await hit("GET", "/v1/pools/{id}/leases", "/v1/pools/web/leases", { key });
    await hit("GET", "/v1/pools/{id}/numbers", "/v1/pools/web/numbers", { key });
    await hit("GET", "/v1/pools/{id}/numbers", "/v1/pools/web/numbers?limit=1", { key }, "paged");
    await hit("GET", "/v1/pools/{id}/health", "/v1/pools/web/health", { key });
    await hit("GET", "/v1/pools/{id}/sizing", "/v1/pools/web/sizing", { key });
    await hit("GET", "/v1/pools/{id}/sizing", "/v1/pools/web/sizing?visitorsPerHour=100", { key }, "with estimate");
    await hit("GET", "/v1/pools/{id}/replay", "/v1/pools/web/replay", { key });
    await hit("GET", "/v1/pools/{id}/replay", "/v1/pools/web/replay?numbers=2&leaseSeconds=60", { key }, "what-if");
    await hit("DELETE", "/v1/pools/{id}", "/v1/pools/routed", { key });
    await hit("DELETE", "/v1/pools/{id}", "/v1/pools/routed", { key }, "again");
    expect(problems.slice(before)).toEqual([]);
  });

  it("a pool that is exhausted, and an empty pool: allocate and health", async () => {
    const before = problems.length;
    const acct = await createAccount();
    await createPool(acct, { id: "tiny", name: "Tiny", trackingNumbers: freshNumbers(1), destinations: [DEST], exhaustionPolicy: "none", isDefault: true });
    await hit(
      "POST",
      "/v1/pools",
      "/v1/pools",
      { key: acct.adminKey, body: { id: "empty", name: "Empty", trackingNumbers: [], destinations: [DEST] } },
      "empty trackingNumbers (schema default [])",
    );
    await createPool(acct, { id: "empty", name: "Empty", trackingNumbers: freshNumbers(1), destinations: ["+12127365002"] });
    for (let i = 0; i < 2; i++) await allocateChecked({ key: acct.siteKey, session: sessionId(), pools: ["tiny", "empty"] });
    await hit("GET", "/v1/pools/{id}/health", "/v1/pools/tiny/health", { key: acct.adminKey });
    await hit("GET", "/v1/pools/{id}/health", "/v1/pools/empty/health", { key: acct.adminKey }, "empty");
    await hit("GET", "/v1/pools/{id}/sizing", "/v1/pools/empty/sizing", { key: acct.adminKey }, "empty");
    await hit("GET", "/v1/pools/{id}/replay", "/v1/pools/empty/replay", { key: acct.adminKey }, "empty");
    expect(problems.slice(before)).toEqual([]);
  });
});

describe("calls, stats, csv, deliveries, archive", () => {
  it("calls read back", async () => {
    const before = problems.length;
    const { acct, voice } = await callWorld(2);
    const key = acct.adminKey;
    await api("PATCH", "/v1/account/integrations", {
      key,
      body: { ga4: { measurementId: "G-TEST1234", apiSecret: "mp_secret_abcdef" }, webhook: { url: HOOK } },
    });
    await api("PATCH", "/v1/account/conversions", { key, body: { googleAds: DM_SETTINGS } });
    // Google's Data Manager API takes the upload: the call shows its request id.
    const answers: Record<string, unknown> = {
      "oauth2.googleapis.com": { access_token: "ya29.contract", expires_in: 3599 },
      "datamanager.googleapis.com": { requestId: "dm-contract-1" },
    };
    const answer = (url: URL) => (url.href === HOOK ? "down" : JSON.stringify(answers[url.hostname] ?? {}));
    mockNetwork((req) => new Response(answer(req.url), { status: req.url.href === HOOK ? 500 : 200, headers: { "Content-Type": "application/json" } }));
    const v = await visit(acct, { ...GOOGLE, consent: GRANTED });
    const id = callId();
    await hit("POST", "/v1/voice/{account}/{at}", voice.callbackUrl.replace(BASE, ""), { body: callBody(id, v.number, T0) }, "reference inbound");
    await hit("POST", "/v1/voice/{account}/{at}/status", `${voice.callbackUrl.replace(BASE, "")}/status`, {
      body: { callId: id, status: "completed", duration: 95, endTime: T0 + 100_000 },
    });
    const unattributed = callId();
    await hit("POST", "/v1/voice/{account}/{at}", voice.callbackUrl.replace(BASE, ""), { body: callBody(unattributed, "+18005550199", T0) }, "unknown number");
    await hit(
      "POST",
      "/v1/voice/{account}/{at}/status",
      `${voice.callbackUrl.replace(BASE, "")}/status`,
      { body: { callId: "never", status: "busy" } },
      "orphan",
    );
    await runDurableObjectAlarm(accountStub(acct.accountId));
    // The outcome settled: the upload goes.
    at(T0 + COMPLETED_SETTLE_MS);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    const checked = await hit("POST", "/v1/account/conversions/check", "/v1/account/conversions/check", { key });
    expect(checked.json).toMatchObject({ ok: true, results: [{ platform: "google_ads", api: "data_manager", ok: true }] });
    await hit("POST", "/v1/account/conversions/check", "/v1/account/conversions/check", { key, body: { platform: "google_ads" } }, "one platform");
    await hit("POST", "/v1/account/conversions/check", "/v1/account/conversions/check", { key, body: { platform: "microsoft_ads" } }, "not configured");
    await hit("POST", "/v1/account/conversions/check", "/v1/account/conversions/check", { key, body: { platform: "bing" } }, "bad platform");
    await hit("GET", "/v1/calls", "/v1/calls", { key });
    await hit("GET", "/v1/calls", "/v1/calls?limit=1", { key }, "page 1");
    await hit("GET", "/v1/calls", "/v1/calls?attributed=false", { key }, "unattributed");
    await hit("GET", "/v1/calls", "/v1/calls?cursor=garbage", { key }, "bad cursor");
    const read = await hit("GET", "/v1/calls/{id}", `/v1/calls/${id}`, { key });
    expect(read.json.conversions).toContainEqual(expect.objectContaining({ platform: "google_ads", status: "uploaded", requestId: "dm-contract-1" }));
    await hit("GET", "/v1/calls/{id}", `/v1/calls/${unattributed}`, { key }, "unattributed");
    await hit("GET", "/v1/calls/{id}", "/v1/calls/nothing-here", { key }, "missing");
    await hit("GET", "/v1/calls.csv", "/v1/calls.csv", { key });
    await hit("GET", "/v1/calls.csv", "/v1/calls.csv?format=google_ads", { key }, "google");
    await hit("GET", "/v1/stats/calls", "/v1/stats/calls", { key });
    for (const g of ["source", "campaign", "landing", "pool"]) await hit("GET", "/v1/stats/calls", `/v1/stats/calls?groupBy=${g}`, { key }, g);
    await hit("GET", "/v1/call-reports/orphans", "/v1/call-reports/orphans", { key });
    const dl = await hit("GET", "/v1/deliveries", "/v1/deliveries", { key });
    await hit("GET", "/v1/deliveries", "/v1/deliveries?status=failing", { key }, "failing");
    await hit("GET", "/v1/deliveries", "/v1/deliveries?cursor=zzz", { key }, "bad cursor");
    const first = dl.json?.deliveries?.[0]?.id ?? dl.json?.items?.[0]?.id;
    if (first !== undefined) await hit("POST", "/v1/deliveries/{id}/redeliver", `/v1/deliveries/${first}/redeliver`, { key });
    await hit("POST", "/v1/deliveries/{id}/redeliver", "/v1/deliveries/999999/redeliver", { key }, "missing");
    // A webhook delivery whose webhook was removed since: redeliver answers 409.
    await api("PATCH", "/v1/account/integrations", { key, body: { webhook: null } });
    const hook = (dl.json?.deliveries ?? dl.json?.items ?? []).find((d: any) => d.kind === "webhook");
    if (hook) await hit("POST", "/v1/deliveries/{id}/redeliver", `/v1/deliveries/${hook.id}/redeliver`, { key }, "webhook removed");
    await hit("GET", "/v1/archive/calls", "/v1/archive/calls", { key });
    await hit("GET", "/v1/archive/calls", "/v1/archive/calls?cursor=zzz", { key }, "bad cursor");
    await hit("GET", "/v1/archive/calls/{day}", "/v1/archive/calls/2026-01-31", { key }, "no archive");
    await hit("DELETE", "/v1/calls/{id}", `/v1/calls/${unattributed}`, { key });
    await hit("POST", "/v1/calls/erase", "/v1/calls/erase", { key, body: { caller: "+14155550123" } });
    await hit("POST", "/v1/calls/erase", "/v1/calls/erase", { key, body: { caller: "not a number" } }, "not a number");
    await hit("POST", "/v1/calls/erase", "/v1/calls/erase", { key, body: { number: "+14155550123" } }, "unknown field");
    await hit("POST", "/v1/calls/erase", "/v1/calls/erase", { key, body: { session: "s0000000000000000001" } }, "by session");
    await hit("POST", "/v1/calls/erase", "/v1/calls/erase", { key, body: { caller: "+14155550123", session: "s0000000000000000001" } }, "both");
    expect(problems.slice(before)).toEqual([]);
  });
});

describe("orders and autoscale", () => {
  it("orders, cancel, autoscale", async () => {
    const before = problems.length;
    const acct = await createAccount();
    const key = acct.adminKey;
    await api("PATCH", "/v1/account/voice", {
      key,
      body: { provider: "twilio", credentials: { twilio: { authToken: TWILIO_TOKEN, accountSid: TWILIO_SID } } },
    });
    const twilio = new FakeTwilio(stock("510", 10));
    mockNetwork((req) => (twilio.handles(req) ? twilio.handle(req) : new Response(null, { status: 204 })));
    const made = await hit(
      "POST",
      "/v1/pools",
      "/v1/pools",
      {
        key,
        body: poolBody({ country: "US", areaCode: "510", quantity: 2 }),
      },
      "with order",
    );
    const orderId = made.json?.order?.id;
    await hit("GET", "/v1/orders", "/v1/orders", { key }, "pending");
    await hit("GET", "/v1/orders/{id}", `/v1/orders/${orderId}`, { key }, "pending");
    await runDurableObjectAlarm(accountStub(acct.accountId));
    await hit("GET", "/v1/orders/{id}", `/v1/orders/${orderId}`, { key }, "completed");
    await hit("GET", "/v1/orders", "/v1/orders?pool=ads", { key }, "of pool");
    await hit("DELETE", "/v1/orders/{id}", `/v1/orders/${orderId}`, { key }, "closed");
    await hit("GET", "/v1/orders/{id}", "/v1/orders/nothing", { key }, "missing");
    const more = await hit(
      "POST",
      "/v1/pools/{id}/numbers",
      "/v1/pools/ads/numbers",
      {
        key,
        // With a regulatory id: the order's view shows it (US numbers need none; Twilio takes an Address all the same).
        body: { order: { country: "US", areaCode: "510", quantity: 1, regulatory: { addressSid: `AD${"0".repeat(32)}` } } },
        headers: { "Idempotency-Key": "probe-1" },
      },
      "order",
    );
    expect(more.json?.order?.request?.regulatory).toEqual({ addressSid: `AD${"0".repeat(32)}` });
    await hit(
      "POST",
      "/v1/pools/{id}/numbers",
      "/v1/pools/ads/numbers",
      { key, body: { order: { country: "US", quantity: 1, regulatory: { requirementGroupId: "a4b201f9-8646-4e54-a7d2-b2e403eeaf8c" } } } },
      "another provider's regulatory id",
    );
    await hit(
      "POST",
      "/v1/pools/{id}/numbers",
      "/v1/pools/ads/numbers",
      { key, body: { order: { country: "US", areaCode: "415", quantity: 1 } }, headers: { "Idempotency-Key": "probe-1" } },
      "key reused",
    );
    if (more.json?.order?.id) await hit("DELETE", "/v1/orders/{id}", `/v1/orders/${more.json.order.id}`, { key }, "cancel open");
    await hit("GET", "/v1/pools/{id}/autoscale", "/v1/pools/ads/autoscale", { key }, "unset");
    await hit("PUT", "/v1/pools/{id}/autoscale", "/v1/pools/ads/autoscale", {
      key,
      body: {
        numbers: { country: "US", areaCode: "510", regulatory: { bundleSid: `BU${"0".repeat(32)}` } },
        min: 2,
        max: 5,
        target: 0.05,
        cooldownMinutes: 60,
      },
    });
    await runDurableObjectAlarm(accountStub(acct.accountId));
    await hit("GET", "/v1/pools/{id}/autoscale", "/v1/pools/ads/autoscale", { key }, "set");
    await hit("DELETE", "/v1/pools/{id}/autoscale", "/v1/pools/ads/autoscale", { key });
    await hit("DELETE", "/v1/pools/{id}/autoscale", "/v1/pools/ads/autoscale", { key }, "again");
    // No ordering credentials: a pool with an order refused.
    const bare = await createAccount();
    await hit(
      "POST",
      "/v1/pools",
      "/v1/pools",
      { key: bare.adminKey, body: { id: "x", name: "X", destinations: [DEST], order: { country: "US", areaCode: "510", quantity: 1 } } },
      "no creds",
    );
    expect(problems.slice(before)).toEqual([]);
  });
});

describe("errors particular to a route", () => {
  it("voice settings: fallback a tracking number (409), a route the provider cannot run (422)", async () => {
    const before = problems.length;
    const acct = await createAccount();
    const tracking = freshNumbers(1);
    await hit(
      "POST",
      "/v1/pools",
      "/v1/pools",
      {
        key: acct.adminKey,
        body: {
          id: "f",
          name: "F",
          trackingNumbers: freshNumbers(1),
          destinations: [DEST],
          route: { start: "main", lists: { main: [{ type: "failover", to: [DEST, "+12127365001"], ringSeconds: 15 }] } },
        },
      },
      "failover on reference",
    );
    await createPool(acct, {
      id: "r",
      name: "R",
      trackingNumbers: tracking,
      destinations: [DEST],
      route: { start: "main", lists: { main: [{ type: "ring", to: [DEST, "+12127365001"], callerId: "+12127365050" }] } },
    });
    await hit("PATCH", "/v1/account/voice", "/v1/account/voice", { key: acct.adminKey, body: { fallbackNumber: tracking[0] } }, "fallback is tracking");
    for (const p of ["vonage"]) {
      const r = await hit("PATCH", "/v1/account/voice", "/v1/account/voice", { key: acct.adminKey, body: { provider: p } }, `provider ${p}`);
      if (r.status !== 200) break;
    }
    expect(problems.slice(before)).toEqual([]);
  });

  it("a method a documented path does not have: 405 in the error shape, with Allow (no operation to declare it on)", async () => {
    const acct = await createAccount();
    const r = await api("PUT", "/v1/account", { key: acct.adminKey, body: {} });
    expect([r.status, r.json.error.code, r.headers.get("Allow")]).toEqual([405, "method_not_allowed", "GET, HEAD, PATCH"]);
    const o: string[] = [];
    validate({ $ref: "#/components/schemas/Error" }, r.json, "$", await doc(), o);
    expect(o).toEqual([]);
  });
});

describe("native voice callbacks", () => {
  it("each provider's inbound, status and a bad signature", async () => {
    const before = problems.length;
    for (const p of NATIVE) {
      const w = await providerWorld(p);
      const v = await visit(w.acct);
      const id = nativeId(p);
      const inbound = await send(await signed(p, w.keys, w.base, inboundFields(p, id, v.number), Date.now()));
      const method = p === "vonage" ? "GET" : "POST";
      await conform(method, "/v1/voice/{account}/{at}", { status: inbound.status, headers: inbound.headers, text: inbound.text }, `${p} inbound`);
      const bad = await SELF.fetch(w.base, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "a=b" });
      await conform("POST", "/v1/voice/{account}/{at}", { status: bad.status, headers: bad.headers, text: await bad.text() }, `${p} unsigned`);
      const odd = await SELF.fetch(w.base, { method: "POST", headers: { "Content-Type": "text/plain" }, body: "a=b" });
      await conform("POST", "/v1/voice/{account}/{at}", { status: odd.status, headers: odd.headers, text: await odd.text() }, `${p} text/plain`);
    }
    const nf = await SELF.fetch(`${BASE}/v1/voice/abcdefabcdefabcd/twilio/nope`, { method: "POST" });
    await conform("POST", "/v1/voice/{account}/{at}/status", { status: nf.status, headers: nf.headers, text: await nf.text() }, "unknown leg");
    expect(problems.slice(before)).toEqual([]);
  });

  it("allocation rate limit (429) and snippet 304", async () => {
    const before = problems.length;
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(1), destinations: [DEST], isDefault: true, maxNewLeasesPerMinute: 1 });
    for (let i = 0; i < 3; i++) await allocateChecked({ key: acct.siteKey, session: sessionId() }, `rate ${i}`);
    const js = await api("GET", "/dni.js");
    await hit("GET", "/dni.js", "/dni.js", { headers: { "If-None-Match": js.headers.get("ETag") ?? "" } }, "304");
    expect(problems.slice(before)).toEqual([]);
  });
});

describe("a route patch the provider cannot run", () => {
  it("PATCH /v1/pools/{id}: 422 route_not_supported", async () => {
    const before = problems.length;
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(1), destinations: [DEST], isDefault: true });
    const r = await hit(
      "PATCH",
      "/v1/pools/{id}",
      "/v1/pools/web",
      { key: acct.adminKey, body: { route: { start: "main", lists: { main: [{ type: "failover", to: [DEST, "+12127365001"] }] } } } },
      "failover on reference",
    );
    expect(r.status).toBe(422);
    expect(problems.slice(before)).toEqual([]);
  });
});
