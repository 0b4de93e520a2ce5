/**
 * GET /docs in Chromium: the Scalar API reference, served by the worker itself, renders
 * /openapi.json with nothing loaded from any other origin, and its try-it panel sends requests to
 * the worker and shows the answers (a public route, and one with the admin key as a bearer token).
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminCall, launchChromium, OPERATOR_TOKEN, type RunningWorker, startWorker } from "./harness";
import { type Watched, watch } from "./page-watch";

const RESULTS = resolve(import.meta.dirname, "../../test-results");

let worker: RunningWorker;
let chrome: Awaited<ReturnType<typeof launchChromium>>;
/** One browser context for the file: its HTTP cache keeps the 4.7 MB renderer after the first page. */
let ctx: BrowserContext;
beforeAll(async () => {
  [worker, chrome] = await Promise.all([startWorker(), launchChromium()]);
  ctx = await chrome.newContext();
});
afterAll(async () => {
  await chrome?.close();
  await worker?.stop();
});

/** A new tab on /docs at `hash`, once the reference has rendered the document. */
async function openDocs(hash = ""): Promise<{ page: Page; seen: Watched; close(): Promise<void> }> {
  const page = await ctx.newPage();
  const seen = await watch(page);
  await page.setViewportSize({ width: 1300, height: 900 });
  await page.goto(`${worker.url}/docs${hash}`);
  await page.getByRole("heading", { name: "edge-dni API" }).waitFor();
  return { page, seen, close: () => page.close() };
}

/**
 * CSP violations other than the one expected: the renderer bundles zod, which probes once whether
 * it may compile validators (`Function("")` in a try/catch) and, refused by script-src, does without.
 */
async function unexpectedViolations(seen: Watched): Promise<string[]> {
  return (await seen.cspViolations()).filter((v) => !/^script-src eval \S+\/docs\/scalar\.js:/.test(v));
}

/** Opens the try-it panel of the operation on screen, sends it, and returns the answer's status and the panel's Response text. */
async function sendFromPanel(page: Page, method: string, path: string, token?: string): Promise<{ status: number; shown: string }> {
  await page.getByRole("button", { name: `Test Request (${method.toLowerCase()} ${path})` }).click();
  const client = page.getByRole("dialog", { name: "API Client" });
  if (token !== undefined) await client.getByRole("textbox", { name: "Bearer Token" }).fill(token);
  const [answer] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === path && r.request().method() === method),
    client.getByRole("button", { name: `Send ${method.toLowerCase()} request to ${worker.url}${path}` }).click(),
  ]);
  const status = answer.status();
  const response = client.getByRole("region", { name: "Response" });
  await response.getByText(`${status} OK`).waitFor();
  return { status, shown: await response.innerText() };
}

describe("the API reference at /docs", () => {
  it("renders the OpenAPI document with every request to the worker's own origin", async () => {
    const d = await openDocs();
    try {
      // Every tag of the document is in the sidebar.
      const doc = await (await fetch(`${worker.url}/openapi.json`)).json();
      const tags = new Set<string>(Object.values(doc.paths).flatMap((ops: any) => Object.values(ops).flatMap((op: any) => op.tags ?? [])));
      expect(tags.size).toBeGreaterThan(4);
      const sidebar = d.page.getByRole("complementary", { name: "Sidebar for edge-dni API" });
      for (const tag of tags) await sidebar.getByRole("link", { name: tag, exact: true }).waitFor();
      expect(d.seen.requests.map((r) => new URL(r.url).pathname)).toEqual(expect.arrayContaining(["/docs", "/docs/scalar.js", "/openapi.json"]));
      expect(d.seen.offOrigin(worker.url)).toEqual([]);
      expect(await unexpectedViolations(d.seen)).toEqual([]);
      expect(d.seen.errors).toEqual([]);
      mkdirSync(RESULTS, { recursive: true });
      await d.page.screenshot({ path: join(RESULTS, "docs.png") });
    } finally {
      await d.close();
    }
  });

  it("tries GET /healthz from the panel against the worker", async () => {
    const d = await openDocs("#tag/service/GET/healthz");
    try {
      const answer = await sendFromPanel(d.page, "GET", "/healthz");
      expect(answer.status).toBe(200);
      expect(answer.shown).toMatch(/"ok":\s*true/);
      const sent = d.seen.requests.filter((r) => new URL(r.url).pathname === "/healthz");
      expect(sent.map((r) => r.url)).toEqual([`${worker.url}/healthz`]);
      expect(d.seen.offOrigin(worker.url)).toEqual([]);
      expect(await unexpectedViolations(d.seen)).toEqual([]);
    } finally {
      await d.close();
    }
  });

  it("tries GET /v1/account with an admin key as the bearer token", async () => {
    const acct = await adminCall(worker.url, "POST", "/v1/accounts", OPERATOR_TOKEN, { name: "Docs Reader", allowedOrigins: [] });
    expect(acct.status).toBe(201);
    const d = await openDocs("#tag/account/GET/v1/account");
    try {
      const answer = await sendFromPanel(d.page, "GET", "/v1/account", acct.json.adminKey);
      expect(answer.status).toBe(200);
      expect(answer.shown).toContain(`"id": "${acct.json.account.id}"`);
      expect(answer.shown).toContain('"name": "Docs Reader"');
      const sent = d.seen.requests.filter((r) => new URL(r.url).pathname === "/v1/account");
      expect(sent).toHaveLength(1);
      expect(sent[0]!.headers.authorization).toBe(`Bearer ${acct.json.adminKey}`);
      expect(d.seen.offOrigin(worker.url)).toEqual([]);
    } finally {
      await d.close();
    }
  });
});
