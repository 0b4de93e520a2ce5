import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { enrichSource } from "../../worker/domain/source";
import { allocate, createAccount, createPool, freshNumbers, poolStub, sessionId } from "./helpers";

describe("source context", () => {
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
      (_i, state) => state.storage.sql.exec<{ source: string }>("SELECT source FROM leases WHERE session = ?", s).one().source,
    );
    expect(JSON.parse(stored)).toMatchObject({ name: "google-ads", utm: { source: "google" }, clickIds: { gclid: "abc" } });
    expect(JSON.parse(stored).landing).toHaveLength(2048);
  });
});
