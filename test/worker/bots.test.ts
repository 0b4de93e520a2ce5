import { describe, expect, it } from "vitest";
import { accountStub, allocate, BROWSER_HEADERS, createAccount, createPool, dump, freshNumbers, poolStub, sessionId } from "./helpers";

const CRAWLERS = [
  "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
  "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
  "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
  "curl/8.5.0",
  "python-requests/2.32.3",
];

describe("bots and crawlers get no lease", () => {
  it("refuses known bots and requests missing browser headers, leasing nothing", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(3), destinations: ["+12127365000"], isDefault: true });
    expect((await allocate(acct.siteKey, sessionId())).status).toBe(200);
    const before = (await dump(poolStub(acct.accountId, "web"))) + (await dump(accountStub(acct.accountId)));
    for (const ua of CRAWLERS) {
      const r = await allocate(acct.siteKey, sessionId(), { headers: { "User-Agent": ua } });
      expect({ ua, status: r.status, code: r.json.error?.code }).toEqual({ ua, status: 403, code: "not_a_browser" });
    }
    const { "Accept-Language": _lang, ...noLanguage } = BROWSER_HEADERS;
    void _lang;
    const variants: Record<string, string>[] = [{ "User-Agent": "" }, { "Sec-Fetch-Mode": "navigate" }, { "Sec-Fetch-Site": "none" }];
    for (const h of variants) expect((await allocate(acct.siteKey, sessionId(), { headers: h })).status).toBe(403);
    const bare = await (await import("cloudflare:test")).SELF.fetch("https://dni.test/v1/allocate", {
      method: "POST",
      headers: { ...noLanguage, Origin: "https://www.shop.example" },
      body: JSON.stringify({ key: acct.siteKey, session: sessionId() }),
    });
    expect(bare.status).toBe(403);
    expect((await poolStub(acct.accountId, "web").liveLeases(Date.now())).length).toBe(1);
    expect((await dump(poolStub(acct.accountId, "web"))) + (await dump(accountStub(acct.accountId)))).toBe(before);
  });

  it("a real browser without Fetch Metadata (older Safari) still gets a number", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(2), destinations: ["+12127365000"], isDefault: true });
    const r = await allocate(acct.siteKey, sessionId(), {
      headers: {
        "User-Agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6 Safari/605.1.15",
        "Sec-Fetch-Mode": "",
        "Sec-Fetch-Site": "",
      },
    });
    expect(r.status).toBe(200);
  });
});
