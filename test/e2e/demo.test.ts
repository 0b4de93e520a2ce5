/**
 * The demo `npm start` serves: the worker with DEMO=1 (a seeded demo account and pools, see
 * worker/demo.ts) and examples/ as static assets at /, opened in Chromium as a newcomer would.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminCall, launchChromium, type RunningWorker, startWorker } from "./harness";
import { answer, body, href, numberOf, text, us, visit } from "./visit";

/** worker/demo.ts: the demo admin key (documented in the README, local only). */
const DEMO_ADMIN_KEY = "sk_demo000000000000_demo-admin-key-for-local-development-only";

let worker: RunningWorker;
let chrome: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  [worker, chrome] = await Promise.all([startWorker({ demo: true, assets: "examples" }), launchChromium()]);
});
afterAll(async () => {
  await chrome?.close();
  await worker?.stop();
});

describe("the demo site", () => {
  it("swaps the numbers in text and links, and a Google Ads click draws from demo-ads", async () => {
    const ctx = await chrome.newContext();
    try {
      const v = await visit(ctx, `${worker.url}/`);
      await v.page.waitForFunction(() => document.querySelector("#header-tel")!.getAttribute("href") !== "tel:+18005550199");
      expect(v.allocs).toHaveLength(1);
      // The page's source rules travel with the request; the worker applies them (no pool named by the page).
      expect(body(v)).not.toHaveProperty("pool");
      expect(body(v)).toMatchObject({ sources: expect.stringContaining("-> demo-ads"), source: { landing: `${worker.url}/`, referrer: "" } });
      // Read before the page navigates away (its body is gone after).
      const first = await answer(v);
      expect(first.source).toBe("direct");
      const web = numberOf(first, "demo-web");
      expect(web.e164).toMatch(/^\+18885550[01]\d\d$/);
      const T = us(web.nsn);
      expect(await href(v, "#header-tel")).toBe(`tel:${web.e164}`);
      expect(await text(v, "#header-tel")).toBe(T.paren);
      const card = await v.page.locator(".card").first().innerText();
      expect(card).toContain(`Order by phone at ${T.paren}, or the same number written other ways: ${T.dots}, ${T.dashes}, ${T.intl}.`);
      // 1-800-FLOWERS (the second destination) becomes the tracking number's national form.
      expect(card).toContain(`Our famous vanity line: ${web.national}. Tap to call: ${T.dashes}`);
      expect(await v.page.locator('.card a[href^="tel:"]').getAttribute("href")).toBe(`tel:${web.e164}`);
      expect(card).toContain("order #18005550199, part 8005550199123, price $1,800.55, date 2026-11-25, fax (212) 736-5000");
      // Not revealed yet, and opted out: the originals.
      expect(await v.page.locator("[data-dni-reveal] .n").textContent()).toBe("(800) 555-0199");
      expect(await v.page.locator("[data-dni-ignore] p").first().textContent()).toBe("Legal notice (never swapped): (800) 555-0199");
      // The page's own dni:swap listener logged the swaps.
      await v.page.waitForFunction(() => document.querySelector("#log")!.textContent!.includes("swapped"));
      expect(await text(v, "#log")).toContain(`swapped +18005550199 → ${web.e164} (source: direct)`);
      // Single-page content: swapped without another request.
      await v.page.click("#load-more");
      await v.page.waitForFunction(() => !document.querySelector("#more")!.textContent!.includes("555-0199"));
      expect(await text(v, "#more")).toBe(`Questions about your order? Call ${T.paren} any time.`);
      expect(v.allocs).toHaveLength(1);

      // "Google Ads": a new campaign click, so a new session, from the demo-ads pool.
      await v.page.click("#from-google");
      await v.page.waitForURL(/gclid=demo-gclid-123/);
      await v.page.waitForFunction(() => /^tel:\+1877/.test(document.querySelector("#header-tel")!.getAttribute("href")!));
      expect(v.allocs).toHaveLength(2);
      const sent = body(v, 1);
      expect(sent).not.toHaveProperty("pool");
      expect(sent).toMatchObject({ source: { landing: expect.stringContaining("gclid=demo-gclid-123") } });
      expect((await answer(v, 1)).source).toBe("google-ads");
      // The worker began a new session for the new click: the second answer names another one, and
      // the page sent back the token of the first.
      const session = (await answer(v, 1)).session;
      expect(session).not.toBe(first.session);
      expect(sent.token).toBe(first.token);
      const ads = numberOf(await answer(v, 1), "demo-ads");
      expect(ads.e164).toMatch(/^\+18775550[01]\d\d$/);
      expect(await href(v, "#header-tel")).toBe(`tel:${ads.e164}`);
      expect(await text(v, "#header-tel")).toBe(us(ads.nsn).paren);
      const leases = await adminCall(worker.url, "GET", "/v1/pools/demo-ads/leases", DEMO_ADMIN_KEY);
      expect(leases.json.leases).toContainEqual(expect.objectContaining({ session, number: ads.e164 }));
      expect(v.pageErrors).toEqual([]);
      expect(v.consoleErrors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});
