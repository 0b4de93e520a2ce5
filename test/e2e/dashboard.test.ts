/**
 * The dashboard in Chromium against `wrangler dev` with the seeded demo account: visitors take
 * numbers and some of them call, then the owner signs in with the admin key and sees the pools,
 * the utilization chart, the numbers with last shown / last called, and calls by source per day.
 * Two more accounts (made through the API) show the empty states and paging of the numbers.
 * Saves test-results/dashboard.png.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminCall, DESKTOP_UA, launchChromium, OPERATOR_TOKEN, type RunningWorker, startWorker } from "./harness";
import { type Watched, watch } from "./page-watch";

/** worker/demo.ts: the demo admin and site keys (documented in the README, local only). */
const DEMO_ADMIN_KEY = "sk_demo000000000000_demo-admin-key-for-local-development-only";
const DEMO_SITE_KEY = "pk_demo000000000000_demo-site-key-not-secret";
const RESULTS = resolve(import.meta.dirname, "../../test-results");

let worker: RunningWorker;
let chrome: Awaited<ReturnType<typeof launchChromium>>;
/** The demo-web numbers the visitors were given; the first two called. */
const web: string[] = [];

/** A visitor's allocation as the snippet sends it, from a page on the worker's own origin (allowed for the demo account). */
async function visit(source: string, pools: string[]): Promise<string> {
  const session = `e2edash${crypto.randomUUID().replace(/-/g, "")}`;
  const r = await fetch(`${worker.url}/v1/allocate`, {
    method: "POST",
    headers: {
      "Content-Type": "text/plain;charset=UTF-8",
      Origin: worker.url,
      "User-Agent": DESKTOP_UA,
      "Accept-Language": "en-US,en;q=0.9",
      "Sec-Fetch-Mode": "cors",
      "Sec-Fetch-Site": "same-origin",
    },
    body: JSON.stringify({ key: DEMO_SITE_KEY, session, pools, source: { name: source } }),
  });
  expect(r.status).toBe(200);
  return (await r.json()).pools[0].number.e164;
}

beforeAll(async () => {
  [worker, chrome] = await Promise.all([startWorker({ demo: true }), launchChromium()]);
  for (let i = 0; i < 6; i++) web.push(await visit(i % 2 ? "google-ads" : "newsletter", ["demo-web"]));
  await visit("google-ads", ["demo-ads"]);
  // Four of the newsletter pool's five numbers: at its 80 % alert threshold, so in warning.
  for (let i = 0; i < 4; i++) await visit("newsletter", ["demo-email"]);
  // Two of the website visitors call.
  const voice = await adminCall(worker.url, "GET", "/v1/account/voice", DEMO_ADMIN_KEY);
  for (const [i, number] of [web[0]!, web[1]!].entries()) {
    const r = await fetch(voice.json.callbackUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ callId: `e2e-dash-${i}`, callerNo: "+13105550123", calledNo: number, startTime: Date.now() }),
    });
    expect(r.status).toBe(200);
  }
});
afterAll(async () => {
  await chrome?.close();
  await worker?.stop();
});

interface Session {
  page: Page;
  seen: Watched;
  close(): Promise<void>;
}

/** A fresh tab (own sessionStorage) on /dashboard, signed in with `key`. */
async function signIn(key: string, viewport = { width: 1200, height: 900 }): Promise<Session> {
  const ctx = await chrome.newContext();
  const page = await ctx.newPage();
  const seen = await watch(page);
  await page.setViewportSize(viewport);
  await page.goto(`${worker.url}/dashboard`);
  await page.locator("#key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  return { page, seen, close: () => ctx.close() };
}

/** Waits until the dashboard has finished a load (its "Updated" line is written last). */
const loaded = (page: Page) => page.waitForFunction(() => document.querySelector("#updated")?.textContent?.startsWith("Updated "));

describe("the dashboard", () => {
  it("shows each pool at a glance: fill, state, counters, and the open warning", async () => {
    const s = await signIn(DEMO_ADMIN_KEY);
    try {
      await loaded(s.page);
      expect(await s.page.locator("#who").textContent()).toBe("Demo");
      expect(await s.page.locator(".pool").count()).toBe(3);
      const webCard = await s.page.locator(".pool", { hasText: "Website visitors" }).innerText();
      expect(webCard).toContain("6 of 20 leased (30 %) · 14 free · 7-day peak 6");
      expect(webCard).toContain("6 allocations · 0 recycled early · 0 overflow · 0 refused");
      expect(webCard).toContain("demo-web · status warning · alert at 80 %");
      expect(await s.page.locator(".pool", { hasText: "Paid search" }).innerText()).toContain("1 of 10 leased (10 %)");
      const news = s.page.locator(".pool", { hasText: "Newsletter" });
      expect(await news.getAttribute("class")).toBe("card pool warning");
      expect(await news.locator(".tag").textContent()).toBe("warning");
      expect(await news.innerText()).toContain("4 of 5 leased (80 %)");
      expect(await news.locator(".warnline").textContent()).toMatch(/^Warning since /);
      // The bar is as full as the pool.
      expect(await news.locator(".bar i").evaluate((i) => (i as HTMLElement).style.width)).toBe("80%");
      // The default pool is selected first.
      expect(await s.page.locator(".pool.sel").innerText()).toContain("Website visitors");
      expect(s.seen.errors).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it("charts the selected pool's utilization over 24 hours or 7 days against its alert threshold", async () => {
    const s = await signIn(DEMO_ADMIN_KEY);
    try {
      await s.page.waitForFunction(() => (document.querySelector("#uchart path.series")?.getAttribute("d") ?? "").length > 20);
      expect(await s.page.locator("#utitle").textContent()).toBe("Utilization — Website visitors");
      expect(await s.page.locator("#ulegend").textContent()).toBe(
        "Peak concurrent leases as a share of 20 numbers (last 24 h, 5-minute peaks). 7-day peak 6 (30 %).",
      );
      expect(await s.page.locator("#uchart text").allTextContents()).toEqual(expect.arrayContaining(["0 %", "50 %", "100 %", "alert 80 %"]));
      // The line ends at 30 % (the last bucket holds now): its last point is at 30 % of the way up the plot.
      const ys = await s.page.evaluate(() => {
        const d = document.querySelector("#uchart path.series")!.getAttribute("d")!;
        const grid = Array.from(document.querySelectorAll("#uchart line.gridline")).map((l) => Number(l.getAttribute("y1")));
        return { last: Number(d.split(",").pop()), zero: grid[0]!, full: grid[2]! };
      });
      expect((ys.zero - ys.last) / (ys.zero - ys.full)).toBeCloseTo(0.3, 2);

      const week = s.page.waitForRequest((r) => r.url().includes("/v1/pools/demo-web/health?minutes=10080&step=60"));
      await s.page.getByRole("button", { name: "7 days" }).click();
      await week;
      await s.page.waitForFunction(() => document.querySelector("#ulegend")?.textContent?.includes("last 7 days, hourly peaks"));
      expect(await s.page.locator("button.on").textContent()).toBe("7 days");
      expect(s.seen.errors).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it("lists the selected pool's numbers with last shown and last called, and switches pool on a click", async () => {
    const s = await signIn(DEMO_ADMIN_KEY);
    try {
      await s.page.waitForFunction(() => document.querySelectorAll("#numbers tbody tr").length === 20);
      expect(await s.page.locator("#ntitle").textContent()).toBe("Numbers — Website visitors");
      const rows = (await s.page.locator("#numbers tbody tr").allInnerTexts()).map((r) => r.split("\t"));
      expect(rows.filter((r) => r[1] === "leased").map((r) => r[0])).toEqual([...web].sort());
      expect(rows.filter((r) => r[3] !== "—").map((r) => r[0])).toEqual([web[0], web[1]].sort());
      expect(rows.filter((r) => r[1] === "free").every((r) => r[2] === "—" && r[4] === "0")).toBe(true);
      expect(await s.page.locator("#more").isHidden()).toBe(true);

      await s.page.locator(".pool", { hasText: "Paid search" }).click();
      await s.page.waitForFunction(
        () =>
          document.querySelector("#utitle")?.textContent === "Utilization — Paid search (Google Ads, Bing)" &&
          document.querySelector("#ntitle")?.textContent === "Numbers — Paid search (Google Ads, Bing)" &&
          document.querySelectorAll("#numbers tbody tr").length === 10,
      );
      expect(await s.page.locator(".pool.sel").innerText()).toContain("Paid search");
      expect(await s.page.locator("#numbers tbody tr", { hasText: "leased" }).count()).toBe(1);
      expect(s.seen.errors).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it("charts calls by source per day with a legend", async () => {
    const s = await signIn(DEMO_ADMIN_KEY);
    try {
      await s.page.waitForFunction(() => document.querySelectorAll("#cchart rect").length === 2);
      expect(await s.page.locator("#clegend .key").allTextContents()).toEqual(["google-ads", "newsletter"]);
      const today = new Date().toISOString().slice(0, 10);
      expect((await s.page.locator("#cchart rect title").allTextContents()).sort()).toEqual([`${today} google-ads: 1`, `${today} newsletter: 1`]);
      expect(s.seen.errors).toEqual([]);

      mkdirSync(RESULTS, { recursive: true });
      await loaded(s.page);
      await s.page.screenshot({ path: join(RESULTS, "dashboard.png"), fullPage: true });
    } finally {
      await s.close();
    }
  });

  it("keeps the key in the tab and sends it only as a header, to its own origin only, within its CSP", async () => {
    const s = await signIn(DEMO_ADMIN_KEY);
    try {
      await loaded(s.page);
      expect(s.page.url()).toBe(`${worker.url}/dashboard`);
      expect(await s.page.evaluate(() => sessionStorage.getItem("dni.adminKey"))).toBe(DEMO_ADMIN_KEY);
      expect(await s.page.evaluate(() => [localStorage.length, document.cookie])).toEqual([0, ""]);
      const calls = s.seen.requests.filter((r) => new URL(r.url).pathname.startsWith("/v1/"));
      expect(calls.length).toBeGreaterThanOrEqual(7);
      for (const r of calls) {
        expect(r.method).toBe("GET");
        expect(r.headers.authorization).toBe(`Bearer ${DEMO_ADMIN_KEY}`);
      }
      for (const r of s.seen.requests) expect(r.url).not.toContain("sk_");
      expect(s.seen.offOrigin(worker.url)).toEqual([]);
      expect(await s.seen.cspViolations()).toEqual([]);
      expect(s.seen.errors).toEqual([]);

      // Sign out forgets the key and shows the form again.
      await s.page.locator("#out").click();
      expect(await s.page.evaluate(() => sessionStorage.getItem("dni.adminKey"))).toBeNull();
      expect(await s.page.locator("#login").isVisible()).toBe(true);
      expect(await s.page.locator("#app").isHidden()).toBe(true);
      expect(await s.page.locator("#who").textContent()).toBe("");
    } finally {
      await s.close();
    }
  });

  it("refuses a wrong key and forgets it", async () => {
    const s = await signIn("sk_demo000000000000_wrong-key-wrong-key-wrong-key-wrong");
    try {
      await s.page.waitForFunction(() => document.querySelector("#lerr")?.textContent === "That key was not accepted.");
      expect(await s.page.evaluate(() => sessionStorage.getItem("dni.adminKey"))).toBeNull();
      expect(await s.page.locator("#app").isHidden()).toBe(true);
      expect(await s.page.locator("#out").isHidden()).toBe(true);
    } finally {
      await s.close();
    }
  });

  it("says what to do for an account with no pools and no calls", async () => {
    const acct = await adminCall(worker.url, "POST", "/v1/accounts", OPERATOR_TOKEN, { name: "Empty <b>Co</b>", allowedOrigins: [] });
    expect(acct.status).toBe(201);
    const s = await signIn(acct.json.adminKey);
    try {
      await loaded(s.page);
      expect(await s.page.locator("#who").textContent()).toBe("Empty <b>Co</b>");
      expect(await s.page.locator("#pools").textContent()).toBe("No pools yet: create one with POST /v1/pools.");
      expect(await s.page.locator("#cchart").textContent()).toBe("No calls in the last 30 days.");
      expect(await s.page.locator("#numbers tbody tr").count()).toBe(0);
      expect(s.seen.errors).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it("pages a pool of more numbers than one page holds with More numbers", async () => {
    const acct = await adminCall(worker.url, "POST", "/v1/accounts", OPERATOR_TOKEN, { name: "Big", allowedOrigins: [] });
    const numbers = Array.from({ length: 205 }, (_, i) => `+1${8335550000 + i}`);
    const pool = await adminCall(worker.url, "POST", "/v1/pools", acct.json.adminKey, {
      id: "big",
      name: "Big pool",
      trackingNumbers: numbers,
      destinations: ["+18005550100"],
    });
    expect(pool.status).toBe(201);
    const s = await signIn(acct.json.adminKey);
    try {
      await s.page.waitForFunction(() => document.querySelectorAll("#numbers tbody tr").length === 200);
      await s.page.getByRole("button", { name: "More numbers" }).click();
      await s.page.waitForFunction(() => document.querySelectorAll("#numbers tbody tr").length === 205);
      expect(await s.page.locator("#numbers tbody tr td:first-child").allTextContents()).toEqual(numbers);
      expect(await s.page.locator("#more").isHidden()).toBe(true);
      expect(s.seen.errors).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
