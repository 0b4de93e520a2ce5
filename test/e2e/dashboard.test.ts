/**
 * The dashboard in Chromium against `wrangler dev` with the seeded demo account: visitors take
 * numbers and some of them call, then the owner signs in with the admin key and sees the pools,
 * the utilization chart, the numbers with last shown / last called, and calls by source per day.
 * Saves test-results/dashboard.png.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminCall, DESKTOP_UA, launchBrowser, type RunningWorker, startWorker } from "./harness";

/** worker/demo.ts: the demo admin and site keys (documented in the README, local only). */
const DEMO_ADMIN_KEY = "sk_demo000000000000_demo-admin-key-for-local-development-only";
const DEMO_SITE_KEY = "pk_demo000000000000_demo-site-key-not-secret";
const RESULTS = resolve(import.meta.dirname, "../../test-results");

let worker: RunningWorker;
let browser: Awaited<ReturnType<typeof launchBrowser>>;

beforeAll(async () => {
  [worker, browser] = await Promise.all([startWorker({ demo: true }), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await worker?.stop();
});

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

describe("the dashboard", () => {
  it("signs in with the admin key and shows pools, a utilization chart, numbers and calls by source", async () => {
    const web: string[] = [];
    for (let i = 0; i < 6; i++) web.push(await visit(i % 2 ? "google-ads" : "newsletter", ["demo-web"]));
    await visit("google-ads", ["demo-ads"]);
    // Two of the visitors call.
    const voice = await adminCall(worker.url, "GET", "/v1/account/voice", DEMO_ADMIN_KEY);
    for (const [i, number] of [web[0]!, web[1]!].entries()) {
      const r = await fetch(voice.json.callbackUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ callId: `e2e-dash-${i}`, callerNo: "+13105550123", calledNo: number, startTime: Date.now() }),
      });
      expect(r.status).toBe(200);
    }

    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.setViewportSize({ width: 1200, height: 900 });
    await page.goto(`${worker.url}/dashboard`);
    await page.locator("#key").fill(DEMO_ADMIN_KEY);
    await page.getByRole("button", { name: "Sign in" }).click();

    // Pools at a glance.
    const card = page.locator(".pool", { hasText: "Website visitors" });
    await card.waitFor();
    expect(await page.locator(".pool").count()).toBe(3);
    expect(await card.innerText()).toContain("6 of 20 leased (30 %)");
    expect(await page.locator(".pool", { hasText: "Paid search" }).innerText()).toContain("1 of 10 leased");
    expect(await page.locator("#who").textContent()).toBe("Demo");

    // The selected pool's utilization chart: a real path, ending at 30 %.
    await page.waitForFunction(() => (document.querySelector("#uchart path.series")?.getAttribute("d") ?? "").length > 20);
    expect(await page.locator("#utitle").textContent()).toBe("Utilization — Website visitors");
    expect(await page.locator("#ulegend").textContent()).toContain("7-day peak 6 (30 %)");

    // Numbers with last shown / last called.
    await page.waitForFunction(() => document.querySelectorAll("#numbers tbody tr").length === 20);
    const rows = await page.locator("#numbers tbody tr").allInnerTexts();
    expect(rows.filter((r) => r.includes("leased"))).toHaveLength(6);
    const called = rows.filter((r) => r.split("\t")[3] !== "—");
    expect(called.map((r) => r.split("\t")[0]).sort()).toEqual([web[0], web[1]].sort());

    // Calls by source per day: bars for both sources.
    await page.waitForFunction(() => document.querySelectorAll("#cchart rect").length >= 2);
    expect(await page.locator("#clegend").innerText()).toMatch(/google-ads[\s\S]*newsletter/);

    // Another pool on click.
    await page.locator(".pool", { hasText: "Paid search" }).click();
    await page.waitForFunction(() => document.querySelector("#utitle")?.textContent === "Utilization — Paid search (Google Ads, Bing)");

    // The key stays in this tab's session storage: never in the URL.
    expect(page.url()).toBe(`${worker.url}/dashboard`);
    expect(await page.evaluate(() => sessionStorage.getItem("dni.adminKey"))).toBe(DEMO_ADMIN_KEY);
    expect(errors).toEqual([]);

    await page.locator(".pool", { hasText: "Website visitors" }).click();
    await page.waitForFunction(
      () => document.querySelector("#ntitle")?.textContent === "Numbers — Website visitors" && document.querySelectorAll("#numbers tbody tr").length === 20,
    );
    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: join(RESULTS, "dashboard.png"), fullPage: true });

    // Sign out forgets the key; a wrong key is refused.
    await page.locator("#out").click();
    await page.locator("#key").fill("sk_demo000000000000_wrong-key-wrong-key-wrong-key-wrong");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForFunction(() => document.querySelector("#lerr")?.textContent === "That key was not accepted.");
    expect(await page.evaluate(() => sessionStorage.getItem("dni.adminKey"))).toBeNull();
    await page.close();
  });
});
