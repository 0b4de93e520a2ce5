/**
 * The dashboard in Chromium against `wrangler dev` with the seeded demo account. Visitors from two
 * campaigns take numbers, three people call (one two days ago, before any visit), one call is
 * answered; the account's call webhook points at a host that does not resolve, so its deliveries
 * really fail. One signed-in tab is shared by the tests that read the calls and pools (one sign-in,
 * tests in order); two more accounts (made through the API) show the empty states and paging.
 * Saves test-results/dashboard-desktop.png, dashboard-phone.png and dashboard-call.png (a call's detail).
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Page, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DM_SETTINGS, MS_SETTINGS } from "../ad-settings";
import { sha256Hex, vonageGetPayload, vonageJwt } from "../providers/signers";
import { adminCall, DESKTOP_UA, launchChromium, OPERATOR_TOKEN, type RunningWorker, startWorker } from "./harness";
import { type Watched, watch } from "./page-watch";

/** worker/demo.ts: the demo admin and site keys (documented in the README, local only). */
const DEMO_ADMIN_KEY = "sk_demo000000000000_demo-admin-key-for-local-development-only";
const DEMO_SITE_KEY = "pk_demo000000000000_demo-site-key-not-secret";
const RESULTS = resolve(import.meta.dirname, "../../test-results");
const DAY = 86_400_000;

/**
 * Requests matching `match` answered (or, `fail`, aborted) `ms` late. `settled()`: once every request
 * routed so far has been answered or has failed in the page (at least one was), and the page has
 * had its turns to handle that: what a test of a late answer waits for, instead of a fixed sleep.
 */
async function lateRoute(page: Page, match: (u: URL) => boolean, ms: number, fail = false) {
  const routed: Promise<unknown>[] = [];
  await page.route(match, (route) => {
    const request = route.request();
    routed.push(request.response().then((r) => r?.finished()));
    setTimeout(() => void (fail ? route.abort("internetdisconnected") : route.continue()), ms);
  });
  return {
    settled: async () => {
      expect(routed.length).toBeGreaterThan(0);
      await Promise.all(routed);
      // The page's handlers run in tasks after the network's: two animation frames pass them.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    },
  };
}
/** The first request matching `match` fails as a dropped network would; the later ones go through. */
function failOnce(page: Page, match: (u: URL) => boolean) {
  let failures = 1;
  return page.route(match, (r) => (failures-- > 0 ? r.abort("internetdisconnected") : r.continue()));
}

/** A webhook receiver that cannot be reached: `.invalid` never resolves (RFC 6761), so every attempt fails for real. */
const DEAD_RECEIVER = "https://receiver.dni-e2e.invalid/calls";

let worker: RunningWorker;
let chrome: Awaited<ReturnType<typeof launchChromium>>;
/** The demo-web numbers the visitors were given: even ones from the spring campaign (google-ads), odd from the launch newsletter. */
const web: string[] = [];
/** The website number called two days ago (its visitor came later). */
let early: string;

/**
 * A visitor's allocation as the snippet sends it, from a page on the worker's own origin (allowed for
 * the demo account); `base`: another worker's.
 */
async function visit(source: string, pools: string[], landing?: string, base = worker.url): Promise<string> {
  const session = `e2edash${crypto.randomUUID().replace(/-/g, "")}`;
  const r = await fetch(`${base}/v1/allocate`, {
    method: "POST",
    headers: {
      "Content-Type": "text/plain;charset=UTF-8",
      Origin: base,
      "User-Agent": DESKTOP_UA,
      "Accept-Language": "en-US,en;q=0.9",
      "Sec-Fetch-Mode": "cors",
      "Sec-Fetch-Site": "same-origin",
    },
    body: JSON.stringify({ key: DEMO_SITE_KEY, session, pools, source: { name: source, ...(landing ? { landing } : {}) } }),
  });
  expect(r.status).toBe(200);
  return (await r.json()).pools[0].number.e164;
}

async function ring(callbackUrl: string, callId: string, number: string, startTime: number): Promise<void> {
  const r = await fetch(callbackUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ callId, callerNo: "+13105550123", calledNo: number, startTime }),
  });
  expect(r.status).toBe(200);
}

interface Session {
  page: Page;
  seen: Watched;
  close(): Promise<void>;
}

/** A fresh tab (own sessionStorage) on /dashboard (of the worker at `base`), signed in with `key`. */
async function signIn(key: string, viewport = { width: 1280, height: 900 }, base = worker.url): Promise<Session> {
  const ctx = await chrome.newContext();
  const page = await ctx.newPage();
  const seen = await watch(page);
  await page.setViewportSize(viewport);
  await page.goto(`${base}/dashboard`);
  await page.locator("#key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  return { page, seen, close: () => ctx.close() };
}

/**
 * Runs `test` in a fresh tab signed in with `key` (signIn: a phone's `viewport` if given, another
 * worker's page if `base`), and closes the tab however `test` ends.
 */
async function withDashboard(
  key: string | { key: string; viewport?: { width: number; height: number }; base?: string },
  test: (s: Session) => Promise<void>,
): Promise<void> {
  const s = typeof key === "string" ? await signIn(key) : await signIn(key.key, key.viewport, key.base);
  try {
    await test(s);
  } finally {
    await s.close();
  }
}

/** Waits until the dashboard has finished a load (its "Updated" line is written last). */
const loaded = (page: Page) => page.waitForFunction(() => document.querySelector("#updated")?.textContent?.startsWith("Updated "));
/** A table's body as the text of its cells, row by row. */
const cells = (page: Page, table: string) =>
  page.evaluate((t) => [...document.querySelectorAll(`${t} tbody tr`)].map((r) => [...r.querySelectorAll("td")].map((c) => c.textContent ?? "")), table);
/** A date range preset's button. */
const preset = (page: Page, name: string) => page.locator("#presets").getByRole("button", { name, exact: true });
/** The totals tiles as { label: value }. */
const tiles = (page: Page) =>
  page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll("#totals .tile")].map((t) => [t.querySelector("span")?.textContent, t.querySelector("strong")?.textContent]),
    ),
  );
/** The "calls by" table as [name, calls] rows. */
const groupTable = (page: Page) =>
  page.evaluate(() =>
    [...document.querySelectorAll("#groups tbody tr")].map((r) => [r.querySelector(".key")?.textContent, r.querySelector(".num")?.textContent]),
  );
/** The value uPlot's legend shows for a series while the cursor is over the chart. */
const legendValue = (page: Page, chart: string, label: string) =>
  page
    .locator(`${chart} .u-legend tr`, { has: page.locator(".u-label", { hasText: label }) })
    .locator(".u-value")
    .textContent();

/** Chromium's accessibility tree (CDP): each node's role, name and the properties named. */
async function axTree(page: Page): Promise<{ role: string; name: string; description: string; props: Record<string, unknown> }[]> {
  const cdp = await page.context().newCDPSession(page);
  const { nodes } = await cdp.send("Accessibility.getFullAXTree");
  await cdp.detach();
  return nodes
    .filter((n) => !n.ignored)
    .map((n) => ({
      role: String(n.role?.value ?? ""),
      name: String(n.name?.value ?? ""),
      description: String(n.description?.value ?? ""),
      props: Object.fromEntries((n.properties ?? []).map((p) => [p.name, p.value.value])),
    }));
}
/** The buttons the accessibility tree says are pressed, and those it says are not (in the tree's order, not the page's). */
async function pressedButtons(page: Page): Promise<{ on: string[]; off: string[] }> {
  const toggles = (await axTree(page)).filter((n) => n.role === "button" && "pressed" in n.props);
  return {
    on: toggles.filter((n) => n.props.pressed === "true").map((n) => n.name),
    off: toggles.filter((n) => n.props.pressed === "false").map((n) => n.name),
  };
}

beforeAll(async () => {
  [worker, chrome] = await Promise.all([startWorker({ demo: true }), launchChromium()]);
  const hook = await adminCall(worker.url, "PATCH", "/v1/account/integrations", DEMO_ADMIN_KEY, { webhook: { url: DEAD_RECEIVER } });
  expect(hook.status).toBe(200);
  const voice = await adminCall(worker.url, "GET", "/v1/account/voice", DEMO_ADMIN_KEY);
  // Two days ago a caller rang a website number before anyone visited: unattributed.
  early = await visit("probe", ["demo-web"]);
  await ring(voice.json.callbackUrl, "e2e-dash-early", early, Date.now() - 2 * DAY);
  for (let i = 1; i < 6; i++)
    web.push(
      i % 2
        ? await visit("newsletter", ["demo-web"], `${worker.url}/blog/launch?utm_campaign=launch`)
        : await visit("google-ads", ["demo-web"], `${worker.url}/pricing?utm_campaign=spring&gclid=e2e${i}`),
    );
  await visit("google-ads", ["demo-ads"]);
  // Four of the newsletter pool's five numbers: at its 80 % alert threshold, so near full.
  for (let i = 0; i < 4; i++) await visit("newsletter", ["demo-email"]);
  // Today: one newsletter and one spring visitor call; the spring call is answered, 42 s.
  await ring(voice.json.callbackUrl, "e2e-dash-news", web[0]!, Date.now());
  await ring(voice.json.callbackUrl, "e2e-dash-spring", web[1]!, Date.now());
  const status = await fetch(`${voice.json.callbackUrl}/status`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ callId: "e2e-dash-spring", status: "completed", duration: 42 }),
  });
  expect(status.status).toBe(200);
});
afterAll(async () => {
  await chrome?.close();
  await worker?.stop();
});

describe("the dashboard, calls first", () => {
  let s: Session;
  beforeAll(async () => {
    s = await signIn(DEMO_ADMIN_KEY);
    await loaded(s.page);
  });
  afterAll(() => s?.close());

  it("shows the range's totals and attribution rate, and follows a change of range", async () => {
    const { page } = s;
    expect(await page.locator("#who").textContent()).toBe("Demo");
    // 7 days (the default): the three calls, two matched to a visit.
    expect(await page.locator("button.on[data-preset]").textContent()).toBe("7 days");
    expect(await tiles(page)).toMatchObject({ Calls: "3", "Attribution rate": "67 %", Answered: "33 %", "Talk time": "42 s" });
    expect(await page.locator("#calls tbody tr").count()).toBe(3);

    // Today: the early call is left out; the request asks for today from local midnight.
    const today = page.waitForRequest((r) => r.url().includes("/v1/stats/calls?"));
    await preset(page, "Today").click();
    const asked = new URL((await today).url());
    const midnight = new Date();
    midnight.setHours(0, 0, 0, 0);
    expect(Date.parse(asked.searchParams.get("from")!)).toBe(midnight.getTime());
    await page.waitForFunction(() => document.querySelectorAll("#calls tbody tr").length === 2);
    expect(await tiles(page)).toMatchObject({ Calls: "2", "Attribution rate": "100 %", Answered: "50 %" });

    // Custom dates: three days ago to yesterday holds only the early, unattributed call.
    await preset(page, "Custom").click();
    const day = (ms: number) => {
      const d = new Date(ms);
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
    };
    await page.locator("#cfrom").fill(day(Date.now() - 3 * DAY));
    await page.locator("#cto").fill(day(Date.now() - DAY));
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForFunction(() => document.querySelectorAll("#calls tbody tr").length === 1);
    expect(await tiles(page)).toMatchObject({ Calls: "1", "Attribution rate": "0 %" });
    expect(await page.locator("#calls tbody tr td").nth(1).textContent()).toBe("(unattributed)");

    await preset(page, "7 days").click();
    await page.waitForFunction(() => document.querySelectorAll("#calls tbody tr").length === 3);
    expect(s.seen.errors).toEqual([]);
  });

  it("charts calls per day with axes and the day's counts on hover", async () => {
    const { page } = s;
    const over = page.locator("#cchart .u-over");
    const box = (await over.boundingBox())!;
    expect(box.width).toBeGreaterThan(600);
    // Today's UTC day is the last or (east of UTC, late in the day) the one before: hover from the right edge until the legend names it.
    const today = new Date().toLocaleDateString("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
    const dayWidth = box.width / 7;
    let i = 0;
    await expect
      .poll(async () => {
        await over.hover({ position: { x: Math.max(3, box.width - 3 - (i++ % 3) * dayWidth), y: box.height / 2 } });
        return legendValue(page, "#cchart", "Day");
      })
      .toBe(today);
    expect(await legendValue(page, "#cchart", "Calls")).toBe("2");
    expect(await legendValue(page, "#cchart", "Attributed")).toBe("2");
    // The first day of the range had no call: it reads 0.
    await over.hover({ position: { x: 3, y: box.height / 2 } });
    await expect.poll(() => legendValue(page, "#cchart", "Calls")).toBe("0");
    // y axis, x axis: uPlot draws their ticks and labels on the canvas; the axis title is text.
    expect(await page.locator("#cchart .u-axis").count()).toBe(2);
    expect(await page.locator("#cchart .u-label").first().textContent()).toBe("Day");
  });

  it("groups the calls by source, campaign, landing page and pool", async () => {
    const { page } = s;
    // Most calls first, then by name; calls without one last.
    expect(await groupTable(page)).toEqual([
      ["google-ads", "1"],
      ["newsletter", "1"],
      ["(unattributed)", "1"],
    ]);
    const campaign = page.waitForRequest((r) => r.url().includes("groupBy=campaign"));
    await page.getByRole("button", { name: "Campaign" }).click();
    await campaign;
    await page.waitForFunction(() => document.querySelector("#ghead")?.textContent === "Campaign");
    await page.waitForFunction(() => document.querySelector("#groups tbody .key")?.textContent === "launch");
    expect((await groupTable(page)).sort()).toEqual([
      ["(no campaign)", "1"],
      ["launch", "1"],
      ["spring", "1"],
    ]);
    await page.getByRole("button", { name: "Landing page" }).click();
    await page.waitForFunction(() => document.querySelector("#ghead")?.textContent === "Landing page");
    await page.waitForFunction((u) => [...document.querySelectorAll("#groups .key")].some((k) => k.textContent === `${u}/pricing`), worker.url);
    expect((await groupTable(page)).sort()).toEqual([
      ["(no landing page)", "1"],
      [`${worker.url}/blog/launch`, "1"],
      [`${worker.url}/pricing`, "1"],
    ]);
    await page.getByRole("button", { name: "Pool" }).click();
    await page.waitForFunction(() => document.querySelector("#groups .key")?.textContent === "demo-web");
    expect(await groupTable(page)).toEqual([["demo-web", "3"]]);
    await page.getByRole("button", { name: "Source" }).click();
    await page.waitForFunction(() => document.querySelector("#groups .key")?.textContent === "google-ads");
    expect(s.seen.errors).toEqual([]);
  });

  it("lists recent calls with source, campaign, outcome and duration, each opening its detail", async () => {
    const { page } = s;
    const rows = (await cells(page, "#calls")).map((r) => r.slice(1));
    expect(rows).toEqual([
      ["google-ads", "spring", "demo-web", "answered", "0:42"],
      ["newsletter", "launch", "demo-web", "in progress", "—"],
      ["(unattributed)", "—", "demo-web", "in progress", "—"],
    ]);
    await page.locator("#calls tbody tr").first().locator("a").click();
    expect(new URL(page.url()).hash).toBe("#call/e2e-dash-spring");
    await page.waitForFunction(() => document.querySelector("#detail dl"));
    const detail = await page.locator("#detail").innerText();
    expect(detail).toContain("e2e-dash-spring");
    expect(detail).toMatch(/Campaign\s+spring/);
    expect(detail).toMatch(/Landing page\s+http:\/\/127\.0\.0\.1:\d+\/pricing\?utm_campaign=spring&gclid=e2e2/);
    expect(detail).toMatch(/Outcome\s+answered/);
    expect(detail).toMatch(/Talk time\s+0:42/);
    expect(detail).toMatch(/Call webhook · call: pending after \d+ attempts?/);
    mkdirSync(RESULTS, { recursive: true });
    await page.locator("#detail").screenshot({ path: join(RESULTS, "dashboard-call.png") });
    await page.locator("#dclose").click();
    await page.waitForFunction(() => (document.querySelector("#detail") as HTMLElement).hidden);
  });

  it("plays a recording from the blob the page fetched with the key, within its CSP (media-src blob: only)", async () => {
    const { page, seen } = s;
    // What GET /v1/calls/{id}/recording hands the page (test/worker/recordings.test.ts fetches it from
    // each provider): 0.1 s of 8 kHz 16-bit silence as a WAV file, played as call-detail.ts plays it.
    const played = await page.evaluate(async () => {
      const samples = 800;
      const wav = new DataView(new ArrayBuffer(44 + samples * 2));
      const text = (at: number, t: string) => {
        for (let i = 0; i < t.length; i++) wav.setUint8(at + i, t.charCodeAt(i));
      };
      text(0, "RIFF");
      wav.setUint32(4, 36 + samples * 2, true);
      text(8, "WAVEfmt ");
      wav.setUint32(16, 16, true);
      wav.setUint16(20, 1, true);
      wav.setUint16(22, 1, true);
      wav.setUint32(24, 8000, true);
      wav.setUint32(28, 16000, true);
      wav.setUint16(32, 2, true);
      wav.setUint16(34, 16, true);
      text(36, "data");
      wav.setUint32(40, samples * 2, true);
      const audio = document.createElement("audio");
      audio.src = URL.createObjectURL(new Blob([wav.buffer], { type: "audio/x-wav" }));
      return new Promise<number | string>((done) => {
        audio.addEventListener("loadedmetadata", () => done(audio.duration));
        audio.addEventListener("error", () => done(`error ${audio.error?.code}`));
        audio.load();
      });
    });
    expect(played).toBeCloseTo(0.1, 2);
    expect(await seen.cspViolations()).toEqual([]);
  });

  it("downloads the range's calls as CSV", async () => {
    const { page } = s;
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download CSV" }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^calls-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv$/);
    const lines = readFileSync((await file.path())!, "utf8")
      .trim()
      .split("\r\n");
    expect(lines[0]).toMatch(/^call_id,started_at,pool,/);
    expect(
      lines
        .slice(1)
        .map((l) => l.split(",")[0])
        .sort(),
    ).toEqual(["e2e-dash-early", "e2e-dash-news", "e2e-dash-spring"]);
  });

  it("lists failing webhook deliveries, and Redeliver sends one more copy", async () => {
    const { page } = s;
    // The webhook's first attempts fail (its host does not resolve): wait for the API to say so, then reload the page.
    const failing = async () => (await adminCall(worker.url, "GET", "/v1/deliveries?status=failing&kind=webhook", DEMO_ADMIN_KEY)).json.deliveries;
    const deadline = Date.now() + 15_000;
    while ((await failing()).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const before: { id: string; callId: string; redeliveries: number; attempts: number }[] = await failing();
    expect(before.length).toBeGreaterThanOrEqual(3);
    await page.reload();
    await loaded(page);
    const row = page.locator("#deliveries tbody tr", { hasText: "e2e-dash-spring" }).first();
    expect(await row.innerText()).toMatch(
      /Call webhook · call[\s\S]*failing[\s\S]*retrying: \d+ attempts?, next [\s\S]*DNS lookup of receiver\.dni-e2e\.invalid failed|does not resolve/,
    );
    const id = await row.getAttribute("data-delivery");
    const target = before.find((d) => d.id === id)!;
    expect(target.callId).toBe("e2e-dash-spring");
    const posted = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith(`/v1/deliveries/${id}/redeliver`));
    await row.getByRole("button", { name: "Redeliver" }).click();
    expect((await posted).status()).toBe(202);
    await page.waitForFunction((i) => document.querySelector(`[data-delivery="${i}"] .note`)?.textContent === "Queued: sent again within seconds.", id);
    expect(await row.getByRole("button", { name: "Redeliver" }).isDisabled()).toBe(true);
    // The keyboard's place stays on the button (a disabled one loses it), and the outcome is a status a screen reader says.
    expect(await page.evaluate(() => document.activeElement?.classList.contains("redeliver"))).toBe(true);
    expect(await row.getByRole("status").textContent()).toBe("Queued: sent again within seconds.");
    // Pressed again: nothing more is sent.
    await row.getByRole("button", { name: "Redeliver" }).click({ force: true });
    await page.evaluate(() => new Promise((r) => setTimeout(r, 200)));
    const after = (await adminCall(worker.url, "GET", "/v1/deliveries?kind=webhook&limit=200", DEMO_ADMIN_KEY)).json.deliveries.find(
      (d: { id: string }) => d.id === id,
    );
    expect(after.redeliveries).toBe(target.redeliveries + 1);
    expect(s.seen.requests.filter((r) => r.method === "POST" && r.url.endsWith(`/v1/deliveries/${id}/redeliver`))).toHaveLength(1);
    expect(s.seen.errors).toEqual([]);
  });

  it("shows every pool: health, alert setting in words, and the utilization of all pools on hover", async () => {
    const { page } = s;
    expect(await page.locator(".pool").count()).toBe(3);
    const webCard = await page.locator(".pool", { hasText: "Website visitors" }).innerText();
    expect(webCard).toContain("6 of 20 leased (30 %) · 14 free · 7-day peak 6");
    expect(webCard).toContain("demo-web · Alerts on, at 80 % full");
    expect(await page.locator(".pool", { hasText: "Website visitors" }).locator(".tag").textContent()).toBe("Healthy");
    const news = page.locator(".pool", { hasText: "Newsletter" });
    expect(await news.getAttribute("class")).toBe("card pool warning");
    expect(await news.locator(".tag").textContent()).toBe("Near full");
    expect(await news.innerText()).toContain("4 of 5 leased (80 %)");
    expect(await news.locator(".warnline").textContent()).toMatch(/^Alert open since /);
    expect(await news.locator(".bar i").evaluate((i) => (i as HTMLElement).style.width)).toBe("80%");

    // One line per pool; hovering the latest bucket shows each pool's share now.
    expect((await page.locator("#uchart .u-legend .u-series .u-label").allTextContents()).sort()).toEqual(
      ["Time", "Website visitors", "Paid search (Google Ads, Bing)", "Newsletter"].sort(),
    );
    const over = page.locator("#uchart .u-over");
    await over.scrollIntoViewIfNeeded();
    const box = (await over.boundingBox())!;
    await over.hover({ position: { x: box.width - 1, y: box.height / 2 } });
    await page.waitForFunction(() =>
      [...document.querySelectorAll("#uchart .u-legend .u-series")].some(
        (r) => r.querySelector(".u-label")?.textContent === "Newsletter" && r.querySelector(".u-value")?.textContent === "80 %",
      ),
    );
    expect(await legendValue(page, "#uchart", "Website visitors")).toBe("30 %");
    expect(await legendValue(page, "#uchart", "Paid search")).toBe("10 %");

    const week = page.waitForRequest((r) => r.url().includes("/v1/pools/demo-email/health?minutes=10080&step=60"));
    await page.locator("[data-range=week]").click();
    await week;
    await page.waitForFunction(() => document.querySelector("#ulegend")?.textContent?.includes("last 7 days, peak of each hour"));
    expect(s.seen.errors).toEqual([]);
  });

  it("lists the selected pool's numbers with last shown and last called, and switches pool on a click", async () => {
    const { page } = s;
    expect(await page.locator(".pool.sel").innerText()).toContain("Website visitors");
    await page.waitForFunction(() => document.querySelectorAll("#numbers tbody tr").length === 20);
    const rows = await cells(page, "#numbers");
    expect(rows.filter((r) => r[3] !== "—").map((r) => r[0])).toEqual([early, web[0], web[1]].sort());
    await page.locator(".pool", { hasText: "Paid search" }).click();
    await page.waitForFunction(
      () =>
        document.querySelector("#ntitle")?.textContent === "Numbers — Paid search (Google Ads, Bing)" &&
        document.querySelectorAll("#numbers tbody tr").length === 10,
    );
    expect(await page.locator(".pool.sel").innerText()).toContain("Paid search");
    mkdirSync(RESULTS, { recursive: true });
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(RESULTS, "dashboard-desktop.png"), fullPage: true });
  });

  it("keeps the key in the tab, sends it only as a header, to its own origin only (no third-party request), within its CSP", async () => {
    const { page, seen } = s;
    expect(await page.evaluate(() => sessionStorage.getItem("dni.adminKey"))).toBe(DEMO_ADMIN_KEY);
    expect(await page.evaluate(() => [localStorage.length, document.cookie])).toEqual([0, ""]);
    const calls = seen.requests.filter((r) => new URL(r.url).pathname.startsWith("/v1/"));
    expect(calls.length).toBeGreaterThanOrEqual(20);
    for (const r of calls) expect(r.headers.authorization).toBe(`Bearer ${DEMO_ADMIN_KEY}`);
    expect(new Set(calls.map((r) => r.method))).toEqual(new Set(["GET", "POST"]));
    for (const r of seen.requests) expect(r.url).not.toContain("sk_");
    expect(seen.offOrigin(worker.url)).toEqual([]);
    expect(await seen.cspViolations()).toEqual([]);
    expect(seen.errors).toEqual([]);

    // Signing out starts the page afresh: wait for that load.
    await Promise.all([page.waitForEvent("load"), page.locator("#out").click()]);
    expect(await page.evaluate(() => sessionStorage.getItem("dni.adminKey"))).toBeNull();
    expect(await page.locator("#login").isVisible()).toBe(true);
    expect(await page.locator("#app").isHidden()).toBe(true);
  });
});

describe("the dashboard elsewhere", () => {
  it("fits a phone's width: nothing overflows at 390 px", async () => {
    await withDashboard({ key: DEMO_ADMIN_KEY, viewport: { width: 390, height: 844 } }, async (s) => {
      await loaded(s.page);
      await s.page.waitForFunction(() => document.querySelectorAll("#numbers tbody tr").length === 20);
      const widths = await s.page.evaluate(() => ({
        page: document.documentElement.scrollWidth,
        view: window.innerWidth,
        wider: [...document.querySelectorAll("#app *")]
          .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !e.closest(".scroll"))
          .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`),
      }));
      expect(widths.view).toBe(390);
      expect(widths.page).toBeLessThanOrEqual(390);
      expect(widths.wider).toEqual([]);
      expect((await s.page.locator("#uchart .u-over").boundingBox())!.width).toBeLessThan(390);
      mkdirSync(RESULTS, { recursive: true });
      await s.page.screenshot({ path: join(RESULTS, "dashboard-phone.png"), fullPage: true });
      expect(s.seen.errors).toEqual([]);
    });
  });

  it("shows where the selected pool's numbers come from: its autoscaling and its number orders", async () => {
    const acct = await adminCall(worker.url, "POST", "/v1/accounts", OPERATOR_TOKEN, { name: "Orders", allowedOrigins: [worker.url] });
    const key = acct.json.adminKey as string;
    const twilio = { authToken: "e2e-twilio-auth-token-0123456789", accountSid: `AC${"0".repeat(32)}` };
    expect((await adminCall(worker.url, "PATCH", "/v1/account/voice", key, { provider: "twilio", credentials: { twilio } })).status).toBe(200);
    const pool = { id: "ads", name: "Ads", destinations: ["+12127365000"], order: { country: "US", areaCode: "510", quantity: 2 } };
    expect((await adminCall(worker.url, "POST", "/v1/pools", key, pool)).status).toBe(201);
    const autoscale = { min: 2, max: 6, dryRun: true, numbers: { country: "US", areaCode: "510" } };
    expect((await adminCall(worker.url, "PUT", "/v1/pools/ads/autoscale", key, autoscale)).status).toBe(200);
    await withDashboard(key, async (s) => {
      await loaded(s.page);
      await s.page.waitForFunction(() => document.querySelectorAll("#orders tbody tr").length === 1);
      // Twilio cannot be reached from here: the order has bought nothing, whatever its status.
      const [row] = await cells(s.page, "#orders");
      expect(row!.slice(1, 2)).toEqual(["2 local numbers in US, area code 510, from Twilio"]);
      expect(row![3]).toBe("0 of 2 in the pool");
      expect(await s.page.locator("#autoscale").innerText()).toMatch(/^Autoscaling \(dry run: recommends, buys nothing\): 2–6 numbers; 0 numbers now/);
      expect(await s.page.locator("#orders-empty").isVisible()).toBe(false);
      expect(s.seen.errors).toEqual([]);
    });
    // The demo account's pools were filled by hand: no orders, no autoscaling.
    await withDashboard(DEMO_ADMIN_KEY, async (s) => {
      await loaded(s.page);
      await s.page.locator("#orders-empty").waitFor({ state: "visible" });
      expect(await s.page.locator("#orders").isVisible()).toBe(false);
      expect(await s.page.locator("#autoscale").innerText()).toMatch(/^Autoscaling: off\./);
    });
  });

  it("a recorded call's Listen asks the API, which asks the provider: without Vonage's application key, the page says what to set", async () => {
    const acct = await adminCall(worker.url, "POST", "/v1/accounts", OPERATOR_TOKEN, { name: "Recorded", allowedOrigins: [worker.url] });
    const key = acct.json.adminKey as string;
    const accountId = acct.json.account.id as string;
    const secret = "e2e-vonage-signature-secret-0123";
    expect(
      (await adminCall(worker.url, "PATCH", "/v1/account/voice", key, { provider: "vonage", credentials: { vonage: { signatureSecret: secret } } })).status,
    ).toBe(200);
    const tracking = "+12127365999";
    const route = { start: "m", lists: { m: [{ type: "forward", to: "+12127365000" }] }, recording: { disclosure: "This call may be recorded." } };
    const pool = { id: "rec", name: "Recorded", trackingNumbers: [tracking], destinations: ["+12127365000"], isDefault: true, route };
    expect((await adminCall(worker.url, "POST", "/v1/pools", key, pool)).status).toBe(201);
    // Vonage's answer request and its record event, signed as Vonage signs them (HS256, payload_hash).
    const signedBy = async (payload: string) =>
      `Bearer ${await vonageJwt(secret, { iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID(), application_id: "aaaaaaaa-bbbb-cccc-dddd-0123456789ab", payload_hash: await sha256Hex(payload) })}`;
    const id = `e2e-rec-${crypto.randomUUID()}`;
    const answerUrl = new URL(`${worker.url}/v1/voice/${accountId}/vonage`);
    for (const [k, v] of Object.entries({ to: tracking.slice(1), from: "13105550123", uuid: id, conversation_uuid: `CON-${id}` }))
      answerUrl.searchParams.append(k, v);
    const answer = await fetch(answerUrl, { headers: { Authorization: await signedBy(vonageGetPayload(answerUrl.href)) } });
    expect(answer.status, await answer.clone().text()).toBe(200);
    const record = ((await answer.json()) as { action: string; eventUrl?: string[] }[]).find((a) => a.action === "record")!;
    const event = JSON.stringify({
      recording_url: "https://api-us.nexmo.com/v1/files/aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
      recording_uuid: "r1",
      conversation_uuid: `CON-${id}`,
    });
    const posted = await fetch(record.eventUrl![0]!, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: await signedBy(event) },
      body: event,
    });
    expect(posted.status).toBeLessThan(300);
    await withDashboard(key, async (s) => {
      await loaded(s.page);
      await s.page.goto(`${worker.url}/dashboard#call/${encodeURIComponent(id)}`);
      await s.page.getByRole("button", { name: "Listen" }).click();
      await s.page.waitForFunction(() => document.querySelector("#detail .recording [role=status]")?.textContent?.includes("private key"));
      expect(await s.page.locator("#detail .recording [role=status]").innerText()).toMatch(
        /^The recording could not be fetched: Vonage serves recordings only with a token signed by the application's private key/,
      );
      expect(await s.page.getByRole("button", { name: "Listen" }).isEnabled()).toBe(true);
      const asked = s.seen.requests.filter((r) => new URL(r.url).pathname === `/v1/calls/${id}/recording`);
      expect(asked.map((r) => r.headers.authorization)).toEqual([`Bearer ${key}`]);
      expect(await s.seen.cspViolations()).toEqual([]);
    });
  });

  it("refuses a wrong key and forgets it", async () => {
    await withDashboard("sk_demo000000000000_wrong-key-wrong-key-wrong-key-wrong", async (s) => {
      await s.page.waitForFunction(() => document.querySelector("#lerr")?.textContent?.startsWith("That key was not accepted: "));
      // In the API's words: what was wrong with it.
      expect(await s.page.locator("#lerr").innerText()).toBe("That key was not accepted: Unknown or revoked admin key");
      expect(await s.page.evaluate(() => sessionStorage.getItem("dni.adminKey"))).toBeNull();
      expect(await s.page.locator("#app").isHidden()).toBe(true);
    });
  });

  it("says what to do for an account with no pools and no calls", async () => {
    const acct = await adminCall(worker.url, "POST", "/v1/accounts", OPERATOR_TOKEN, { name: "Empty <b>Co</b>", allowedOrigins: [] });
    expect(acct.status).toBe(201);
    await withDashboard(acct.json.adminKey, async (s) => {
      await loaded(s.page);
      expect(await s.page.locator("#who").textContent()).toBe("Empty <b>Co</b>");
      expect(await s.page.locator("#pools").textContent()).toBe("No pools yet: create one with POST /v1/pools.");
      expect(await s.page.locator("#cchart").textContent()).toBe("No calls in this range.");
      expect(await tiles(s.page)).toMatchObject({ Calls: "0", "Attribution rate": "—" });
      expect(await s.page.locator("#deliveries-empty").isVisible()).toBe(true);
      expect(s.seen.errors).toEqual([]);
    });
  });

  it("shows the selected pool's replaceAll and turns it on and off; a pool with a whitelist is refused in the API's words", async () => {
    const acct = await adminCall(worker.url, "POST", "/v1/accounts", OPERATOR_TOKEN, { name: "Swap all", allowedOrigins: [] });
    const key: string = acct.json.adminKey;
    for (const p of [
      { id: "one", name: "One destination", trackingNumbers: ["+18445550100", "+18445550101"], destinations: ["+18005550100"], isDefault: true },
      { id: "list", name: "Whitelist", trackingNumbers: ["+18445550102"], destinations: ["+18005550100", "+18005550101"] },
    ])
      expect((await adminCall(worker.url, "POST", "/v1/pools", key, p)).status).toBe(201);
    const stored = async (id: string) => (await adminCall(worker.url, "GET", `/v1/pools/${id}`, key)).json.replaceAll ?? false;
    await withDashboard(key, async (s) => {
      const { page } = s;
      const box = page.locator("#replace-all");
      const note = page.locator("#replace-note");
      const noteIs = (text: string) => page.waitForFunction((t) => document.querySelector("#replace-note")?.textContent === t, text);
      await page.waitForFunction(() => document.querySelector("#ntitle")?.textContent === "Numbers — One destination");
      await noteIs("Off: only the destination +18005550100 is swapped.");
      expect(await box.isChecked()).toBe(false);
      // The box sits at the start of its words' line (not stretched across the card above them).
      const [boxAt, words] = [await box.boundingBox(), await page.locator(".setting label").boundingBox()];
      expect(boxAt!.width).toBeLessThan(30);
      expect(Math.abs(boxAt!.y + boxAt!.height / 2 - (words!.y + words!.height / 2))).toBeLessThan(6);

      await box.click();
      await noteIs("On: every phone number on the page becomes the visitor's number (calls go to +18005550100).");
      expect(await box.isChecked()).toBe(true);
      expect(await stored("one")).toBe(true);
      await page.waitForFunction(() => document.querySelector(".pool.sel")?.textContent?.includes("replaces every number"));

      // By keyboard: the box keeps the focus while the change is saved (a disabled box would lose it).
      await box.focus();
      await page.keyboard.press("Space");
      await noteIs("Off: only the destination +18005550100 is swapped.");
      expect(await box.isChecked()).toBe(false);
      expect(await stored("one")).toBe(false);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("replace-all");

      // Exclusive with a whitelist: the API refuses, the page says why and shows the pool unchanged.
      await page.locator(".pool", { hasText: "Whitelist" }).click();
      await noteIs("Off: only the destinations +18005550100, +18005550101 are swapped.");
      await box.click();
      await noteIs(
        "Not changed: replaceAll swaps every number on the page: give one destination (where calls go), not a whitelist (destinations: with replaceAll, exactly one destination)",
      );
      expect(await note.getAttribute("class")).toContain("err");
      expect(await box.isChecked()).toBe(false);
      expect(await box.isEnabled()).toBe(true);
      // A screen reader hears why too: the line is a live status, and it describes the box.
      const tree = await axTree(page);
      expect(tree.find((n) => n.role === "checkbox")?.description).toBe(await note.textContent());
      expect(tree.filter((n) => n.role === "status").length).toBeGreaterThanOrEqual(1);
      expect(await stored("list")).toBe(false);
      expect(await page.locator("#app").isVisible()).toBe(true);
      // The one error logged: the browser's own line for the refused request.
      expect(s.seen.errors).toEqual([expect.stringMatching(/^Failed to load resource: the server responded with a status of 400/)]);
      expect(s.seen.requests.filter((r) => r.method === "PATCH").map((r) => new URL(r.url).pathname)).toEqual([
        "/v1/pools/one",
        "/v1/pools/one",
        "/v1/pools/list",
      ]);

      // Refused after another pool was chosen: that pool's box keeps its own setting and words.
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      await page.route("**/v1/pools/list", async (r) => {
        if (r.request().method() !== "PATCH") return r.continue();
        await held;
        await r.continue();
      });
      await box.click();
      await page.locator(".pool", { hasText: "One destination" }).click();
      await noteIs("Off: only the destination +18005550100 is swapped.");
      const refused = page.waitForResponse((r) => r.request().method() === "PATCH" && r.url().endsWith("/v1/pools/list"));
      release();
      await refused;
      await page.evaluate(() => new Promise((r) => setTimeout(r, 50)));
      expect(await note.textContent()).toBe("Off: only the destination +18005550100 is swapped.");
      expect(await box.isChecked()).toBe(false);
    });
  });

  it("shows the snippet tag for the site and its origins, and sets how long calls are kept", async () => {
    const acct = await adminCall(worker.url, "POST", "/v1/accounts", OPERATOR_TOKEN, { name: "Keeper", allowedOrigins: ["https://www.keeper.example"] });
    const key: string = acct.json.adminKey;
    await withDashboard(key, async (s) => {
      const { page } = s;
      const noteIs = (text: string) => page.waitForFunction((t) => document.querySelector("#keep-note")?.textContent === t, text);
      await loaded(page);
      const tag = await page.locator("#tag").textContent();
      expect(tag).toBe(`<script async src="${worker.url}/dni.js" data-key="${acct.json.siteKey}"></script>`);
      // The tag's script is the worker's snippet.
      const src = /src="([^"]+)"/.exec(tag!)![1]!;
      expect((await fetch(src)).headers.get("Content-Type")).toContain("javascript");
      // No pool yet, so none is the default: the tag as shown would lease nothing, and says so.
      expect(await page.locator("#origins").textContent()).toBe(
        'Pages of https://www.keeper.example may use it (PATCH /v1/account allowedOrigins). No pool is the default: add data-pool="<pool id>" to the tag, or make a pool the default (PATCH /v1/pools/{id} with "isDefault": true).',
      );
      await noteIs("Calls are kept 395 days, then archived until deleted by hand.");
      expect(await page.locator("#keep-calls").inputValue()).toBe("395");
      expect(await page.locator("#keep-archive").inputValue()).toBe("");

      const stored = async () => {
        const a = (await adminCall(worker.url, "GET", "/v1/account", key)).json;
        return [a.callRetentionDays, a.archiveRetentionDays];
      };
      await page.locator("#keep-calls").fill("30");
      await page.locator("#keep-archive").fill("365");
      await page.getByRole("button", { name: "Save" }).click();
      await noteIs("Saved. Calls are kept 30 days, then archived 365 days more, then deleted.");
      expect(await stored()).toEqual([30, 365]);

      // Blank: archived until deleted by hand.
      await page.locator("#keep-archive").fill("");
      // By keyboard: Save keeps the focus while saving (a disabled button would lose it).
      await page.getByRole("button", { name: "Save" }).focus();
      await page.keyboard.press("Enter");
      await noteIs("Saved. Calls are kept 30 days, then archived until deleted by hand.");
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("keep-save");
      expect(await stored()).toEqual([30, null]);

      // Under the API's 7 days: the browser holds the form back, nothing is sent or changed.
      const patches = () => s.seen.requests.filter((r) => r.method === "PATCH").length;
      expect(patches()).toBe(2);
      await page.locator("#keep-calls").fill("5");
      await page.getByRole("button", { name: "Save" }).click();
      expect(await page.locator("#keep-calls").evaluate((i: HTMLInputElement) => i.validity.rangeUnderflow)).toBe(true);
      expect(patches()).toBe(2);
      expect(await stored()).toEqual([30, null]);
      expect(s.seen.errors).toEqual([]);
    });
  });

  it("the minute's reload leaves what is being typed in the retention form, and its late answer does not undo a Save", async () => {
    const acct = await adminCall(worker.url, "POST", "/v1/accounts", OPERATOR_TOKEN, { name: "Keeper again", allowedOrigins: [] });
    const key: string = acct.json.adminKey;
    await withDashboard(key, async (s) => {
      const { page } = s;
      await loaded(page);
      await page.clock.install();
      await page.reload();
      await loaded(page);
      const updated = async () => page.locator("#updated").textContent();
      // Typing when the reload comes: what is typed stays.
      await page.locator("#keep-calls").fill("60");
      let was = await updated();
      await page.clock.fastForward(60_000);
      await page.waitForFunction((w) => document.querySelector("#updated")?.textContent !== w, was);
      expect(await page.locator("#keep-calls").inputValue()).toBe("60");
      // The next reload's account is read at once (60 days' settings) but its answer held; meanwhile 45 days
      // are saved; then the old answer comes.
      const held: (() => Promise<void>)[] = [];
      await page.route("**/v1/account", async (r) => {
        if (r.request().method() !== "GET") return r.continue();
        const response = await r.fetch();
        held.push(() => r.fulfill({ response }));
      });
      was = await updated();
      await page.clock.fastForward(60_000);
      await expect.poll(() => held.length).toBeGreaterThan(0);
      await page.locator("#keep-calls").fill("45");
      await page.getByRole("button", { name: "Save" }).click();
      await page.waitForFunction(() => document.querySelector("#keep-note")?.textContent?.startsWith("Saved. Calls are kept 45 days"));
      // The user moves on (the form no longer has the focus), and the old answer comes.
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      for (const answer of held) await answer();
      await page.waitForFunction((w) => document.querySelector("#updated")?.textContent !== w, was);
      expect(await page.locator("#keep-calls").inputValue()).toBe("45");
      expect((await adminCall(worker.url, "GET", "/v1/account", key)).json.callRetentionDays).toBe(45);
    });
  });

  it("Check the connection asks the API and shows its answer: with no ad platform set, what to do", async () => {
    const acct = await adminCall(worker.url, "POST", "/v1/accounts", OPERATOR_TOKEN, { name: "Checker", allowedOrigins: [] });
    await withDashboard(acct.json.adminKey, async (s) => {
      const { page } = s;
      await loaded(page);
      expect(await page.locator("#conv-checked").isHidden()).toBe(true);
      // Its answer is announced where it appears (focus stays on the button).
      expect(await page.locator("#conv-checked").getAttribute("aria-live")).toBe("polite");
      const posted = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/v1/account/conversions/check"));
      await page.getByRole("button", { name: "Check the connection" }).click();
      expect((await posted).status()).toBe(409);
      await page.waitForFunction(() => document.querySelector("#conv-checked li.bad")?.textContent?.startsWith("No ad platform is configured"));
      expect(await page.locator("#conv-checked li").allTextContents()).toEqual([
        "No ad platform is configured for this account: set googleAds or microsoftAds with PATCH /v1/account/conversions first",
      ]);
      expect(await page.getByRole("button", { name: "Check the connection" }).isEnabled()).toBe(true);
      expect(await page.locator("#app").isVisible()).toBe(true);
      // The one error logged: the browser's own line for the refused request.
      expect(s.seen.errors).toEqual([expect.stringMatching(/^Failed to load resource: the server responded with a status of 409/)]);
    });
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
    await withDashboard(acct.json.adminKey, async (s) => {
      await s.page.waitForFunction(() => document.querySelectorAll("#numbers tbody tr").length === 200);
      // By keyboard: the button goes with the last page, the focus to the table's last row.
      await s.page.getByRole("button", { name: "More numbers" }).focus();
      await s.page.keyboard.press("Enter");
      await s.page.waitForFunction(() => document.querySelectorAll("#numbers tbody tr").length === 205);
      expect(await s.page.locator("#numbers tbody tr td:first-child").allTextContents()).toEqual(numbers);
      expect(await s.page.locator("#more").isHidden()).toBe(true);
      expect(await s.page.evaluate(() => document.activeElement === document.querySelector("#numbers tbody tr:last-child"))).toBe(true);
      // The pools reloading (the minute's reload; here a change of the chart's range) keeps the rows paged in.
      const reloaded = s.page.waitForResponse((r) => r.url().includes("/v1/pools/big/numbers"));
      await s.page.locator("[data-range=week]").click();
      await (await reloaded).finished();
      // The page's handlers run after the network's: two animation frames pass them.
      await s.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      expect(await s.page.locator("#numbers tbody tr td:first-child").allTextContents()).toEqual(numbers);
      expect(s.seen.errors).toEqual([]);
    });
  });

  it("keeps every number paged in past the API's 1,000 a request when the pools reload, each once", async () => {
    const acct = await adminCall(worker.url, "POST", "/v1/accounts", OPERATOR_TOKEN, { name: "Bigger", allowedOrigins: [] });
    const numbers = Array.from({ length: 1205 }, (_, i) => `+1${8445560000 + i}`);
    const pool = await adminCall(worker.url, "POST", "/v1/pools", acct.json.adminKey, {
      id: "huge",
      name: "Huge pool",
      trackingNumbers: numbers,
      destinations: ["+18005550100"],
    });
    expect(pool.status).toBe(201);
    await withDashboard(acct.json.adminKey, async (s) => {
      const { page } = s;
      const rowsAre = (n: number) => page.waitForFunction((k) => document.querySelectorAll("#numbers tbody tr").length === k, n);
      await rowsAre(200);
      for (const n of [400, 600, 800, 1000, 1200, 1205]) {
        await page.getByRole("button", { name: "More numbers" }).click();
        await rowsAre(n);
      }
      expect(await page.locator("#more").isHidden()).toBe(true);
      // The pools reload (the minute's reload; here a change of the chart's range): wait until the rows are drawn afresh.
      await page.evaluate(() => document.querySelector("#numbers tbody tr")?.setAttribute("data-before", ""));
      const asked = s.seen.requests.length;
      await page.locator("[data-range=week]").click();
      await page.waitForFunction(() => !document.querySelector("#numbers tbody tr[data-before]"));
      expect(await page.locator("#numbers tbody tr td:first-child").allTextContents()).toEqual(numbers);
      expect(await page.locator("#more").isHidden()).toBe(true);
      // In pages of at most the API's 1,000, each after the last one's cursor.
      const pages = s.seen.requests
        .slice(asked)
        .map((r) => new URL(r.url))
        .filter((u) => u.pathname === "/v1/pools/huge/numbers")
        .map((u) => [u.searchParams.get("limit"), u.searchParams.has("cursor")]);
      expect(pages).toEqual([
        ["1000", false],
        ["205", true],
      ]);
      expect(s.seen.errors).toEqual([]);
    });
  });
});

describe("the dashboard, an erasure request", () => {
  it("erases every call from a caller from the call's detail, after a confirmation, and lists the calls without them", async () => {
    const voice = await adminCall(worker.url, "GET", "/v1/account/voice", DEMO_ADMIN_KEY);
    const r = await fetch(voice.json.callbackUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ callId: "e2e-dash-erase", callerNo: "+14155550177", calledNo: early, startTime: Date.now() }),
    });
    expect(r.status).toBe(200);
    await withDashboard(DEMO_ADMIN_KEY, async (s) => {
      const { page } = s;
      await loaded(page);
      const before = (await cells(page, "#calls")).length;
      await page.evaluate(() => {
        location.hash = "#call/e2e-dash-erase";
      });
      const erase = page.getByRole("button", { name: "Erase every call from +14155550177" });
      // Declined: nothing is erased.
      page.once("dialog", (d) => void d.dismiss());
      await erase.click();
      expect((await adminCall(worker.url, "GET", "/v1/calls/e2e-dash-erase", DEMO_ADMIN_KEY)).status).toBe(200);
      page.once("dialog", (d) => {
        expect(d.message()).toContain("+14155550177");
        void d.accept();
      });
      await erase.click();
      await page.waitForFunction(() => document.querySelector("#dbody")?.textContent === "Erased 1 call from +14155550177.");
      // The Erase button went with the detail's body: the focus is on the detail's title, not the page.
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("dtitle");
      await page.waitForFunction((n) => document.querySelectorAll("#calls tbody tr").length === n, before - 1);
      expect((await adminCall(worker.url, "GET", "/v1/calls/e2e-dash-erase", DEMO_ADMIN_KEY)).status).toBe(404);
      // The other caller's calls stay.
      expect((await adminCall(worker.url, "GET", "/v1/calls/e2e-dash-spring", DEMO_ADMIN_KEY)).status).toBe(200);
      expect(s.seen.errors).toEqual([]);
      expect(await s.seen.cspViolations()).toEqual([]);
    });
  });
});

describe("the dashboard, slow and failing answers", () => {
  it("offers Sign out when the first load fails, so the key can be changed", async () => {
    const ctx = await chrome.newContext();
    const page = await ctx.newPage();
    try {
      await page.route("**/v1/account", (r) =>
        r.fulfill({ status: 503, contentType: "application/json", body: '{"error":{"code":"unavailable","message":"Down"}}' }),
      );
      await page.goto(`${worker.url}/dashboard`);
      await page.locator("#key").fill(DEMO_ADMIN_KEY);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("alert").waitFor();
      const out = page.getByRole("button", { name: "Sign out" });
      expect(await out.isVisible()).toBe(true);
      await out.click();
      await page.locator("#key").waitFor();
      expect(await page.locator("#app").isHidden()).toBe(true);
    } finally {
      await ctx.close();
    }
  });

  it("a range chosen that loads clears the failure an earlier choice left", async () => {
    await withDashboard(DEMO_ADMIN_KEY, async (s) => {
      const { page } = s;
      await loaded(page);
      // 30 days' calls fail once (the network drops), then load.
      await failOnce(page, (u) => u.pathname.startsWith("/v1/calls") && Date.parse(u.searchParams.get("from") ?? "") < Date.now() - 20 * DAY);
      const alert = page.getByRole("alert");
      await preset(page, "30 days").click();
      await alert.waitFor();
      await preset(page, "7 days").click();
      await alert.waitFor({ state: "hidden" });
      await preset(page, "30 days").click();
      await page.waitForFunction(() => document.querySelector("#presets [aria-pressed=true]")?.textContent === "30 days");
      expect(await alert.isHidden()).toBe(true);
    });
  });

  it("a load of the calls leaves the pools' failure said; the pools loading again clears it", async () => {
    await withDashboard(DEMO_ADMIN_KEY, async (s) => {
      const { page } = s;
      await loaded(page);
      // The week's utilization fails once.
      await failOnce(page, (u) => u.pathname.endsWith("/health") && u.searchParams.get("minutes") === "10080");
      const alert = page.getByRole("alert");
      await page.locator("[data-range=week]").click();
      await alert.waitFor();
      // Another range's calls load: the pools are still as they failed, and the page still says so.
      const calls = page.waitForResponse((r) => r.url().includes("/v1/calls/stats") || r.url().includes("/v1/calls?"));
      await preset(page, "7 days").click();
      await (await calls).finished();
      await page.waitForFunction(() => document.querySelector("#presets [aria-pressed=true]")?.textContent === "7 days");
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      expect(await alert.isVisible()).toBe(true);
      await page.locator("[data-range=week]").click();
      await alert.waitFor({ state: "hidden" });
    });
  });

  it("a reload while replaceAll is being saved leaves the box saving; the save's answer then shows", async () => {
    const acct = await adminCall(worker.url, "POST", "/v1/accounts", OPERATOR_TOKEN, { name: "Swap all, slowly", allowedOrigins: [] });
    const key: string = acct.json.adminKey;
    const pool = { id: "one", name: "One destination", trackingNumbers: ["+18445550110"], destinations: ["+18005550100"], isDefault: true };
    expect((await adminCall(worker.url, "POST", "/v1/pools", key, pool)).status).toBe(201);
    await withDashboard(key, async (s) => {
      const { page } = s;
      await loaded(page);
      const noteIs = (text: string) => page.waitForFunction((t) => document.querySelector("#replace-note")?.textContent === t, text);
      await noteIs("Off: only the destination +18005550100 is swapped.");
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      await page.route("**/v1/pools/one", async (r) => {
        if (r.request().method() !== "PATCH") return r.continue();
        await held;
        await r.continue();
      });
      const box = page.locator("#replace-all");
      await box.click();
      await noteIs("Saving…");
      // The pools load again (another chart range) and answer before the save does.
      const pools = page.waitForResponse((r) => r.url().includes("/v1/pools?") || r.url().endsWith("/v1/pools"));
      await page.locator("[data-range=week]").click();
      await (await pools).finished();
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      expect(await page.locator("#replace-note").textContent()).toBe("Saving…");
      expect(await box.getAttribute("aria-disabled")).toBe("true");
      expect(await box.isChecked()).toBe(true);
      release();
      await noteIs("On: every phone number on the page becomes the visitor's number (calls go to +18005550100).");
      expect(s.seen.requests.filter((r) => r.method === "PATCH")).toHaveLength(1);
    });
  });

  it("shows the range and chart range chosen last, though an earlier choice's answer comes after it", async () => {
    await withDashboard(DEMO_ADMIN_KEY, async (s) => {
      const { page } = s;
      await loaded(page);
      // 30 days' and 7 days' utilization answer late (1.5 s); today's and 24 h's at once.
      const month = await lateRoute(page, (u) => u.pathname.startsWith("/v1/") && Date.parse(u.searchParams.get("from") ?? "") < Date.now() - 20 * DAY, 1500);
      const week = await lateRoute(page, (u) => u.pathname.endsWith("/health") && u.searchParams.get("minutes") === "10080", 1500);
      await preset(page, "30 days").click();
      await preset(page, "Today").click();
      await page.locator("[data-range=week]").click();
      await page.locator("[data-range=day]").click();
      await month.settled();
      await week.settled();
      const todayLabel = await page.evaluate(() => new Date().toLocaleDateString([], { month: "short", day: "numeric", year: "numeric" }));
      expect(await page.locator("#rlabel").textContent()).toBe(todayLabel);
      expect(await tiles(page)).toMatchObject({ Calls: "2" });
      expect(await page.locator("#ulegend").textContent()).toContain("last 24 h");
      expect(s.seen.errors).toEqual([]);
    });
  });

  it("says nothing of an earlier choice's load that fails after a later choice has loaded", async () => {
    await withDashboard(DEMO_ADMIN_KEY, async (s) => {
      const { page } = s;
      await loaded(page);
      // 30 days' loads and 7 days' utilization fail late (1.5 s, no answer); today's and 24 h's answer at once.
      const month = await lateRoute(
        page,
        (u) => u.pathname.startsWith("/v1/") && Date.parse(u.searchParams.get("from") ?? "") < Date.now() - 20 * DAY,
        1500,
        true,
      );
      const week = await lateRoute(page, (u) => u.pathname.endsWith("/health") && u.searchParams.get("minutes") === "10080", 1500, true);
      await preset(page, "30 days").click();
      await preset(page, "Today").click();
      await page.locator("[data-range=week]").click();
      await page.locator("[data-range=day]").click();
      await month.settled();
      await week.settled();
      expect(await page.locator("#failure").isVisible()).toBe(false);
      expect(await tiles(page)).toMatchObject({ Calls: "2" });
      expect((await pressedButtons(page)).on).toEqual(expect.arrayContaining(["Today", "24 h"]));
      expect(await page.locator("#ulegend").textContent()).toContain("last 24 h");
    });
  });

  it("says nothing of a pool's numbers or orders that fail after another pool was chosen", async () => {
    await withDashboard(DEMO_ADMIN_KEY, async (s) => {
      const { page } = s;
      await loaded(page);
      const first = await page.locator(".pool.sel").textContent();
      // The newsletter pool's numbers and orders fail late (1.5 s, no answer).
      const email = await lateRoute(page, (u) => u.pathname === "/v1/pools/demo-email/numbers" || u.searchParams.get("pool") === "demo-email", 1500, true);
      await page.getByRole("button", { name: /^Newsletter/ }).click();
      await page
        .locator(".pool", { hasText: first ?? "" })
        .first()
        .click();
      // Its loads were asked, and failed after the other pool was chosen.
      await email.settled();
      expect(await page.locator("#failure").isVisible()).toBe(false);
    });
  });

  it("claims no empty list it has not been given: failing deliveries and uploads unknown while their answer is slow or failed", async () => {
    const ctx = await chrome.newContext();
    const page = await ctx.newPage();
    try {
      await page.route("**/v1/deliveries?*", (r) =>
        r.fulfill({ status: 500, contentType: "application/json", body: '{"error":{"code":"internal","message":"Internal error"}}' }),
      );
      await page.route("**/v1/calls?*", (r) => setTimeout(() => void r.continue(), 3000));
      await page.goto(`${worker.url}/dashboard`);
      await page.locator("#key").fill(DEMO_ADMIN_KEY);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("alert").waitFor();
      expect(await page.locator("#ftext").textContent()).toBe("Could not load: Internal error.");
      // Neither "None: every delivery went through." nor "No uploads yet" while it is not known.
      expect(await page.locator("#deliveries-empty").isVisible()).toBe(false);
      expect(await page.locator("#conv-empty").isVisible()).toBe(false);
      await page.unroute("**/v1/deliveries?*");
      await page.unroute("**/v1/calls?*");
      await page.getByRole("button", { name: "Try again" }).click();
      await page.getByRole("alert").waitFor({ state: "hidden" });
      expect(await page.locator("#conv-empty").isVisible()).toBe(true);
    } finally {
      await ctx.close();
    }
  });

  it("downloads the CSV once while it is being made, however often Download CSV is pressed", async () => {
    await withDashboard(DEMO_ADMIN_KEY, async (s) => {
      const { page } = s;
      await loaded(page);
      const csv = await lateRoute(page, (u) => u.pathname === "/v1/calls.csv", 1500);
      const downloads: string[] = [];
      page.on("download", (d) => downloads.push(d.suggestedFilename()));
      const downloaded = page.waitForEvent("download");
      const button = page.locator("#csv");
      await button.click();
      expect(await button.textContent()).toBe("Preparing the CSV…");
      await button.click({ force: true }); // Playwright would wait: the button says it is disabled (aria-disabled)
      await page.keyboard.press("Enter");
      // The presses came while the first was being made: a second would have been asked by now.
      await downloaded;
      await csv.settled();
      expect(s.seen.requests.filter((r) => r.url.includes("/v1/calls.csv")).length).toBe(1);
      expect(downloads).toHaveLength(1);
      expect(await button.isEnabled()).toBe(true);
    });
  });

  it("says when the server cannot be reached or fails, as an alert, and Try again loads once it answers", async () => {
    await withDashboard(DEMO_ADMIN_KEY, async (s) => {
      const { page } = s;
      await loaded(page);
      const alert = page.getByRole("alert");
      await page.route("**/v1/**", (r) => r.abort("internetdisconnected"));
      await preset(page, "Today").click();
      await alert.waitFor();
      expect(await alert.textContent()).toBe("Could not load: no answer from the server (is this device offline?). Try again");
      await page.unroute("**/v1/**");
      await page.route("**/v1/pools", (r) => r.fulfill({ status: 503, contentType: "text/html", body: "<h1>down</h1>" }));
      await alert.getByRole("button", { name: "Try again" }).click();
      await page.waitForFunction(() => document.querySelector("#ftext")?.textContent === "Could not load: Service Unavailable.");
      await page.unroute("**/v1/pools");
      await alert.getByRole("button", { name: "Try again" }).click();
      await alert.waitFor({ state: "hidden" });
      // The range shown when Today's load failed (7 days, pressed again then).
      expect(await tiles(page)).toMatchObject({ Calls: "3" });
      expect(await page.locator("#app").isVisible()).toBe(true);
    });
  });

  it("the minute's reload gives the keyboard's focus back to the pool card, call link or Redeliver button it was on", async () => {
    await withDashboard(DEMO_ADMIN_KEY, async (s) => {
      const { page } = s;
      await loaded(page);
      await page.clock.install();
      await page.reload();
      await loaded(page);
      const focused = () =>
        page.evaluate(() => {
          const a = document.activeElement as HTMLElement | null;
          return a ? { tag: a.tagName, id: a.dataset.id ?? a.getAttribute("href") ?? "", connected: a.isConnected } : null;
        });
      for (const selector of ["#pools .pool", "#calls tbody a", "#deliveries tbody button.redeliver"]) {
        const target = page.locator(selector).last();
        if (!(await target.count())) continue;
        await target.focus();
        const before = await focused();
        const was = await page.locator("#updated").textContent();
        await page.clock.fastForward(60_000);
        await page.waitForFunction((w) => document.querySelector("#updated")?.textContent !== w, was);
        // The control was drawn anew; the focus is on the new one, not on the page.
        expect(await focused(), selector).toEqual(before);
      }
      // At least the pool cards and the calls' links were there to check.
      expect(await page.locator("#pools .pool").count()).toBeGreaterThan(0);
      expect(await page.locator("#calls tbody a").count()).toBeGreaterThan(0);
    });
  });

  it("a slow minute's reload that goes through after a later one failed leaves that failure said", async () => {
    await withDashboard(DEMO_ADMIN_KEY, async (s) => {
      const { page } = s;
      await loaded(page);
      // The page's timers on a clock the test moves (started afresh on it; the key stays in the tab).
      await page.clock.install();
      await page.reload();
      await loaded(page);
      const before = await page.locator("#updated").textContent();
      // The next minute's reload hangs on the pools list (its other requests answered)…
      const held: Route[] = [];
      await page.route("**/v1/pools", (r) => void held.push(r));
      const answered = page.waitForResponse((r) => new URL(r.url()).pathname === "/v1/account/conversions");
      await page.clock.fastForward(60_000);
      await answered;
      await expect.poll(() => held.length).toBeGreaterThan(0);
      // …the one after it fails…
      await page.route("**/v1/account/conversions", (r) =>
        r.fulfill({ status: 500, contentType: "application/json", body: '{"error":{"code":"internal","message":"Internal error"}}' }),
      );
      await page.clock.fastForward(60_000);
      await page.waitForFunction(() => document.querySelector("#ftext")?.textContent === "Could not load: Internal error.");
      // …and the slow one then goes through: its figures are drawn, the later failure stays said.
      await page.unroute("**/v1/pools");
      for (const r of held) await r.continue();
      await page.waitForFunction((was) => document.querySelector("#updated")?.textContent !== was, before);
      expect(await page.locator("#failure").isVisible()).toBe(true);
      expect(await page.locator("#ftext").textContent()).toBe("Could not load: Internal error.");
    });
  });

  it("a range, grouping or chart range whose load fails presses the one shown again, and says why as the other failures do", async () => {
    await withDashboard(DEMO_ADMIN_KEY, async (s) => {
      const { page } = s;
      await loaded(page);
      await page.waitForFunction(() => document.querySelector(".pool.sel"));
      const failure = page.locator("#failure");
      const shown = ["24 h", "7 days", "Source", "Website visitors"];
      const pressed = async () => (await pressedButtons(page)).on.sort();
      expect(await pressed()).toEqual(shown);
      const label = await page.locator("#rlabel").textContent();

      // Offline: Today's and 7 days' (the chart's) loads get no answer.
      await page.route("**/v1/**", (r) => r.abort("internetdisconnected"));
      await preset(page, "Today").click();
      await failure.waitFor();
      expect(await failure.textContent()).toBe("Could not load: no answer from the server (is this device offline?). Try again");
      await expect.poll(pressed).toEqual(shown);
      expect(await page.locator("#rlabel").textContent()).toBe(label);
      expect(await tiles(page)).toMatchObject({ Calls: "3" });
      await page.locator("[data-range=week]").click();
      await expect.poll(pressed).toEqual(shown);
      expect(await page.locator("#ulegend").textContent()).toContain("last 24 h");

      // A request error: the grouping's load answered 500.
      await page.route("**/v1/stats/calls?*", (r) =>
        r.fulfill({ status: 500, contentType: "application/json", body: '{"error":{"code":"internal","message":"Internal error"}}' }),
      );
      await page.getByRole("button", { name: "Campaign" }).click();
      await page.waitForFunction(() => document.querySelector("#ftext")?.textContent === "Could not load: Internal error.");
      await expect.poll(pressed).toEqual(shown);
      expect(await page.locator("#ghead").textContent()).toBe("Source");

      // Custom dates whose Show fails: Custom stays pressed (as it was before Show) with its form and the dates typed; the figures are 7 days'.
      await preset(page, "Custom").click();
      await page.locator("#cfrom").fill("2031-01-05");
      await page.locator("#cto").fill("2031-01-11");
      await page.getByRole("button", { name: "Show" }).click();
      await expect.poll(pressed).toEqual(["24 h", "Custom", "Source", "Website visitors"]);
      expect(await page.locator("#custom").isVisible()).toBe(true);
      expect(await page.locator("#cfrom").inputValue()).toBe("2031-01-05");
      expect(await page.locator("#rlabel").textContent()).toBe(label);

      // Back online: Try again loads the range shown; a range chosen then is shown and pressed.
      await page.unrouteAll();
      await failure.getByRole("button", { name: "Try again" }).click();
      await failure.waitFor({ state: "hidden" });
      expect(await tiles(page)).toMatchObject({ Calls: "3" });
      expect(await page.locator("#rlabel").textContent()).toBe(label);
      await preset(page, "Today").click();
      await page.waitForFunction(() => document.querySelectorAll("#calls tbody tr").length === 2);
      expect(await pressed()).toEqual(["24 h", "Source", "Today", "Website visitors"]);
    });
  });
});

describe("the dashboard to a screen reader and a keyboard", () => {
  it("says which range, grouping, chart range and pool are chosen (pressed), not by colour alone", async () => {
    await withDashboard(DEMO_ADMIN_KEY, async (s) => {
      const { page } = s;
      await loaded(page);
      await page.waitForFunction(() => document.querySelector(".pool.sel"));
      const first = await pressedButtons(page);
      // A pool's card is named by its pool (its figures are its description).
      expect(first.on.sort()).toEqual(["24 h", "7 days", "Source", "Website visitors"]);
      expect(first.off).toEqual(
        expect.arrayContaining(["Today", "30 days", "Custom", "Campaign", "Landing page", "Pool", "7 days", "Newsletter", "Paid search (Google Ads, Bing)"]),
      );
      await preset(page, "Today").click();
      await page.getByRole("button", { name: "Campaign" }).click();
      await page.locator("[data-range=week]").click();
      await page.getByRole("button", { name: /^Newsletter/ }).click();
      await page.waitForFunction(() => document.querySelector("#ntitle")?.textContent === "Numbers — Newsletter");
      const then = await pressedButtons(page);
      expect(then.on).toHaveLength(4);
      expect(then.on).toEqual(expect.arrayContaining(["Today", "Campaign", "Newsletter", "7 days"]));
      // Tabbing onto the selected card shows where the keyboard is, not only the selection's outline.
      await page.locator(".pool.sel").focus();
      await page.keyboard.press("Shift+Tab");
      await page.keyboard.press("Tab");
      const outline = () => page.evaluate(() => [document.activeElement?.classList.contains("sel"), getComputedStyle(document.activeElement!).outlineWidth]);
      expect(await outline()).toEqual([true, "3px"]);
    });
  });

  it("says each chart in words: the calls of each day, each pool's peak share", async () => {
    await withDashboard(DEMO_ADMIN_KEY, async (s) => {
      const { page } = s;
      await loaded(page);
      const day = (ms: number) => new Date(ms).toLocaleDateString("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
      const calls = (await axTree(page)).find((n) => n.role === "image" && n.name.startsWith("Calls per day"));
      expect(calls?.name).toContain(`${day(Date.now() - 2 * DAY)}, 1 call, none attributed; ${day(Date.now())}, 2 calls, 2 attributed; no calls on the other`);
      const pools = (await axTree(page)).find((n) => n.role === "image" && n.name.startsWith("Share of each pool"));
      expect(pools?.name).toMatch(
        /^Share of each pool's numbers leased at the peak, last 24 h, peak of each 5 minutes: .*Newsletter highest 80 %, latest 80 %/,
      );
    });
  });
});

describe("the dashboard's structure to a screen reader", () => {
  it("names every table and column, every Redeliver button by what it sends, and its headings go level by level", async () => {
    await withDashboard(DEMO_ADMIN_KEY, async (s) => {
      const { page } = s;
      await loaded(page);
      await page.waitForFunction(() => document.querySelector("#deliveries tbody tr"));
      const tree = await axTree(page);
      // The charts' hover legends (tables too) are left to their text alternatives.
      const tables = tree.filter((n) => n.role === "table");
      expect(tables.map((t) => t.name).sort()).toEqual([
        "Ad conversions — recent calls",
        "Calls by Source",
        "Failing deliveries",
        "Numbers — Website visitors",
        "Recent calls",
      ]);
      expect(tree.filter((n) => n.role === "columnheader" && !n.name.trim())).toEqual([]);
      const redeliver = tree.filter((n) => n.role === "button" && n.name.startsWith("Redeliver"));
      expect(redeliver.length).toBeGreaterThan(0);
      for (const b of redeliver) expect(b.name).toMatch(/^Redeliver Call webhook · call(\.\w+)? of call e2e-dash-/);
      // Headings in the page's order (Playwright's snapshot of the same tree): none skips a level.
      const levels = [...(await page.locator("body").ariaSnapshot()).matchAll(/- heading .*\[level=(\d)\]/g)].map((m) => Number(m[1]));
      expect(levels.slice(0, 3)).toEqual([1, 2, 3]);
      for (let i = 1; i < levels.length; i++) expect(levels[i]! - levels[i - 1]!).toBeLessThanOrEqual(1);
    });
  });

  it("names each pool card by its pool alone, its figures the card's description", async () => {
    await withDashboard(DEMO_ADMIN_KEY, async (s) => {
      const { page } = s;
      await loaded(page);
      await page.waitForFunction(() => document.querySelector(".pool.sel"));
      const names = ["Newsletter", "Paid search (Google Ads, Bing)", "Website visitors"];
      // The toggles (ranges, groupings, pool cards): each named in a few words, the cards by their pool.
      const toggles = (await axTree(page)).filter((n) => n.role === "button" && "pressed" in n.props);
      expect(toggles.map((t) => t.name)).toEqual(expect.arrayContaining(names));
      for (const t of toggles) expect(t.name.length).toBeLessThanOrEqual(40);
      const web = toggles.find((t) => t.name === "Website visitors");
      expect(web?.description).toMatch(/^Healthy demo-web · Alerts on, at 80 % full 6 of 20 leased \(30 %\) · 14 free · 7-day peak 6 \d+ allocations/);
      expect(toggles.find((t) => t.name === "Newsletter")?.description).toMatch(/^Near full .* 4 of 5 leased \(80 %\) .* Alert open since /);
      // Found by that name; what it shows (to the eye, and to a screen reader's reading of the page) is unchanged.
      const news = page.getByRole("button", { name: "Newsletter", exact: true });
      expect(await news.count()).toBe(1);
      expect(await news.innerText()).toContain("4 of 5 leased (80 %)");
    });
  });

  it("writes the account's name in the dark header legibly (contrast at least 4.5:1)", async () => {
    await withDashboard(DEMO_ADMIN_KEY, async (s) => {
      await loaded(s.page);
      const ratio = await s.page.evaluate(() => {
        const rgb = (c: string) => (c.match(/\d+/g) ?? []).slice(0, 3).map(Number);
        const lum = (c: string) => {
          const [r, g, b] = rgb(c).map((v) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4));
          return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
        };
        const fg = lum(getComputedStyle(document.querySelector("#who")!).color);
        const bg = lum(getComputedStyle(document.querySelector("header")!).backgroundColor);
        return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      });
      expect(await s.page.locator("#who").textContent()).toBe("Demo");
      expect(ratio).toBeGreaterThanOrEqual(4.5);
    });
  });

  it("describes the key's field by why it was refused", async () => {
    await withDashboard("sk_demo000000000000_wrong-key-wrong-key-wrong-key-wrong", async (s) => {
      await s.page.waitForFunction(() => document.querySelector("#lerr")?.textContent?.startsWith("That key was not accepted: "));
      const field = (await axTree(s.page)).find((n) => n.role === "textbox" && n.name === "Admin key");
      expect(field?.description).toMatch(/^That key was not accepted: \S/);
    });
  });
});

describe("the dashboard by keyboard", () => {
  it("opens a call's detail from the keyboard with the focus on it, and Close brings the focus back to the call", async () => {
    await withDashboard(DEMO_ADMIN_KEY, async (s) => {
      const { page } = s;
      await loaded(page);
      const link = page.locator("#calls tbody a").first();
      const href = await link.getAttribute("href");
      await link.focus();
      await page.keyboard.press("Enter");
      await page.waitForFunction(() => document.querySelector("#dbody dl"));
      const focused = () =>
        page.evaluate(() => [document.activeElement?.id || document.activeElement?.getAttribute("href"), document.activeElement?.textContent]);
      await page.waitForFunction(() => document.activeElement?.id === "dtitle", null, { timeout: 5000 });
      expect((await focused())[1]).toMatch(/^Call /);
      await page.keyboard.press("Tab");
      expect(await focused()).toEqual(["dclose", "Close"]);
      await page.keyboard.press("Enter");
      await page.locator("#detail").waitFor({ state: "hidden" });
      expect((await focused())[0]).toBe(href);
    });
  });
});

describe("the dashboard, a call's detail", () => {
  it("shows the call chosen last though an earlier one's answer comes after it; an erasure that fails says so there; a refused key signs out", async () => {
    await withDashboard(DEMO_ADMIN_KEY, async (s) => {
      const { page } = s;
      await loaded(page);
      // The first call's answer held back until the second is shown.
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      await page.route("**/v1/calls/e2e-dash-news", async (r) => {
        await held;
        await r.continue();
      });
      await page.evaluate(() => {
        location.hash = "#call/e2e-dash-news";
      });
      await page.evaluate(() => {
        location.hash = "#call/e2e-dash-spring";
      });
      await page.waitForFunction(() => document.querySelector("#dbody")?.textContent?.includes("e2e-dash-spring"));
      const answered = page.waitForResponse("**/v1/calls/e2e-dash-news");
      release();
      await answered;
      // One more turn of the page's tasks, then: still the call chosen last.
      await page.evaluate(() => new Promise((r) => setTimeout(r, 50)));
      expect(await page.locator("#dbody").textContent()).toContain("e2e-dash-spring");
      expect(await page.locator("#dbody").textContent()).not.toContain("e2e-dash-news");

      // An erasure the server fails: said in the detail, not as a load failure, nothing left "Erasing…".
      await page.route("**/v1/calls/erase", (r) =>
        r.fulfill({ status: 500, contentType: "application/json", body: JSON.stringify({ error: { code: "internal_error", message: "Internal error" } }) }),
      );
      page.once("dialog", (d) => void d.accept());
      await page.getByRole("button", { name: /^Erase every call from / }).click();
      await page.waitForFunction(() => document.querySelector("#dbody")?.textContent?.includes("did not finish"));
      expect(await page.locator("#dbody").textContent()).toMatch(
        /^The erasure of calls from \+1310\d+ did not finish: Internal error\. Erase again to go on\.$/,
      );
      expect(await page.locator("#failure").isHidden()).toBe(true);

      // The key revoked meanwhile: opening a call signs out.
      await page.route("**/v1/calls/e2e-dash-early", (r) =>
        r.fulfill({ status: 401, contentType: "application/json", body: JSON.stringify({ error: { code: "unauthorized", message: "Unknown admin key" } }) }),
      );
      await Promise.all([
        page.waitForEvent("load"),
        page.evaluate(() => {
          location.hash = "#call/e2e-dash-early";
        }),
      ]);
      await page.locator("#login").waitFor();
      await page.waitForFunction(() => document.querySelector("#lerr")?.textContent?.startsWith("That key was not accepted: "));
    });
  });
});

describe("the dashboard, signing out", () => {
  it("leaves nothing of the account on the page, so the next sign-in (a wrong key too) never shows it", async () => {
    await withDashboard(DEMO_ADMIN_KEY, async (s) => {
      const { page } = s;
      await loaded(page);
      await page.evaluate(() => {
        location.hash = "#call/e2e-dash-spring";
      });
      await page.waitForFunction(() => document.querySelector("#dbody dl"));
      // Signing out starts the page afresh: wait for that load.
      await Promise.all([page.waitForEvent("load"), page.locator("#out").click()]);
      await page.locator("#login").waitFor();
      const left = () =>
        page.evaluate(() => ({
          hash: location.hash,
          calls: document.querySelectorAll("#calls tbody tr").length,
          pools: document.querySelectorAll("#pools .pool").length,
          detail: document.querySelector("#dbody")?.textContent,
          tag: document.querySelector("#tag")?.textContent,
        }));
      expect(await left()).toEqual({ hash: "", calls: 0, pools: 0, detail: "", tag: "" });
      await page.locator("#key").fill("sk_demo000000000000_wrong-key-wrong-key-wrong-key-wrong");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForFunction(() => document.querySelector("#lerr")?.textContent?.startsWith("That key was not accepted: "));
      expect(await left()).toEqual({ hash: "", calls: 0, pools: 0, detail: "", tag: "" });
      expect(s.seen.errors.filter((e) => !e.includes("401"))).toEqual([]);
    });
  });

  it("a key refused on Redeliver (revoked meanwhile) signs out, as a load's refusal does", async () => {
    await withDashboard(DEMO_ADMIN_KEY, async (s) => {
      const { page } = s;
      await loaded(page);
      const button = page.locator("#deliveries tbody tr button.redeliver").first();
      await button.waitFor();
      await page.route("**/v1/deliveries/*/redeliver", (r) =>
        r.fulfill({ status: 401, contentType: "application/json", body: JSON.stringify({ error: { code: "unauthorized", message: "Unknown admin key" } }) }),
      );
      await Promise.all([page.waitForEvent("load"), button.click()]);
      await page.locator("#login").waitFor();
      await page.waitForFunction(() => document.querySelector("#lerr")?.textContent?.startsWith("That key was not accepted: "));
      expect(await page.locator("#pools .pool").count()).toBe(0);
    });
  });
});

describe("the dashboard, each ad platform's setting", () => {
  /** The status list's items as their text, in order. */
  const statusLines = (page: Page) => page.locator("#conv-status li").allTextContents();

  it("says which platforms are set up and uploading, with Google's diagnostics, follows the minute's reload, and fails as the other loads do", async () => {
    const set = await adminCall(worker.url, "PATCH", "/v1/account/conversions", DEMO_ADMIN_KEY, { googleAds: DM_SETTINGS, microsoftAds: MS_SETTINGS });
    expect(set.status).toBe(200);
    try {
      await withDashboard(DEMO_ADMIN_KEY, async (s) => {
        const { page } = s;
        await loaded(page);
        // The page's timers run on a clock the test moves: started afresh on it (the key stays in the tab).
        await page.clock.install();
        await page.reload();
        await loaded(page);
        await page.waitForFunction(() => document.querySelectorAll("#conv-status li").length === 2);
        expect(await statusLines(page)).toEqual(["Google Ads (Data Manager API): uploadingNo diagnostics pending.", "Microsoft Ads: uploading"]);
        // To a screen reader: a named list of two items, the state in words (not only the colour of the platform's name).
        expect(await page.getByRole("list", { name: "Ad platforms" }).getByRole("listitem").allTextContents()).toEqual(await statusLines(page));

        // Microsoft's setting removed: the minute's reload says so.
        expect((await adminCall(worker.url, "PATCH", "/v1/account/conversions", DEMO_ADMIN_KEY, { microsoftAds: null })).status).toBe(200);
        const asked = page.waitForRequest((r) => new URL(r.url()).pathname === "/v1/account/conversions");
        await page.clock.fastForward(60_000);
        await asked;
        await page.waitForFunction(() => document.querySelector("#conv-status [data-platform=microsoft_ads]")?.textContent === "Microsoft Ads: not set up");
        expect(await statusLines(page)).toEqual(["Google Ads (Data Manager API): uploadingNo diagnostics pending.", "Microsoft Ads: not set up"]);

        // Its load failing: the alert, as for the other loads (the lines shown stay); a refused key signs out.
        await page.route("**/v1/account/conversions", (r) =>
          r.fulfill({ status: 500, contentType: "application/json", body: '{"error":{"code":"internal","message":"Internal error"}}' }),
        );
        await page.clock.fastForward(60_000);
        await page.waitForFunction(() => document.querySelector("#ftext")?.textContent === "Could not load: Internal error.");
        expect(await page.getByRole("alert").isVisible()).toBe(true);
        expect(await statusLines(page)).toEqual(["Google Ads (Data Manager API): uploadingNo diagnostics pending.", "Microsoft Ads: not set up"]);
        await page.unroute("**/v1/account/conversions");
        await page.route("**/v1/account/conversions", (r) =>
          r.fulfill({ status: 401, contentType: "application/json", body: JSON.stringify({ error: { code: "unauthorized", message: "Unknown admin key" } }) }),
        );
        await Promise.all([page.waitForEvent("load"), page.clock.fastForward(60_000)]);
        await page.waitForFunction(() => document.querySelector("#lerr")?.textContent?.startsWith("That key was not accepted: "));
        expect(await page.locator("#conv-status li").count()).toBe(0);
      });
    } finally {
      await adminCall(worker.url, "PATCH", "/v1/account/conversions", DEMO_ADMIN_KEY, { googleAds: null, microsoftAds: null });
    }
  });

  it("says when a platform's uploads are paused, since when and why, and that new credentials resume them", async () => {
    // A worker of its own, whose SECRETS_KEY is replaced without the old key: the stored credentials no
    // longer open, so the next upload is refused as a refused token refresh is (auth_failed). (A refused
    // refresh itself needs Google's token endpoint, which no test reaches.)
    const own = await startWorker({ demo: true });
    try {
      const settings = { googleAds: DM_SETTINGS, rules: { consent: "not_denied" } };
      expect((await adminCall(own.url, "PATCH", "/v1/account/conversions", DEMO_ADMIN_KEY, settings)).status).toBe(200);
      await own.restart({ SECRETS_KEY: "other:ERERERERERERERERERERERERERERERERERERERERERE=" });
      // A call from a Google ad click, answered 95 s: its upload finds the credentials unusable.
      const number = await visit("google-ads", ["demo-ads"], `${own.url}/pricing?gclid=e2e-paused`, own.url);
      const voice = await adminCall(own.url, "GET", "/v1/account/voice", DEMO_ADMIN_KEY);
      await ring(voice.json.callbackUrl, "e2e-dash-paused", number, Date.now());
      const status = await fetch(`${voice.json.callbackUrl}/status`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ callId: "e2e-dash-paused", status: "completed", duration: 95 }),
      });
      expect(status.status).toBe(200);
      // The upload goes once the call has settled (COMPLETED_SETTLE_MS, 10 s).
      const auth = async () => (await adminCall(own.url, "GET", "/v1/account/conversions", DEMO_ADMIN_KEY)).json.googleAds.auth;
      await expect.poll(async () => (await auth()).state, { timeout: 30_000, interval: 500 }).toBe("auth_failed");
      const { reason, since } = await auth();
      expect(reason).toBe("the stored credentials do not open with SECRETS_KEY");

      await withDashboard({ key: DEMO_ADMIN_KEY, base: own.url }, async (s) => {
        const { page } = s;
        await loaded(page);
        await page.waitForFunction(() => document.querySelectorAll("#conv-status li").length === 2);
        const date = await page.evaluate((ms) => new Date(ms).toLocaleString(), since);
        expect(await statusLines(page)).toEqual([
          `Google Ads (Data Manager API): uploads paused since ${date}: the stored credentials do not open with SECRETS_KEY — set new credentials to resume` +
            "No diagnostics pending.",
          "Microsoft Ads: not set up",
        ]);
        expect(await page.locator("#conv-status [data-platform=google_ads]").getAttribute("class")).toBe("bad");
        // The call's upload waits, paused, with the same reason.
        await page.waitForFunction(() => document.querySelector("#conversions tbody tr"));
        expect((await cells(page, "#conversions"))[0]!.slice(1, 4)).toEqual(["e2e-dash-paused", "Google Ads", "pending"]);

        // New credentials (sealed with the key now in use): uploading again.
        const renewed = await adminCall(own.url, "PATCH", "/v1/account/conversions", DEMO_ADMIN_KEY, { googleAds: DM_SETTINGS });
        expect(renewed.status).toBe(200);
        expect(renewed.json.googleAds.auth.state).toBe("ok");
        await page.reload();
        await loaded(page);
        await page.waitForFunction(() => document.querySelector("#conv-status [data-platform=google_ads]")?.textContent?.includes("uploading"));
        expect(await statusLines(page)).toEqual(["Google Ads (Data Manager API): uploadingNo diagnostics pending.", "Microsoft Ads: not set up"]);
      });
    } finally {
      await own.stop();
    }
  });
});
