/**
 * What a page did while a test drove it: every request it made (with its headers), errors thrown
 * or logged, and Content-Security-Policy violations (reported by the page itself through the
 * `securitypolicyviolation` event, listened to from before the page's own scripts run).
 */
import type { Page } from "playwright-core";

export interface Watched {
  requests: { url: string; method: string; headers: Record<string, string> }[];
  errors: string[];
  /** The URLs of requests that went anywhere but `origin` (data: and blob: URLs are not requests). */
  offOrigin(origin: string): string[];
  /** "directive blocked-uri" for each CSP violation so far. */
  cspViolations(): Promise<string[]>;
}

export async function watch(page: Page): Promise<Watched> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = seen;
    document.addEventListener("securitypolicyviolation", (e) =>
      seen.push(`${e.effectiveDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`),
    );
  });
  const w: Watched = {
    requests: [],
    errors: [],
    offOrigin: (origin) => w.requests.map((r) => r.url).filter((u) => !/^(data|blob):/.test(u) && new URL(u).origin !== origin),
    cspViolations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp.slice()),
  };
  page.on("request", (r) => w.requests.push({ url: r.url(), method: r.method(), headers: r.headers() }));
  page.on("pageerror", (e) => w.errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && w.errors.push(m.text()));
  return w;
}
