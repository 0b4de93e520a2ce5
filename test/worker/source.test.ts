import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { AccountObject } from "../../worker/account/account";
import { gaClientIdOf } from "../../worker/domain/ga-cookies";
import { enrichSource } from "../../worker/domain/source";
import { accountStub, allocate, createAccount, createPool, freshNumbers, poolStub, sessionId } from "./helpers";

describe("source context", () => {
  it("takes the GA client id out of the raw _ga cookie value the snippet sends; anything else is dropped, not refused", () => {
    expect(gaClientIdOf("GA1.1.123456789.1700000000")).toBe("123456789.1700000000");
    expect(gaClientIdOf("GA1.2.42.1")).toBe("42.1");
    expect(gaClientIdOf("123456789.1700000000")).toBe("123456789.1700000000");
    for (const bad of ["GS1.1.999", "GA1.1.x.y", "1234", "", "GA1.1.1.2.3", `${"9".repeat(21)}.1`]) expect(gaClientIdOf(bad)).toBeNull();
    expect(enrichSource({ landing: "https://shop.example/", gaClientId: "GA1.1.5.6" })?.gaClientId).toBe("5.6");
    expect(enrichSource({ landing: "https://shop.example/", gaClientId: "GS1.1.999" })?.gaClientId).toBeUndefined();
  });

  it("reads utm_* and click ids from the landing URL when the snippet does not send them", () => {
    expect(
      enrichSource({
        name: "google-ads",
        landing: "https://shop.example/p?utm_source=google&utm_medium=cpc&utm_campaign=winter&gclid=Cj0K&fbclid=&x=1",
        referrer: "https://www.google.com/",
      }),
    ).toEqual({
      name: "google-ads",
      landing: "https://shop.example/p?utm_source=google&utm_medium=cpc&utm_campaign=winter&gclid=Cj0K&fbclid=&x=1",
      referrer: "https://www.google.com/",
      utm: { source: "google", medium: "cpc", campaign: "winter" },
      clickIds: { gclid: "Cj0K" },
    });
  });

  it("prefers what was sent, cuts long values, survives a landing that is not a URL", () => {
    const long = `https://shop.example/?utm_campaign=${"w".repeat(5000)}`;
    const out = enrichSource({ name: "n".repeat(300), landing: long, utm: { source: "sent" } })!;
    expect(out.name).toHaveLength(64);
    expect(out.landing).toHaveLength(2048);
    expect(out.utm).toEqual({ source: "sent", campaign: "w".repeat(200) });
    expect(enrichSource({ landing: "not a url" })).toEqual({ landing: "not a url" });
    expect(enrichSource(undefined)).toBeNull();
  });

  it("a visit with a long landing URL still gets a number and its attribution is stored", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(2), destinations: ["+12127365000"], isDefault: true });
    const landing = `https://www.shop.example/?gclid=abc&utm_source=google&pad=${"p".repeat(3000)}`;
    const s = sessionId();
    const r = await allocate(acct.siteKey, s, { source: { name: "google-ads", landing } });
    expect(r.status).toBe(200);
    const stored = await runInDurableObject(
      poolStub(acct.accountId, "web"),
      (_i, state) => state.storage.sql.exec<{ source: string }>("SELECT source FROM numbers WHERE session = ?", s).one().source,
    );
    expect(JSON.parse(stored)).toMatchObject({ name: "google-ads", utm: { source: "google" }, clickIds: { gclid: "abc" } });
    expect(JSON.parse(stored).landing).toHaveLength(2048);
  });

  it("what is not text (a control character, a lone surrogate, a surrogate pair the cut splits) is dropped, not stored, and the visit still gets a number", async () => {
    // A decoded query's %00 / %1B, a value cut inside an emoji.
    // Compared as JSON (its escapes), so a failure's message carries no lone surrogate itself.
    const out = enrichSource({
      landing: "https://shop.example/?utm_campaign=a%00b%1Bc&gclid=x%01y",
      utm: { source: "s\u0007rc", term: `${"t".repeat(199)}🍽` },
      name: "n\ud800",
    });
    expect(JSON.stringify(out)).toBe(
      JSON.stringify({
        name: "n",
        landing: "https://shop.example/?utm_campaign=a%00b%1Bc&gclid=x%01y",
        utm: { source: "src", campaign: "abc", term: "t".repeat(199) },
        clickIds: { gclid: "xy" },
      }),
    );
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(2), destinations: ["+12127365000"], isDefault: true });
    const s = sessionId();
    const r = await allocate(acct.siteKey, s, { source: { landing: "https://www.shop.example/\u0000", utm: { campaign: "\ud800win\u007f" } } });
    expect(r.status).toBe(200);
    const stored = await runInDurableObject(
      poolStub(acct.accountId, "web"),
      (_i, state) => state.storage.sql.exec<{ source: string }>("SELECT source FROM numbers WHERE session = ?", s).one().source,
    );
    const kept = JSON.parse(stored);
    expect(JSON.stringify([kept.landing, kept.utm])).toBe(JSON.stringify(["https://www.shop.example/", { campaign: "win" }]));
  });

  it("a landing URL over 8 KiB (the click id after a long query) still gets a number, with its click id and utm_*", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(2), destinations: ["+12127365000"], isDefault: true });
    const landing = `https://www.shop.example/?state=${"s".repeat(9000)}&utm_source=google&gclid=long-tail`;
    const s = sessionId();
    const r = await allocate(acct.siteKey, s, { source: { landing, referrer: `https://www.google.com/${"r".repeat(9000)}` } });
    expect(r.status).toBe(200);
    const stored = await runInDurableObject(
      poolStub(acct.accountId, "web"),
      (_i, state) => state.storage.sql.exec<{ source: string }>("SELECT source FROM numbers WHERE session = ?", s).one().source,
    );
    expect(JSON.parse(stored)).toMatchObject({ utm: { source: "google" }, clickIds: { gclid: "long-tail" } });
  });
});

describe("source rules, applied by the worker (the snippet sends their text)", () => {
  const RULES = "google-ads: gclid | utm_source=google & utm_medium=cpc -> ads; email: utm_medium=email";
  const stored = (acct: { accountId: string }, pool: string, s: string) =>
    runInDurableObject(poolStub(acct.accountId, pool), (_i, state) =>
      state.storage.sql.exec<{ source: string }>("SELECT source FROM numbers WHERE session = ?", s).toArray(),
    );

  it("a matching rule names the source and picks its pools; others get the default pools, named by their referrer", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(2), destinations: ["+12127365000"], isDefault: true });
    await createPool(acct, { id: "ads", name: "Ads", trackingNumbers: freshNumbers(2), destinations: ["+12127365000"] });
    const ad = sessionId();
    const r = await allocate(acct.siteKey, ad, {
      pools: ["web"],
      sources: RULES,
      // A name sent by the browser is not trusted when the rules are sent: the worker names it.
      source: { name: "forged", landing: "https://www.shop.example/?gclid=abc", referrer: "https://www.google.com/" },
    });
    expect(r.status).toBe(200);
    expect(r.json.source).toBe("google-ads");
    expect(r.json.pools.map((p: { pool: string }) => p.pool)).toEqual(["ads"]);
    expect(JSON.parse((await stored(acct, "ads", ad))[0]!.source)).toMatchObject({ name: "google-ads", clickIds: { gclid: "abc" } });

    const other = sessionId();
    const o = await allocate(acct.siteKey, other, {
      pools: ["web"],
      sources: RULES,
      source: { landing: "https://www.shop.example/", referrer: "https://news.example/a" },
    });
    expect(o.json.source).toBe("referral");
    expect(o.json.pools.map((p: { pool: string }) => p.pool)).toEqual(["web"]);
    expect(JSON.parse((await stored(acct, "web", other))[0]!.source).name).toBe("referral");
  });

  it("a visitor no rule matches, with no default pools, is not tracked: an empty answer and no lease", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(2), destinations: ["+12127365000"], isDefault: true });
    const s = sessionId();
    const r = await allocate(acct.siteKey, s, { sources: RULES, source: { landing: "https://www.shop.example/", referrer: "" } });
    expect(r.status).toBe(200);
    // The whole answer (pairs too): the snippet caches it and scans with it on a later view.
    expect(r.json).toMatchObject({ session: s, source: "direct", pools: [], pairs: [] });
    expect(typeof r.json.pattern).toBe("string");
    expect(await stored(acct, "web", s)).toEqual([]);
  });

  it("an untracked visitor's answer still needs the account's site key and an allowed Origin (no pool object checks them)", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(2), destinations: ["+12127365000"], isDefault: true });
    const direct = { sources: RULES, source: { landing: "https://www.shop.example/", referrer: "" } };
    const last = acct.siteKey.at(-1) === "A" ? "B" : "A";
    const wrong = await allocate(`${acct.siteKey.slice(0, -1)}${last}`, sessionId(), direct);
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.code).toBe("invalid_key");
    expect(wrong.headers.get("Access-Control-Allow-Origin")).toBeNull();
    const elsewhere = await allocate(acct.siteKey, sessionId(), { ...direct, origin: "https://evil.example" });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.json.error.code).toBe("origin_not_allowed");
    // Right key, allowed Origin: the empty answer.
    expect((await allocate(acct.siteKey, sessionId(), direct)).json).toMatchObject({ source: "direct", pools: [] });
    // Each pair is checked once a minute per isolate, refused or not: a page still sending an old key
    // does not reach the account's object (which answers its calls) on every view.
    const asked = await runInDurableObject(accountStub(acct.accountId), (instance) => vi.spyOn(Object.getPrototypeOf(instance) as AccountObject, "routing"));
    for (let i = 0; i < 3; i++) {
      expect((await allocate(`${acct.siteKey.slice(0, -1)}${last}`, sessionId(), direct)).status).toBe(401);
      expect((await allocate(acct.siteKey, sessionId(), { ...direct, origin: "https://evil.example" })).status).toBe(403);
      expect((await allocate(acct.siteKey, sessionId(), direct)).status).toBe(200);
    }
    expect(asked).not.toHaveBeenCalled();
    asked.mockRestore();
  });

  it("names malformed rules in the answer's warnings, skips them and applies the others; a rule of more than 5 pools is one", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(2), destinations: ["+12127365000"], isDefault: true });
    await createPool(acct, { id: "ads", name: "Ads", trackingNumbers: freshNumbers(2), destinations: ["+12127365000"] });
    const sources = "wide: gclid -> ads,p1,p2,p3,p4,p5; no colon; google-ads: gclid -> ads";
    const r = await allocate(acct.siteKey, sessionId(), { sources, source: { landing: "https://www.shop.example/?gclid=abc", referrer: "" } });
    expect(r.status).toBe(200);
    expect(r.json.warnings).toEqual(["bad rule: wide: gclid -> ads,p1,p2,p3,p4,p5 (more than 5 pools)", "bad rule: no colon"]);
    expect(r.json.source).toBe("google-ads");
    expect(r.json.pools.map((p: { pool: string }) => p.pool)).toEqual(["ads"]);
    // Rules that are all right: no warnings at all; an untracked visitor's answer carries them too.
    const clean = await allocate(acct.siteKey, sessionId(), { sources: RULES, source: { landing: "https://www.shop.example/", referrer: "" } });
    expect(clean.json).not.toHaveProperty("warnings");
    const none = await allocate(acct.siteKey, sessionId(), { sources: "a b; x: gclid -> ads", source: { landing: "https://www.shop.example/", referrer: "" } });
    expect(none.json).toMatchObject({ pools: [], warnings: ["bad rule: a b"] });
  });

  it("refuses over-long rules", async () => {
    const acct = await createAccount();
    const r = await allocate(acct.siteKey, sessionId(), { sources: "x".repeat(2001) });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe("invalid_request");
  });
});
