/**
 * The snippet's optional features end to end, in Chromium against `wrangler dev`: data-consent
 * (denied: storage untouched and no click ids or GA client id sent; granted mid-page; a stub IAB TCF
 * CMP; Google Consent Mode, also its defaults scoped by region), the debug report, one session
 * across two subdomains (data-domain), and a replaceAll pool. Every page loads /dni.js, which loads
 * /dni-full.js for these attributes.
 *
 * The site answers on www.shop.test and app.shop.test (Chromium maps *.shop.test to 127.0.0.1).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { adminCall, createAccountWithPool } from "./harness";
import { answer, body, fetched, href, numberOf, text, us, useSnippetBed, type View } from "./visit";

const US = "+18005550199";
const OFFICE = "+12127365000";
const range = (base: number, n: number) => Array.from({ length: n }, (_, i) => `+${base + i}`);

const bed = useSnippetBed({ chromeArgs: ["--host-resolver-rules=MAP *.shop.test 127.0.0.1"] });
const { open } = bed;
let siteKey: string;
/** http://www.shop.test:port and http://app.shop.test:port: the site under two host names. */
let www: string;
let app: string;

/** A page with the tag (its attributes) after `head` (scripts that must run first: a CMP, gtag, the dni stub). */
const html = (content: string, attrs: string, head = "") => bed.html(content, { key: siteKey, attrs, head, title: "Shop" });

const NUMBERS = `<p id="a">Call (800) 555-0199</p><a id="tel" href="tel:+18005550199">Call us</a>`;
/** The page's own GA cookies (the snippet reads them, never writes them): `_ga` and its GA4 stream's session cookie. */
const GA_COOKIES = ["_ga=GA1.1.987654321.1700000000", "_ga_E2E1234=GS2.1.s1747132561$o1$g0$t1747132655$j0$l0$h0"];
const GA = `<script>${GA_COOKIES.map((c) => `document.cookie = "${c}; path=/";`).join("")}</script>`;
/** What identifies the visitor in those cookies: never sent without analytics consent. */
const GA_IDS = /987654321|1747132561/;
const stub = (...calls: string[]) => `<script>window.dni = window.dni || function () { (dni.q = dni.q || []).push(arguments) };${calls.join(";")}</script>`;
/**
 * A number() call queued before the snippet: it is answered once consent decided (null while
 * denied), so window.decided tells that the snippet has made its decision and done its work.
 */
const DECIDED = 'dni("number", "+18005550199", function (n) { window.decided = n })';
const decided = async (v: View) => {
  await v.page.waitForFunction(() => (window as any).decided !== undefined, undefined, { timeout: 10_000 });
  return v.page.evaluate(() => (window as any).decided);
};

/** gtag: everything denied by default in `regions`, then granted by default everywhere. */
const regionDefaults = (regions: string[]) =>
  `<script>window.dataLayer = window.dataLayer || []; function gtag() { dataLayer.push(arguments) }
    gtag("consent", "default", { ad_storage: "denied", analytics_storage: "denied", region: ${JSON.stringify(regions)} });
    gtag("consent", "default", { ad_storage: "granted", analytics_storage: "granted" });</script>`;

/** Everything the snippet could have stored, as the page sees it. */
const storage = (v: View) => v.page.evaluate(() => ({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie }));
const UNTOUCHED = { local: {}, session: {}, cookie: GA_COOKIES.join("; ") };

beforeAll(async () => {
  const port = new URL(bed.site.url).port;
  www = `http://www.shop.test:${port}`;
  app = `http://app.shop.test:${port}`;
  const acct = await createAccountWithPool(bed.worker.url, `http://*.shop.test:${port}`, {
    id: "web",
    name: "Website",
    trackingNumbers: range(18885550100, 20),
    destinations: [US],
    isDefault: true,
  });
  siteKey = acct.siteKey;
  const all = await adminCall(bed.worker.url, "POST", "/v1/pools", acct.adminKey, {
    id: "all",
    name: "Every number",
    trackingNumbers: range(18775550100, 5),
    destinations: [OFFICE],
    replaceAll: true,
  });
  expect(all.status).toBe(201);
  Object.assign(bed.pages, {
    "/denied": html(NUMBERS, "data-consent", GA + stub('dni("consent", false)', DECIDED)),
    "/anonymous": html(NUMBERS, 'data-consent="anonymous"', GA + stub('dni("consent", false)')),
    "/later": html(NUMBERS, "data-consent", GA),
    "/tcf": html(
      NUMBERS,
      "data-consent",
      // A stub CMP: its UI is up until the test makes the visitor's choice (window.choose).
      `<script>
        window.__tcfapi = function (cmd, v, cb) {
          if (cmd !== "addEventListener") return;
          window.choose = function (consents) { cb({ eventStatus: "useractioncomplete", gdprApplies: true, listenerId: 1, purpose: { consents: consents } }, true) };
          cb({ eventStatus: "cmpuishown", gdprApplies: true, listenerId: 1 }, true);
        };
      </script>`,
    ),
    "/gtag": html(
      NUMBERS,
      "data-consent",
      `<script>window.dataLayer = window.dataLayer || []; function gtag() { dataLayer.push(arguments) }
        gtag("consent", "default", { ad_storage: "denied", analytics_storage: "denied", ad_user_data: "denied", ad_personalization: "denied" });</script>${stub(DECIDED)}`,
    ),
    // Denied in a region, granted everywhere else (the global default pushed after it). wrangler dev
    // locates every caller in Austin, Texas (request.cf's fallback: US, TX).
    "/region-us": html(NUMBERS, 'data-consent="anonymous"', GA + regionDefaults(["US"])),
    "/region-es": html(NUMBERS, "data-consent", GA + regionDefaults(["ES"])),
    "/plain": html(`${NUMBERS}<p>Our office: 212-555-0111</p>`, ""),
    "/sub": html(NUMBERS, 'data-domain="shop.test"'),
    "/all": html(
      `<p id="all-1">Office (212) 736-5000, sales 646-555-0100, support +1 917 555 0123</p>
       <a id="all-tel" href="tel:6465550100">646-555-0100</a>
       <p id="all-not">Total $1,212.55 on 2026-11-25, order #2125550102</p>`,
      'data-pool="all"',
    ),
  });
});

/** Waits for the swap of #a. */
const swapped = (v: View) => v.page.waitForFunction(() => document.querySelector("#a")!.textContent !== "Call (800) 555-0199", undefined, { timeout: 10_000 });

describe("data-consent", () => {
  it("denied: nothing asked, stored or swapped", async () => {
    const v = await open(`${www}/denied?gclid=E2E-secret`);
    expect(await decided(v)).toBeNull();
    expect(await fetched(v)).toBe(0);
    expect(v.allocs).toHaveLength(0);
    expect(await storage(v)).toEqual(UNTOUCHED);
    expect(await text(v, "#a")).toBe("Call (800) 555-0199");
    expect(await href(v, "#tel")).toBe("tel:+18005550199");
  });

  it('denied with data-consent="anonymous": a number, no storage, and the request carries no click id or GA client id', async () => {
    const v = await open(`${www}/anonymous?gclid=E2E-secret&utm_source=google`);
    await swapped(v);
    const n = numberOf(await answer(v), "web");
    expect(await text(v, "#a")).toBe(`Call ${us(n.nsn).paren}`);
    const sent = body(v);
    expect(sent.source).toEqual({
      landing: `${www}/anonymous?gclid=withheld&utm_source=google`,
      referrer: "",
      consent: { adStorage: "denied", analyticsStorage: "denied", adUserData: "denied", adPersonalization: "denied" },
    });
    expect(JSON.stringify(sent)).not.toMatch(/E2E-secret/);
    expect(JSON.stringify(sent)).not.toMatch(GA_IDS);
    expect(await storage(v)).toEqual(UNTOUCHED);
  });

  it("granted mid-page: swapped without a reload, then stored", async () => {
    const v = await open(`${www}/later?gclid=E2E-granted`);
    // With no signal the snippet's last work of its own is the look for a TCF CMP at load.
    await v.page.waitForLoadState("load");
    expect(await fetched(v)).toBe(0);
    expect(v.allocs).toHaveLength(0);
    expect(await storage(v)).toEqual(UNTOUCHED);
    await v.page.evaluate(() => (window as any).dni("consent", true));
    await swapped(v);
    expect(body(v).source).toMatchObject({
      landing: `${www}/later?gclid=E2E-granted`,
      gaClientId: GA_COOKIES,
      consent: { adStorage: "granted" },
    });
    const s = await storage(v);
    expect(JSON.parse(s.local["dni:t"]!)).toBe((await answer(v)).token);
  });

  it("a stub TCF CMP: waits while its UI is up, then follows the visitor's choice", async () => {
    const v = await open(`${www}/tcf`);
    // The snippet has asked the CMP (which then defines choose) and heard that its UI is up.
    await v.page.waitForFunction(() => typeof (window as any).choose === "function");
    expect(await fetched(v)).toBe(0);
    expect(v.allocs).toHaveLength(0);
    await v.page.evaluate(() => (window as any).choose({ 1: true, 7: true }));
    await swapped(v);
    expect(body(v).source?.consent).toEqual({ adStorage: "granted", analyticsStorage: "granted", adUserData: "granted", adPersonalization: "denied" });
  });

  it("Google Consent Mode: the default denies, gtag('consent', 'update', …) grants mid-page", async () => {
    const v = await open(`${www}/gtag`);
    expect(await decided(v)).toBeNull();
    expect(await fetched(v)).toBe(0);
    expect(v.allocs).toHaveLength(0);
    expect(await storage(v)).toEqual({ local: {}, session: {}, cookie: "" });
    await v.page.evaluate(() => (window as any).gtag("consent", "update", { ad_storage: "granted", analytics_storage: "granted" }));
    await swapped(v);
    expect(body(v).source?.consent).toMatchObject({ adStorage: "granted", analyticsStorage: "granted", adUserData: "denied" });
  });
});

describe("Consent Mode defaults scoped by region (the worker locates the visitor: wrangler dev says US-TX)", () => {
  it("denied in the US, granted elsewhere: a visitor in Texas is denied (anonymous: a number, nothing stored, no click id sent)", async () => {
    const v = await bed.view();
    const asked = v.page.waitForResponse((r) => new URL(r.url()).pathname === "/v1/region");
    await v.page.goto(`${www}/region-us?gclid=E2E-region&utm_source=google`);
    expect(await (await asked).json()).toEqual({ country: "US", subdivision: "US-TX" });
    await swapped(v);
    const sent = body(v);
    expect(sent.source?.landing).toBe(`${www}/region-us?gclid=withheld&utm_source=google`);
    expect(sent.source?.consent).toEqual({ adStorage: "denied", analyticsStorage: "denied" });
    expect(JSON.stringify(sent)).not.toMatch(/E2E-region/);
    expect(JSON.stringify(sent)).not.toMatch(GA_IDS);
    expect(await storage(v)).toEqual(UNTOUCHED);
  });

  it("denied in Spain, granted elsewhere: a visitor in Texas is swapped, stored, the click id sent", async () => {
    const v = await open(`${www}/region-es?gclid=E2E-region`);
    await swapped(v);
    expect(body(v).source).toMatchObject({
      landing: `${www}/region-es?gclid=E2E-region`,
      gaClientId: GA_COOKIES,
      consent: { adStorage: "granted", analyticsStorage: "granted" },
    });
    expect(JSON.parse((await storage(v)).local["dni:t"]!)).toBe((await answer(v)).token);
  });
});

describe("debug mode", () => {
  it("?dni_debug=1 on a page with the plain tag: the console says what was asked, the source, the pool, and what was left alone", async () => {
    const v = await bed.view();
    const lines: string[] = [];
    v.page.on("console", (m) => m.type() === "info" && lines.push(m.text()));
    await v.page.goto(`${www}/plain?dni_debug=1`);
    await swapped(v);
    await expect.poll(() => lines.join("\n")).toContain("looks like a phone number but is no destination");
    const log = lines.join("\n");
    expect(log).toMatch(/dni: asking http:\/\/127\.0\.0\.1:\d+\/v1\/allocate for pools/);
    expect(log).toContain('dni: source "direct"');
    expect(log).toMatch(/dni: pool web: number \+1888555\d{4} for \+18005550199/);
    expect(log).toContain('"212-555-0111" looks like a phone number but is no destination of the pools asked: left alone');
  });
});

describe("data-domain", () => {
  it("a visit landing on www. and going on to app. keeps one session and one number", async () => {
    const first = await open(`${www}/sub?gclid=SUB-1`);
    await swapped(first);
    const number = await text(first, "#a");
    const second = await open(`${app}/sub`);
    await swapped(second);
    // The token from the cookie goes with app.'s touch: the worker keeps the session and its first touch.
    expect(body(second).token).toBe((await answer(first)).token);
    expect(body(second).source?.landing).toBe(`${app}/sub`);
    expect((await answer(second)).session).toBe((await answer(first)).session);
    expect(await text(second, "#a")).toBe(number);
    const cookie = await second.page.evaluate(() => document.cookie);
    expect(cookie).toMatch(/(^|; )dni_t=/);
  });
});

describe("replaceAll", () => {
  it("every number on the page becomes the session's number; the price, the date and the id stay", async () => {
    const v = await open(`${www}/all`);
    await v.page.waitForFunction(() => !document.querySelector("#all-1")!.textContent!.includes("736-5000"), undefined, { timeout: 10_000 });
    const n = numberOf(await answer(v), "all");
    const t = us(n.nsn).paren;
    expect(await text(v, "#all-1")).toBe(`Office ${t}, sales ${t}, support ${t}`);
    expect(await href(v, "#all-tel")).toBe(`tel:${n.e164}`);
    expect(await text(v, "#all-tel")).toBe(t);
    expect(await text(v, "#all-not")).toBe("Total $1,212.55 on 2026-11-25, order #2125550102");
  });
});
