/**
 * Found by probing the public API from outside, as a client not in this repository would: each a
 * bad input that was stored (or answered with another code than its condition's elsewhere).
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { xmlEscape } from "../../worker/voice/providers/common";
import { mockNetwork, T0 } from "./calls-helpers";
import { accountStub, api, createAccount, createPool, dump, freshNumbers, poolStub, useTestClock } from "./helpers";
import { FakeTwilio, stock, TWILIO_SID, TWILIO_TOKEN } from "./numbers-fakes";
import { inbound } from "./route-helpers";
import { providerWorld } from "./voice-helpers";

const DEST = "+12127365000";
const AGENT = "+12127365001";

useTestClock(T0);

const snapshot = async (accountId: string, pools: string[]) =>
  [await dump(accountStub(accountId)), ...(await Promise.all(pools.map((p) => dump(poolStub(accountId, p)))))].join("\n");

describe("spoken route text: nothing XML cannot carry", () => {
  const say = (text: string) => ({ start: "m", lists: { m: [{ type: "message", text }] } });
  const raw = (route: unknown) => JSON.stringify({ route }).replace("@@", "\\ud800");

  it("a message, greeting or disclosure with a control character or a lone surrogate is 400 invalid_request on that field, and stores nothing", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(1), destinations: [DEST], route: say("We are closed.") });
    const before = await snapshot(acct.accountId, ["web"]);
    const cases: [string, unknown, string][] = [
      ["NUL in a message", say("Closed\u0000now"), "route.lists.m.0.text"],
      ["an escape sequence in a message", say("Closed \u001b[31mnow"), "route.lists.m.0.text"],
      ["U+FFFF in a message", say("Closed\uffff"), "route.lists.m.0.text"],
      ["a bell in a greeting", { start: "m", lists: { m: [{ type: "voicemail", greeting: "Leave a message\u0007" }] } }, "route.lists.m.0.greeting"],
      [
        "a lone surrogate in a disclosure",
        { start: "m", lists: { m: [{ type: "forward", to: AGENT }] }, recording: { disclosure: "Recorded @@" } },
        "route.recording.disclosure",
      ],
    ];
    for (const [label, route, path] of cases) {
      const r = await api("PATCH", "/v1/pools/web", { key: acct.adminKey, raw: raw(route), headers: { "Content-Type": "application/json" } });
      expect({ label, status: r.status, code: r.json.error?.code, paths: r.json.error?.details?.map((d: { path: string }) => d.path) }).toEqual({
        label,
        status: 400,
        code: "invalid_request",
        paths: [path],
      });
    }
    // Creating a pool with one is refused the same way: no pool.
    const created = await api("POST", "/v1/pools", {
      key: acct.adminKey,
      body: { id: "other", name: "Other", trackingNumbers: freshNumbers(1), destinations: [DEST], route: say("Hi\u0000") },
    });
    expect(created.status).toBe(400);
    expect((await api("GET", "/v1/pools/other", { key: acct.adminKey })).status).toBe(404);
    expect(await snapshot(acct.accountId, ["web"])).toBe(before);
    expect((await api("GET", "/v1/pools/web", { key: acct.adminKey })).json.route.lists.m[0].text).toBe("We are closed.");
  });

  it("text a voice reads is taken as is: line breaks, tabs, accents, emoji", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(1), destinations: [DEST] });
    const text = "Fermé\tpour\nle déjeuner 🍽 — à 14h";
    const r = await api("PATCH", "/v1/pools/web", { key: acct.adminKey, body: { route: say(text) } });
    expect(r.status).toBe(200);
    expect(r.json.route.lists.m[0].text).toBe(text);
  });

  it("a Twilio answer never carries a character XML 1.0 forbids (the route's message is said as is)", async () => {
    const w = await providerWorld("twilio", { provider: "twilio", route: say("We are closed & back at 9 <am>.") });
    const { text, answer } = await inbound("twilio", w);
    expect(answer.said).toEqual(["We are closed & back at 9 <am>."]);
    expect(text).not.toMatch(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u);
  });

  it("xmlEscape drops what XML cannot carry (text stored before the check), keeps the rest", () => {
    // Compared as JSON: a lone surrogate in a failure message would break the test runner's own channel.
    expect(JSON.stringify(xmlEscape("a\u0000b\u001bc\uffff\ud800d & <e> 🍽\t\n"))).toBe(JSON.stringify("abcd &amp; &lt;e&gt; 🍽\t\n"));
  });
});

describe("a cursor a list never gave: invalid_cursor on every list", () => {
  it("malformed or too long, on calls, deliveries, a pool's numbers and the archive: 400 invalid_cursor like a well-formed foreign one", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(2), destinations: [DEST] });
    const paths = [
      "/v1/calls?cursor=not-a-cursor",
      `/v1/calls?cursor=${"x".repeat(201)}`,
      "/v1/deliveries?cursor=abc",
      "/v1/pools/web/numbers?cursor=garbage",
      `/v1/archive/calls?cursor=${"x".repeat(1025)}`,
    ];
    for (const path of paths) {
      const r = await api("GET", path, { key: acct.adminKey });
      expect({ path, status: r.status, code: r.json.error?.code, message: r.json.error?.message }).toEqual({
        path,
        status: 400,
        code: "invalid_cursor",
        message: "cursor is not a nextCursor this API returned",
      });
    }
    // A bad cursor beside another bad parameter is a malformed request: every field named.
    const both = await api("GET", "/v1/deliveries?cursor=abc&limit=0", { key: acct.adminKey });
    expect(both.status).toBe(400);
    expect(both.json.error.code).toBe("invalid_request");
    expect(both.json.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["cursor", "limit"]);
  });
});

describe("conversion rule overrides name the account's pools", () => {
  it("an override for a pool the account does not have is 404 pool_not_found and stores nothing; removing one (null) is taken", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(1), destinations: [DEST] });
    const before = await snapshot(acct.accountId, []);
    const r = await api("PATCH", "/v1/account/conversions", {
      key: acct.adminKey,
      body: { rules: { minSeconds: 30, pools: { web: { minSeconds: 10 }, wbe: { enabled: false } } } },
    });
    expect(r.status).toBe(404);
    expect(r.json.error).toMatchObject({ code: "pool_not_found", details: [{ path: "rules.pools.wbe", value: "wbe" }] });
    expect(await snapshot(acct.accountId, [])).toBe(before);
    expect((await api("GET", "/v1/account/conversions", { key: acct.adminKey })).json.rules).toMatchObject({ minSeconds: 60, pools: {} });
    const removed = await api("PATCH", "/v1/account/conversions", { key: acct.adminKey, body: { rules: { pools: { wbe: null, web: { minSeconds: 10 } } } } });
    expect(removed.status).toBe(200);
    expect(removed.json.rules.pools).toEqual({ web: { minSeconds: 10 } });
  });

  it("a deleted pool's override goes with it: a pool created again under its id uploads by the account's rules", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(1), destinations: [DEST] });
    await createPool(acct, { id: "ads", name: "Ads", trackingNumbers: freshNumbers(1), destinations: [DEST] });
    const set = await api("PATCH", "/v1/account/conversions", {
      key: acct.adminKey,
      body: { rules: { pools: { web: { enabled: false }, ads: { minSeconds: 5 } } } },
    });
    expect(set.json.rules.pools).toEqual({ web: { enabled: false }, ads: { minSeconds: 5 } });
    expect((await api("DELETE", "/v1/pools/web", { key: acct.adminKey })).status).toBe(204);
    expect((await api("GET", "/v1/account/conversions", { key: acct.adminKey })).json.rules.pools).toEqual({ ads: { minSeconds: 5 } });
    await createPool(acct, { id: "web", name: "Web again", trackingNumbers: freshNumbers(1), destinations: [DEST] });
    expect((await api("GET", "/v1/account/conversions", { key: acct.adminKey })).json.rules.pools).toEqual({ ads: { minSeconds: 5 } });
  });
});

describe("a lone surrogate in a JSON body", () => {
  const J = { "Content-Type": "application/json" };

  it("is 400 invalid_request naming the field, on any admin write, and stores nothing (an account name read back as three U+FFFD)", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(1), destinations: [DEST] });
    const before = await snapshot(acct.accountId, ["web"]);
    // Spelled in the body as JSON escapes: no lone surrogate passes through this file's own strings.
    const cases: [string, string, string, string][] = [
      ["PATCH", "/v1/account", '{"name":"Acme \\udc00"}', "name"],
      ["PATCH", "/v1/pools/web", '{"name":"Web \\ud800"}', "name"],
      ["PATCH", "/v1/pools/web", '{"destinations":["+12127365000"],"name":"\\ud83d"}', "name"],
      [
        "PATCH",
        "/v1/account/integrations",
        '{"alertEmail":{"apiKey":"re_123456789","from":"a@b.example","to":["c@d.example"],"subject":"x\\udfff"}}',
        "alertEmail.subject",
      ],
      [
        "PATCH",
        "/v1/pools/web",
        '{"route":{"lists":{"a":[{"type":"message","text":"hi"}],"b":[{"type":"message","text":"closed"}]},"schedule":{"timeZone":"UTC","exceptions":[{"date":"2031-12-25","hours":[],"name":"X\\ud800mas"}],"weekly":{"mon":[{"from":"09:00","to":"17:00","steps":"a"}]},"otherwise":"b"}}}',
        "route.schedule.exceptions.0.name",
      ],
    ];
    for (const [method, path, raw, field] of cases) {
      const r = await api(method, path, { key: acct.adminKey, raw, headers: J });
      expect({ path, status: r.status, code: r.json.error?.code, fields: r.json.error?.details?.map((d: { path: string }) => d.path) }).toEqual({
        path,
        status: 400,
        code: "invalid_request",
        fields: [field],
      });
    }
    expect(await snapshot(acct.accountId, ["web"])).toBe(before);
    expect((await api("GET", "/v1/account", { key: acct.adminKey })).json.name).toBe("Acme");
  });

  it("so is a control character: a NUL in an alert email's subject, an escape in a conversion name, DEL in a pool name", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(1), destinations: [DEST] });
    const before = await snapshot(acct.accountId, ["web"]);
    const cases: [string, string, string][] = [
      [
        "/v1/account/integrations",
        '{"alertEmail":{"apiKey":"re_123456789","from":"a@b.example","to":["c@d.example"],"subject":"Pool {{title}}\\u0000"}}',
        "alertEmail.subject",
      ],
      [
        "/v1/account/conversions",
        '{"microsoftAds":{"customerId":"5550001","accountId":"7770002","conversionName":"Phone\\u001b[0m call","developerToken":"dev-token-1","clientId":"client-id-1","refreshToken":"refresh-token-1"}}',
        "microsoftAds.conversionName",
      ],
      ["/v1/pools/web", '{"name":"Web\\u007f"}', "name"],
      ["/v1/account", '{"name":"Acme\\u0007"}', "name"],
    ];
    for (const [path, raw, field] of cases) {
      const r = await api("PATCH", path, { key: acct.adminKey, raw, headers: J });
      expect({ path, status: r.status, code: r.json.error?.code, fields: r.json.error?.details?.map((d: { path: string }) => d.path) }).toEqual({
        path,
        status: 400,
        code: "invalid_request",
        fields: [field],
      });
    }
    expect(await snapshot(acct.accountId, ["web"])).toBe(before);
    // Tabs and line breaks are text: an email body template keeps them.
    const text = "{{message}}\r\n\tPool: {{pool}}\n";
    const ok = await api("PATCH", "/v1/account/integrations", {
      key: acct.adminKey,
      body: { alertEmail: { apiKey: "re_123456789", from: "a@b.example", to: ["c@d.example"], text } },
    });
    expect(ok.status).toBe(200);
    expect(ok.json.alertEmail.text).toBe(text);
  });

  it("a surrogate pair (an emoji, escaped or not) is text: taken and read back as sent", async () => {
    const acct = await createAccount();
    const r = await api("PATCH", "/v1/account", { key: acct.adminKey, raw: '{"name":"Acme \\ud83d\\udcde 📞"}', headers: J });
    expect(r.status).toBe(200);
    expect((await api("GET", "/v1/account", { key: acct.adminKey })).json.name).toBe("Acme 📞 📞");
  });
});

describe("405's Allow names only methods the path answers", () => {
  it("a path with a trailing slash is no route for any method: 404 not_found without Allow, never a 405 whose Allow names GET that then 404s", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(1), destinations: [DEST] });
    for (const path of ["/v1/pools/web/", "/v1/pools/", "/v1/account/", "/v1/pools/web/autoscale/", "/v1/orders/", "/openapi.json/"]) {
      for (const method of ["GET", "PUT", "POST", "DELETE"]) {
        const r = await api(method, path, { key: acct.adminKey });
        expect({ method, path, status: r.status, code: r.json.error?.code, allow: r.headers.get("Allow") }).toEqual({
          method,
          path,
          status: 404,
          code: "not_found",
          allow: null,
        });
      }
    }
    // Without the slash, the 405 still lists what the path has, and each method listed is a route there.
    const refused = await api("PUT", "/v1/pools/web", { key: acct.adminKey });
    expect(refused.status).toBe(405);
    expect(refused.headers.get("Allow")).toBe("DELETE, GET, HEAD, PATCH");
    expect((await api("GET", "/v1/pools/web", { key: acct.adminKey })).status).toBe(200);
  });
});

describe("numbers in the query", () => {
  it("blank or in a radix form (0x10) is 400 invalid_request naming the parameter, not read as 0 or 16", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(2), destinations: [DEST] });
    for (const [path, param] of [
      ["/v1/pools/web/replay?numbers=", "numbers"],
      ["/v1/pools/web/replay?numbers=%20", "numbers"],
      ["/v1/pools/web/health?minutes=", "minutes"],
      ["/v1/calls?limit=0x10", "limit"],
      ["/v1/pools/web/numbers?limit=0b11", "limit"],
      ["/v1/pools/web/sizing?visitorsPerHour=0x64", "visitorsPerHour"],
    ]) {
      const r = await api("GET", path!, { key: acct.adminKey });
      expect({ path, status: r.status, code: r.json.error?.code, params: r.json.error?.details?.map((d: { path: string }) => d.path) }).toEqual({
        path,
        status: 400,
        code: "invalid_request",
        params: [param],
      });
    }
  });

  it("numbers written out, defaults, and dates (read into ms) are taken as before", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(2), destinations: [DEST] });
    const replay = await api("GET", "/v1/pools/web/replay?numbers=1&leaseSeconds=60", { key: acct.adminKey });
    expect(replay.status).toBe(200);
    expect(replay.json.replay.numbers).toBe(1);
    expect((await api("GET", "/v1/pools/web/replay", { key: acct.adminKey })).json.replay.numbers).toBe(2);
    for (const path of [
      "/v1/pools/web/health?minutes=60&step=5",
      "/v1/pools/web/sizing?visitorsPerHour=1e2&share=.15",
      "/v1/calls?from=2031-03-01&to=2031-03-02&limit=%2B10",
      "/v1/pools/web/numbers?limit=1",
    ])
      expect({ path, status: (await api("GET", path, { key: acct.adminKey })).status }).toEqual({ path, status: 200 });
  });
});

describe("from and to name days of the calendar", () => {
  it("2031-02-30 or 2031-02-31T10:00Z on calls, the CSV and stats is 400 invalid_request, not 2 or 3 March", async () => {
    const acct = await createAccount();
    for (const path of [
      "/v1/calls?from=2031-02-30",
      "/v1/calls?to=2031-02-31T10:00:00Z",
      "/v1/calls.csv?from=2031-04-31",
      "/v1/stats/calls?from=2031-02-29&to=2031-03-01",
      "/v1/stats/calls?to=2031-06-31",
    ]) {
      const r = await api("GET", path, { key: acct.adminKey });
      expect({ path, status: r.status, code: r.json?.error?.code, message: r.json?.error?.details?.[0]?.message }).toEqual({
        path,
        status: 400,
        code: "invalid_request",
        message: expect.stringContaining("is not a day of the calendar"),
      });
    }
    for (const path of [
      "/v1/calls?from=2032-02-29&to=2032-03-01T00:00:00Z",
      "/v1/stats/calls?from=2031-12-31&to=1930125600000",
      "/v1/calls.csv?from=2031-01-31",
    ])
      expect({ path, status: (await api("GET", path, { key: acct.adminKey })).status }).toEqual({ path, status: 200 });
  });
});

describe("a deleted pool's autoscaling history goes with it", () => {
  it("a pool created again under its id shows no old steps and gets its own first fill", async () => {
    const acct = await createAccount();
    const key = acct.adminKey;
    await api("PATCH", "/v1/account/voice", {
      key,
      body: { provider: "twilio", credentials: { twilio: { authToken: TWILIO_TOKEN, accountSid: TWILIO_SID } } },
    });
    const twilio = new FakeTwilio(stock("510", 10));
    mockNetwork((req) => (twilio.handles(req) ? twilio.handle(req) : new Response(null, { status: 204 })));
    const autoscale = { min: 3, max: 6, dryRun: true, numbers: { country: "US", areaCode: "510" } };
    const scale = async () => {
      expect((await api("PUT", "/v1/pools/web/autoscale", { key, body: autoscale })).status).toBe(200);
      await runDurableObjectAlarm(accountStub(acct.accountId));
      return (await api("GET", "/v1/pools/web/autoscale", { key })).json.events as { action: string; from: number }[];
    };
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(1), destinations: [DEST] });
    expect((await scale()).map((e) => [e.action, e.from])).toEqual([["first_fill", 1]]);
    expect((await api("DELETE", "/v1/pools/web", { key })).status).toBe(204);
    await createPool(acct, { id: "web", name: "Web again", trackingNumbers: freshNumbers(2), destinations: [DEST] });
    expect((await api("GET", "/v1/pools/web/autoscale", { key })).status).toBe(404);
    expect((await scale()).map((e) => [e.action, e.from])).toEqual([["first_fill", 2]]);
  });

  it("DELETE …/autoscale still keeps the history (the pool stays)", async () => {
    const acct = await createAccount();
    const key = acct.adminKey;
    await api("PATCH", "/v1/account/voice", {
      key,
      body: { provider: "twilio", credentials: { twilio: { authToken: TWILIO_TOKEN, accountSid: TWILIO_SID } } },
    });
    mockNetwork(() => new Response(null, { status: 204 }));
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(1), destinations: [DEST] });
    const autoscale = { min: 3, max: 6, dryRun: true, numbers: { country: "US", areaCode: "510" } };
    expect((await api("PUT", "/v1/pools/web/autoscale", { key, body: autoscale })).status).toBe(200);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect((await api("DELETE", "/v1/pools/web/autoscale", { key })).status).toBe(204);
    const again = await api("PUT", "/v1/pools/web/autoscale", { key, body: autoscale });
    expect(again.json.events.map((e: { action: string }) => e.action)).toEqual(["first_fill"]);
  });
});
