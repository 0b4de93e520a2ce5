/**
 * Fuzzing the public endpoints and the admin API with fast-check: whatever arrives, the answer
 * is a 4xx with the JSON error shape (never a 5xx) and nothing stored changes.
 */
import { SELF } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VOICE_FIELDS, weirdString } from "./fuzz-values";
import { accountStub, api, BROWSER_HEADERS, createAccount, createPool, directoryStub, dump, freshNumbers, ORIGIN, poolStub, sessionId } from "./helpers";
import { credentialsOf, makeKeys, NATIVE, signed } from "./voice-helpers";

const RUNS = 50;

async function world() {
  const acct = await createAccount();
  await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(3), destinations: ["+12127365000"], isDefault: true });
  const warm = await SELF.fetch("https://dni.test/v1/allocate", {
    method: "POST",
    headers: { ...BROWSER_HEADERS, Origin: ORIGIN, "Content-Type": "text/plain" },
    body: JSON.stringify({ key: acct.siteKey, session: sessionId() }),
  });
  expect(warm.status).toBe(200);
  const state = async () => [await dump(accountStub(acct.accountId)), await dump(poolStub(acct.accountId, "web")), await dump(directoryStub())].join("\n");
  return { acct, state };
}

async function expectClientError(res: Response, label: unknown): Promise<void> {
  const text = await res.text();
  expect(res.status, `${JSON.stringify(label)} → ${res.status} ${text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
  expect(res.status, `${JSON.stringify(label)} → ${text.slice(0, 200)}`).toBeLessThan(500);
  const body = JSON.parse(text);
  expect(typeof body.error.code).toBe("string");
  expect(typeof body.error.message).toBe("string");
}

const phoneish = fc.oneof(weirdString, fc.stringMatching(/^\+?[0-9 ()\-.]{0,20}$/));
const jsonValue = fc.oneof(
  fc.json(),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  weirdString,
);

describe("fuzz: POST /v1/allocate", () => {
  it("arbitrary bodies and origins never leak a 5xx or change storage", async () => {
    const { acct, state } = await world();
    const before = await state();
    const body = fc.oneof(
      jsonValue,
      fc
        .record(
          {
            key: fc.oneof(weirdString, fc.constant(acct.siteKey), fc.constant(acct.adminKey)),
            session: weirdString,
            pools: fc.anything(),
            source: fc.anything(),
          },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
      // Everything valid except the origin.
      fc.constant(JSON.stringify({ key: acct.siteKey, session: "fuzzsession0000000000" })),
    );
    const origin = fc.oneof(
      fc.constant(undefined),
      weirdString.filter((s) => /^[\x21-\x7e]*$/.test(s)),
      fc.webUrl(),
      fc.constant("null"),
    );
    await fc.assert(
      fc.asyncProperty(body, origin, async (b, o) => {
        const headers: Record<string, string> = { ...BROWSER_HEADERS, "Content-Type": "text/plain" };
        if (o !== undefined && o !== ORIGIN) headers.Origin = o;
        const res = await SELF.fetch("https://dni.test/v1/allocate", { method: "POST", headers, body: b });
        await expectClientError(res, { b: b.slice(0, 80), o });
      }),
      { numRuns: RUNS },
    );
    expect(await state()).toBe(before);
  });
});

describe("fuzz: snippet serving and unknown routes", () => {
  it("/dni.js answers 200 or 304 for any query or validator; other paths a JSON 404", async () => {
    await fc.assert(
      fc.asyncProperty(fc.webQueryParameters(), fc.option(weirdString.filter((s) => /^[\x20-\x7e]*$/.test(s))), fc.webPath(), async (q, inm, path) => {
        const headers: Record<string, string> = {};
        if (inm) headers["If-None-Match"] = inm;
        const res = await SELF.fetch(`https://dni.test/dni.js?${q}`, { headers });
        expect([200, 304]).toContain(res.status);
        await res.arrayBuffer();
        const p = path.startsWith("/") ? path : `/${path}`;
        if (["/dni.js", "/healthz", "/openapi.json", "/docs", "/dashboard", "/"].includes(p)) return;
        const other = await SELF.fetch(`https://dni.test/zz${p}`);
        await expectClientError(other, p);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("fuzz: admin API with a valid key", () => {
  it("arbitrary bodies to every write route are refused with 4xx and change nothing", async () => {
    const { acct, state } = await world();
    const poolBody = fc.record(
      {
        id: fc.oneof(weirdString, fc.constant("web"), fc.constant("new-pool")),
        name: fc.oneof(weirdString, fc.anything()),
        country: fc.oneof(weirdString, fc.constant("US"), fc.constant("ZZ")),
        trackingNumbers: fc.oneof(fc.array(phoneish, { maxLength: 5 }), fc.anything()),
        destinations: fc.oneof(fc.array(phoneish, { maxLength: 3 }), fc.anything()),
        leaseSeconds: fc.oneof(fc.integer(), fc.double(), fc.anything()),
        exhaustionPolicy: fc.oneof(weirdString, fc.anything()),
      },
      { requiredKeys: [] },
    );
    const route = fc.constantFrom(
      ["POST", "/v1/pools"],
      ["PATCH", "/v1/pools/web"],
      ["PATCH", "/v1/pools/nope"],
      ["POST", "/v1/pools/web/numbers"],
      ["PUT", "/v1/pools/web/autoscale"],
      ["DELETE", "/v1/pools/nope"],
      ["PATCH", "/v1/account"],
      ["POST", "/v1/account/keys/rotate"],
      ["POST", "/v1/sizing"],
      ["POST", "/v1/accounts"],
    );
    // A number request (POST /v1/pools, POST /v1/pools/{id}/numbers) and autoscale settings.
    const order = fc.record(
      {
        country: fc.oneof(weirdString, fc.constantFrom("US", "CA", "XX")),
        type: fc.oneof(weirdString, fc.constantFrom("local", "national", "tollfree", "mobile")),
        areaCode: fc.oneof(weirdString, fc.constantFrom("510", "416", "999")),
        city: fc.oneof(weirdString, fc.anything()),
        near: fc.oneof(fc.record({ lat: fc.double(), lng: fc.double(), radiusMiles: fc.integer() }, { requiredKeys: [] }), fc.anything()),
        quantity: fc.oneof(fc.integer({ min: -5, max: 200 }), fc.anything()),
        fallback: fc.oneof(weirdString, fc.constantFrom("tollfree", "nearest", "wait")),
      },
      { requiredKeys: [] },
    );
    const autoscale = fc.record(
      {
        min: fc.oneof(fc.integer({ min: -5, max: 30_000 }), fc.anything()),
        max: fc.oneof(fc.integer({ min: -5, max: 30_000 }), fc.anything()),
        target: fc.oneof(fc.double(), fc.anything()),
        cooldownMinutes: fc.oneof(fc.integer(), fc.anything()),
        dryRun: fc.anything(),
        numbers: order,
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      jsonValue,
      poolBody.map((v) => JSON.stringify(v)),
      fc.record({ order }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
      poolBody.chain((p) => order.map((o) => JSON.stringify({ ...p, order: o }))),
      autoscale.map((v) => JSON.stringify(v)),
      fc.record({ add: fc.array(phoneish), remove: fc.array(phoneish) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
      fc.record({ allowedOrigins: fc.array(weirdString) }).map((v) => JSON.stringify(v)),
    );
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(route, body, async ([method, path], b) => {
        const prior = await state();
        const res = await SELF.fetch(`https://dni.test${path}`, {
          method,
          headers: { Authorization: `Bearer ${acct.adminKey}`, "Content-Type": "application/json" },
          body: b,
        });
        expect(res.status, `${method} ${path} ${b.slice(0, 120)}`).toBeLessThan(500);
        // A generator can stumble on a valid request (an empty origins list, a plausible name):
        // those may change things; every refusal must change nothing.
        if (res.status >= 400) {
          refused++;
          await expectClientError(res, { method, path, b: b.slice(0, 120) });
          expect(await state()).toBe(prior);
        } else await res.arrayBuffer();
      }),
      { numRuns: RUNS * 2 },
    );
    expect(refused).toBeGreaterThan(RUNS * 1.5);
  });
});

describe("fuzz: the voice provider's callback", () => {
  it("arbitrary bodies, encodings and tokens: 4xx JSON errors for what is refused, never a 5xx, nothing stored on refusal", async () => {
    const { acct, state } = await world();
    const voice = (await (await SELF.fetch("https://dni.test/v1/account/voice", { headers: { Authorization: `Bearer ${acct.adminKey}` } })).json()) as {
      callbackUrl: string;
      signedCallbackUrl: string;
    };
    const url = fc.oneof(
      fc.constant(voice.callbackUrl),
      fc.constant(`${voice.callbackUrl}/agent`),
      fc.constant(voice.signedCallbackUrl),
      fc.constant(voice.callbackUrl.replace(/[^/]+$/, "vs_wrong")),
      fc.constant(`https://dni.test/v1/voice/${acct.accountId.slice(0, 15)}x/${voice.callbackUrl.split("/").pop()}`),
      fc.webPath().map((p) => `https://dni.test/v1/voice/${p.replace(/^\//, "")}`),
    );
    const fields = fc.record(
      {
        callId: fc.oneof(weirdString, fc.integer()),
        callerNo: phoneish,
        calledNo: phoneish,
        startTime: fc.oneof(
          fc.integer(),
          fc.double(),
          weirdString,
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        ),
        To: phoneish,
        From: phoneish,
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fields.map((f) => ({ type: "application/json", body: JSON.stringify(f) })),
      fields.map((f) => ({
        type: "application/x-www-form-urlencoded",
        body: new URLSearchParams(Object.entries(f).map(([k, v]) => [k, String(v)])).toString(),
      })),
      jsonValue.map((b) => ({ type: "application/json", body: b })),
      weirdString.map((b) => ({ type: "text/plain", body: b })),
    );
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(
        url,
        body,
        fc.option(fc.record({ ts: fc.string({ maxLength: 12 }), sig: weirdString.filter((s) => /^[\x20-\x7e]*$/.test(s)) })),
        async (u, b, signed) => {
          const prior = await state();
          const headers: Record<string, string> = { "Content-Type": b.type };
          if (signed) Object.assign(headers, { "X-DNI-Timestamp": signed.ts.replace(/[^\x20-\x7e]/g, ""), "X-DNI-Signature": signed.sig });
          const res = await SELF.fetch(u, { method: "POST", headers, body: b.body });
          expect(res.status, `${u} ${b.body.slice(0, 100)}`).toBeLessThan(500);
          if (res.status >= 400) {
            refused++;
            await expectClientError(res, { u, b: b.body.slice(0, 100) });
            expect(await state()).toBe(prior);
          } else await res.arrayBuffer();
        },
      ),
      { numRuns: RUNS * 2 },
    );
    expect(refused).toBeGreaterThan(RUNS);
  });
});

describe("fuzz: the native providers' callbacks", () => {
  it("any method, body, signature headers and path under each provider: 4xx JSON for what is refused, never a 5xx, nothing stored on refusal", async () => {
    const { acct, state } = await world();
    const keys = await makeKeys();
    const credentials = Object.fromEntries(NATIVE.map((p) => [p, credentialsOf(p, keys)]));
    expect((await api("PATCH", "/v1/account/voice", { key: acct.adminKey, body: { provider: "twilio", credentials } })).status).toBe(200);
    const base = `https://dni.test/v1/voice/${acct.accountId}`;
    const path = fc.oneof(
      fc
        .constantFrom(...NATIVE)
        .chain((p) => fc.constantFrom(`/${p}`, `/${p}/status`, `/${p}/whisper?call=x`, `/${p}/whisper?call=${"%00".repeat(3)}`, `/${p}/nope`)),
      fc.constantFrom("/status", "/agent", "/twilio/status/extra"),
    );
    const fields = fc.dictionary(
      fc.constantFrom(...VOICE_FIELDS),
      fc.oneof(weirdString, phoneish, fc.constantFrom("completed", "busy", "no-answer", "answered", "hangup", "42", "-1", "1e309")),
      { maxKeys: 8 },
    );
    const printable = weirdString.filter((x) => /^[\x20-\x7e]*$/.test(x));
    const headers = fc.record(
      {
        "X-Twilio-Signature": printable,
        "X-SignalWire-Signature": printable,
        "telnyx-signature-ed25519": printable,
        "telnyx-timestamp": fc.oneof(printable, fc.constant(String(Math.floor(Date.now() / 1000)))),
        "X-Plivo-Signature-V3": printable,
        "X-Plivo-Signature-V3-Nonce": printable,
        Authorization: fc.oneof(
          printable,
          printable.map((x) => `Bearer ${x}.${x}.${x}`),
        ),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fields.map((f) => ({ type: "application/x-www-form-urlencoded", body: new URLSearchParams(f).toString() })),
      fields.map((f) => ({ type: "application/json", body: JSON.stringify(f) })),
      jsonValue.map((b) => ({ type: "application/json", body: b })),
      weirdString.map((b) => ({ type: "text/plain", body: b })),
    );
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(path, fc.constantFrom("GET", "POST", "PUT"), body, headers, async (p, method, b, h) => {
        const prior = await state();
        const res = await SELF.fetch(`${base}${p}`, { method, headers: { "Content-Type": b.type, ...h }, ...(method === "GET" ? {} : { body: b.body }) });
        expect(res.status, `${method} ${p} ${b.body.slice(0, 80)}`).toBeLessThan(500);
        if (res.status >= 400) {
          refused++;
          await expectClientError(res, { method, p, b: b.body.slice(0, 80) });
          expect(await state()).toBe(prior);
        } else await res.arrayBuffer();
      }),
      { numRuns: RUNS * 2 },
    );
    expect(refused).toBeGreaterThan(RUNS);
  });

  it("validly signed but arbitrary fields: 400 or an answer, never a 5xx; nothing stored on refusal", async () => {
    const { acct, state } = await world();
    const keys = await makeKeys();
    const credentials = Object.fromEntries(NATIVE.map((p) => [p, credentialsOf(p, keys)]));
    expect((await api("PATCH", "/v1/account/voice", { key: acct.adminKey, body: { credentials } })).status).toBe(200);
    const base = `https://dni.test/v1/voice/${acct.accountId}`;
    const fields = fc.dictionary(
      fc.constantFrom(...VOICE_FIELDS),
      fc.oneof(
        weirdString.filter((x) => !x.includes("\u0000")),
        phoneish,
        fc.constantFrom("completed", "busy", "no-answer", "+18005550100", "CA123", "99999999999"),
      ),
      { maxKeys: 6 },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...NATIVE), fc.constantFrom("", "/status", "/whisper?call=CA1"), fields, async (p, leg, f) => {
        const prior = await state();
        const req = await signed(p, keys, `${base}/${p}${leg}`, f, Date.now(), { get: p === "vonage" && leg !== "/status" });
        const res = await SELF.fetch(req.url, { method: req.method, headers: req.headers, ...(req.body !== null ? { body: req.body } : {}) });
        expect(res.status, `${p}${leg} ${JSON.stringify(f).slice(0, 120)}`).toBeLessThan(500);
        if (res.status >= 400) {
          await expectClientError(res, { p, leg, f });
          expect(await state()).toBe(prior);
        } else await res.arrayBuffer();
      }),
      { numRuns: RUNS },
    );
  });
});

describe("fuzz: admin reads and settings with a valid key", () => {
  it("arbitrary queries and settings bodies: 4xx or a valid answer, never a 5xx", async () => {
    const { acct, state } = await world();
    const query = fc.webQueryParameters();
    const read = fc.constantFrom(
      "/v1/calls",
      "/v1/calls.csv",
      "/v1/stats/calls",
      "/v1/pools/web/health",
      "/v1/pools/web/numbers",
      "/v1/pools/web/sizing",
      "/v1/pools/web/replay",
      "/v1/pools/web/autoscale",
      "/v1/orders",
      "/v1/orders/nope",
      "/v1/orders/ord_00000000000000000000",
      "/v1/pools/nope/health",
      "/v1/calls/nope",
      "/v1/call-reports/orphans",
    );
    await fc.assert(
      fc.asyncProperty(read, query, async (path, q) => {
        const res = await SELF.fetch(`https://dni.test${path}?${q}`, { headers: { Authorization: `Bearer ${acct.adminKey}` } });
        expect(res.status, `${path}?${q}`).toBeLessThan(500);
        if (res.status >= 400) await expectClientError(res, `${path}?${q}`);
        else await res.arrayBuffer();
      }),
      { numRuns: RUNS },
    );
    const write = fc.constantFrom("/v1/account/voice", "/v1/account/integrations");
    const settings = fc.oneof(
      jsonValue,
      fc
        .record(
          {
            fallbackNumber: fc.oneof(phoneish, fc.constant(null)),
            provider: fc.oneof(weirdString, fc.constantFrom("twilio", "vonage", "reference")),
            credentials: fc.oneof(
              fc.anything(),
              fc.record(
                {
                  twilio: fc.oneof(fc.anything(), fc.record({ authToken: weirdString })),
                  telnyx: fc.record({ publicKey: weirdString }),
                  vonage: fc.anything(),
                },
                { requiredKeys: [] },
              ),
            ),
            ga4: fc.anything(),
            webhook: fc.oneof(fc.record({ url: weirdString }), fc.anything()),
            alertWebhook: fc.anything(),
          },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
    );
    await fc.assert(
      fc.asyncProperty(write, settings, async (path, b) => {
        const prior = await state();
        const res = await SELF.fetch(`https://dni.test${path}`, {
          method: "PATCH",
          headers: { Authorization: `Bearer ${acct.adminKey}`, "Content-Type": "application/json" },
          body: b,
        });
        expect(res.status, `${path} ${b.slice(0, 100)}`).toBeLessThan(500);
        if (res.status >= 400) {
          await expectClientError(res, { path, b: b.slice(0, 100) });
          expect(await state()).toBe(prior);
        } else await res.arrayBuffer();
      }),
      { numRuns: RUNS },
    );
  });
});
