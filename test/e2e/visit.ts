/**
 * A page view in Chromium, recorded for the snippet's end-to-end tests: every POST to
 * /v1/allocate (request, body and, once answered, the answer), page errors, console errors and
 * the snippet's warnings.
 */
import type { BrowserContext, Page, Request } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import type { AllocateRequest, AllocateResponse, PhoneParts } from "../../shared/protocol";
import { launchChromium, type RunningWorker, startSite, startWorker } from "./harness";

export interface View {
  page: Page;
  /** Every allocation request this page made, in order. */
  allocs: Request[];
  /** Uncaught exceptions in the page. */
  pageErrors: string[];
  /**
   * console.error messages, without the browser's own network log ("Failed to load resource: …",
   * which Chromium prints for any failed request and which no script can suppress).
   */
  consoleErrors: string[];
  /** console.warn messages (the snippet reports a failure with one, "dni: …"). */
  warnings: string[];
}

const isAlloc = (r: Request) => r.method() === "POST" && new URL(r.url()).pathname === "/v1/allocate";

/** Starts recording on a new page of the context (before anything is loaded). */
export async function newView(context: BrowserContext): Promise<View> {
  const page = await context.newPage();
  // Counts the page's allocation fetches as they are made (synchronously, unlike the request event):
  // fetched() then tells, with no waiting, whether the snippet's work so far asked anything.
  await page.addInitScript(() => {
    const w = window as any;
    const f = w.fetch;
    w.__allocs = 0;
    w.fetch = (...a: any[]) => {
      if (String(a[0]).endsWith("/v1/allocate")) w.__allocs++;
      return f(...a);
    };
  });
  const v: View = { page, allocs: [], pageErrors: [], consoleErrors: [], warnings: [] };
  page.on("request", (r) => isAlloc(r) && v.allocs.push(r));
  page.on("pageerror", (e) => v.pageErrors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) v.consoleErrors.push(m.text());
    if (m.type() === "warning") v.warnings.push(m.text());
  });
  return v;
}

/** Opens url in a new recorded page and waits until the snippet has defined window.dni. */
export async function visit(context: BrowserContext, url: string): Promise<View> {
  const v = await newView(context);
  await v.page.goto(url);
  await ready(v.page);
  return v;
}

/** Waits for the snippet to be installed (its window.dni has number()). */
export const ready = (page: Page) => page.waitForFunction(() => typeof (window as any).dni?.number === "function");

/** The body of the n-th allocation request. */
export const body = (v: View, n = 0): AllocateRequest => JSON.parse(v.allocs[n]!.postData()!);

/** The answer to the n-th allocation request (waits for it). */
export async function answer(v: View, n = 0): Promise<AllocateResponse> {
  const res = await v.allocs[n]!.response();
  if (!res) throw new Error("allocation request failed");
  return (await res.json()) as AllocateResponse;
}

/** The tracking number an answer gives for a pool. */
export const numberOf = (a: AllocateResponse, pool: string): PhoneParts => {
  const n = a.pools.find((p) => p.pool === pool)?.number;
  if (!n) throw new Error(`no number for pool ${pool} in ${JSON.stringify(a)}`);
  return n;
};

export const text = (v: View, sel: string) => v.page.locator(sel).evaluate((e) => e.textContent);
export const href = (v: View, sel: string) => v.page.locator(sel).getAttribute("href");

/** How many allocation fetches the page has made so far (counted in the page, as they are made). */
export const fetched = (v: View): Promise<number> => v.page.evaluate(() => (window as any).__allocs);

/** A NANP number in the usual shapes. */
export const us = (nsn: string) => ({
  paren: `(${nsn.slice(0, 3)}) ${nsn.slice(3, 6)}-${nsn.slice(6)}`,
  dots: `${nsn.slice(0, 3)}.${nsn.slice(3, 6)}.${nsn.slice(6)}`,
  intl: `+1 ${nsn.slice(0, 3)} ${nsn.slice(3, 6)} ${nsn.slice(6)}`,
  dashes: `1-${nsn.slice(0, 3)}-${nsn.slice(3, 6)}-${nsn.slice(6)}`,
});

/** A London (20 xxxx xxxx) number in the usual shapes. */
export const london = (nsn: string) => ({
  intl: `+44 ${nsn.slice(0, 2)} ${nsn.slice(2, 6)} ${nsn.slice(6)}`,
  national: `0${nsn.slice(0, 2)} ${nsn.slice(2, 6)} ${nsn.slice(6)}`,
  intlTrunk: `+44 (0)${nsn.slice(0, 2)} ${nsn.slice(2, 6)} ${nsn.slice(6)}`,
});

export interface SnippetBed {
  readonly worker: RunningWorker;
  readonly site: Awaited<ReturnType<typeof startSite>>;
  readonly chrome: Awaited<ReturnType<typeof launchChromium>>;
  /** The customer's pages by path: filled in by the file's beforeAll (they need the worker's address and the site key). */
  readonly pages: Record<string, string>;
  /** A page of the customer's site with the snippet's tag (async, as pasted) in its head, after `head`. */
  html(content: string, o: { key: string; attrs?: string; head?: string; title?: string }): string;
  /** A new recorded page of this test's visitor, nothing loaded yet. */
  view(): Promise<View>;
  /** Opens url (a path: on the site) in a new recorded page of this test's visitor; waits for window.dni. */
  open(url: string): Promise<View>;
}

/**
 * The snippet's test bed for a file: a `wrangler dev` worker, the customer's site and Chromium,
 * started once (call it before the file's own beforeAll, which then runs after this one's); a fresh
 * browser context per test (a new visitor: empty storage, cache and cookies) whose pages, whatever
 * the test did, must have thrown nothing and logged no console error.
 */
export function useSnippetBed(opts: { chromeArgs?: string[] } = {}): SnippetBed {
  let worker: RunningWorker | undefined;
  let site: SnippetBed["site"] | undefined;
  let chrome: SnippetBed["chrome"] | undefined;
  let ctx: BrowserContext | undefined;
  let views: View[] = [];
  const pages: Record<string, string> = {};
  const started = <T>(x: T | undefined, what: string): T => {
    if (x === undefined) throw new Error(`useSnippetBed: ${what} used before the file's beforeAll`);
    return x;
  };
  beforeAll(async () => {
    [worker, site, chrome] = await Promise.all([startWorker(), startSite(pages), launchChromium(opts.chromeArgs)]);
  });
  afterAll(async () => {
    await chrome?.close();
    await site?.stop();
    await worker?.stop();
  });
  beforeEach(async () => {
    ctx = await started(chrome, "chrome").newContext();
    views = [];
  });
  afterEach(async () => {
    for (const v of views) {
      expect(v.pageErrors, "page errors").toEqual([]);
      expect(v.consoleErrors, "console errors").toEqual([]);
    }
    await ctx?.close();
  });
  const bed: SnippetBed = {
    get worker() {
      return started(worker, "worker");
    },
    get site() {
      return started(site, "site");
    },
    get chrome() {
      return started(chrome, "chrome");
    },
    pages,
    html: (content, o) =>
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${o.title ?? "Acme"}</title><link rel="icon" href="data:,">${o.head ?? ""}` +
      `<script async src="${bed.worker.url}/dni.js" data-key="${o.key}" ${o.attrs ?? ""}></script></head><body>${content}</body></html>`,
    async view() {
      const v = await newView(started(ctx, "context"));
      views.push(v);
      return v;
    },
    async open(url) {
      const v = await bed.view();
      await v.page.goto(url.startsWith("/") ? bed.site.url + url : url);
      await ready(v.page);
      return v;
    },
  };
  return bed;
}
