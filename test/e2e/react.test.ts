/**
 * The snippet on server-rendered React pages hydrated with hydrateRoot (Next.js and friends), with
 * real React 18 and 19 (production builds, bundled here by esbuild; the HTML made by
 * react-dom/server): no hydration error on a first and a repeat view, the server DOM kept (React did
 * not render the root again), the numbers swapped once hydrated, an href set by React after
 * hydration swapped, state updates and a client-side route still swapped.
 *
 * The app's script is sent 1.5 s late, so that on a repeat view the snippet (which swaps from its
 * cache at once) runs before React hydrates: the case that broke pages.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccountWithPool, DESKTOP_UA, launchChromium, type RunningWorker, startWorker } from "./harness";
import { newView, ready, us, type View } from "./visit";

const here = join(dirname(fileURLToPath(import.meta.url)), "react");
const VERSIONS = { "18": { react: "react18", "react-dom": "react-dom18" }, "19": {} } as const;
type Version = keyof typeof VERSIONS;

/** The app bundled for a version: the browser's hydrating script and the server's render(). */
async function bundle(v: Version): Promise<{ client: string; html: string }> {
  const common = { bundle: true, write: false, alias: { ...VERSIONS[v] }, define: { "process.env.NODE_ENV": '"production"' }, logLevel: "silent" } as const;
  const [client, server] = await Promise.all([
    build({ ...common, entryPoints: [join(here, "client.mjs")], format: "iife", platform: "browser", minify: true }),
    build({ ...common, entryPoints: [join(here, "server.mjs")], format: "cjs", platform: "node" }),
  ]);
  const file = join(mkdtempSync(join(tmpdir(), "dni-react-")), "server.cjs");
  writeFileSync(file, server.outputFiles[0]!.text);
  const { render } = createRequire(import.meta.url)(file) as { render(): string };
  return { client: client.outputFiles[0]!.text, html: render() };
}

let worker: RunningWorker;
let chrome: Awaited<ReturnType<typeof launchChromium>>;
let site: Server;
let siteUrl: string;
const files: Record<string, { type: string; body: string; delay?: number }> = {};

beforeAll(async () => {
  const [w, c, b18, b19] = await Promise.all([startWorker(), launchChromium(), bundle("18"), bundle("19")]);
  worker = w;
  chrome = c;
  site = createServer((req, res) => {
    const f = files[(req.url ?? "/").split("?")[0]!];
    if (!f) return void res.writeHead(404).end();
    setTimeout(() => res.writeHead(200, { "Content-Type": f.type, "Cache-Control": "no-store" }).end(f.body), f.delay ?? 0);
  });
  await new Promise<void>((r) => site.listen(0, "127.0.0.1", r));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  const { siteKey } = await createAccountWithPool(worker.url, siteUrl, {
    id: "web",
    name: "Website",
    trackingNumbers: Array.from({ length: 10 }, (_, i) => `+${18885550100 + i}`),
    destinations: ["+18005550199"],
    isDefault: true,
  });
  // One allocation first: a cold worker's first answer can take longer than the snippet waits (2 s).
  const warm = await fetch(`${worker.url}/v1/allocate`, {
    method: "POST",
    headers: { Origin: siteUrl, "User-Agent": DESKTOP_UA, "Accept-Language": "en-US" },
    body: JSON.stringify({ key: siteKey, session: "warm-up-session-0001" }),
  });
  expect(warm.status).toBe(200);
  /** A page: the server-rendered app in its root, the snippet async in the head, the app deferred. */
  const page = (v: Version, html: string, root: string, attrs = "") =>
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>React ${v}</title><link rel="icon" href="data:,">` +
    `<script async src="${worker.url}/dni.js" data-key="${siteKey}" ${attrs}></script></head>` +
    `<body><div id="${root}">${html}</div><script>window.serverNode = document.getElementById("a");</script>` +
    `<script defer src="/app${v}.js"></script></body></html>`;
  const html = "text/html; charset=utf-8";
  Object.assign(files, {
    "/app18.js": { type: "text/javascript", body: b18.client, delay: 1500 },
    "/app19.js": { type: "text/javascript", body: b19.client, delay: 1500 },
    // React 18 in a Next.js-style root (#__next): recognised without any setting.
    "/r18": { type: html, body: page("18", b18.html, "__next") },
    // React 19 in a plain #root: the site says so with data-hydrate; anti-flicker on.
    "/r19": { type: html, body: page("19", b19.html, "root", "data-hydrate data-hide") },
  });
}, 60_000);

afterAll(async () => {
  await chrome?.close();
  await worker?.stop();
  await new Promise((r) => site?.close(r));
});

/** Waits until React has hydrated (its effect ran) and the snippet has swapped #a. */
const hydratedAndSwapped = (v: View) =>
  v.page
    .waitForFunction(
      () => document.getElementById("hydrated")?.textContent === "yes" && document.getElementById("a")?.textContent !== "Call (800) 555-0199",
      undefined,
      { timeout: 10_000 },
    )
    .catch(async (e) => {
      // Say what the page shows and logged, not only that it timed out.
      throw new Error(
        `${e}\n${JSON.stringify({ page: await v.page.content(), errors: v.pageErrors, console: v.consoleErrors, warnings: v.warnings, timing: v.allocs.map((r) => r.timing()) })}`,
      );
    });

/** What the page shows, and whether React kept the server's DOM (a mismatch renders the root again). */
const facts = (v: View) =>
  v.page.evaluate(() => ({
    a: document.getElementById("a")!.textContent,
    mixed: document.getElementById("mixed")!.textContent,
    tel: document.getElementById("tel")!.getAttribute("href"),
    kept: (window as any).serverNode === document.getElementById("a"),
    visibility: getComputedStyle(document.getElementById("a")!).visibility,
  }));

describe.each(["18", "19"] as const)("server-rendered React %s, hydrated", (v) => {
  let ctx: BrowserContext;
  beforeAll(async () => {
    ctx = await chrome.newContext();
  });
  afterAll(async () => ctx?.close());

  it("first view, repeat view and a client-side route: numbers swapped, no hydration error, server DOM kept", async () => {
    // First view: the number comes from the worker.
    const first = await newView(ctx);
    const answered = first.page.waitForResponse((r) => r.url().endsWith("/v1/allocate"));
    await first.page.goto(`${siteUrl}/r${v}`, { waitUntil: "commit" });
    const t = (await (await answered).json()).pools[0].number;
    await hydratedAndSwapped(first);
    await first.page.waitForFunction((href) => document.getElementById("tel")!.getAttribute("href") === href, `tel:${t.e164}`);
    const shown = us(t.nsn).paren;
    expect(await facts(first)).toEqual({
      a: `Call ${shown}`,
      mixed: `Sales: ${shown} or write to us`,
      tel: `tel:${t.e164}`,
      kept: true,
      visibility: "visible",
    });

    // Repeat view: the snippet has the number at once (cache, no request) but waits for hydration.
    const again = await newView(ctx);
    // Not waiting for the load event: it waits for the app's (late) script.
    await again.page.goto(`${siteUrl}/r${v}`, { waitUntil: "commit" });
    await ready(again.page);
    const before = await again.page.evaluate(() => ({
      hydrated: document.getElementById("hydrated")!.textContent,
      a: document.getElementById("a")!.textContent,
      visibility: getComputedStyle(document.getElementById("a")!).visibility,
    }));
    // The app's script is 1.5 s late: React has not hydrated, and the server's text is untouched
    // (hidden meanwhile where data-hide is set).
    expect(before).toEqual({ hydrated: "no", a: "Call (800) 555-0199", visibility: v === "19" ? "hidden" : "visible" });
    await hydratedAndSwapped(again);
    await again.page.waitForFunction((href) => document.getElementById("tel")!.getAttribute("href") === href, `tel:${t.e164}`);
    expect(await facts(again)).toEqual({
      a: `Call ${shown}`,
      mixed: `Sales: ${shown} or write to us`,
      tel: `tel:${t.e164}`,
      kept: true,
      visibility: "visible",
    });
    expect(again.allocs).toHaveLength(0);

    // React still owns the page: a state update re-renders, a client-side route shows a number.
    await again.page.click("#count");
    await again.page.waitForFunction(() => document.getElementById("count")!.textContent === "Clicked 1");
    await again.page.click("#go");
    await again.page.waitForFunction((s) => document.getElementById("contact")?.textContent === `Contact: ${s}`, us(t.nsn).dashes.slice(2));
    expect((await facts(again)).a).toBe(`Call ${shown}`);

    for (const view of [first, again]) {
      expect(view.pageErrors).toEqual([]);
      expect(view.consoleErrors).toEqual([]);
      expect(view.warnings).toEqual([]);
    }
  });
});
