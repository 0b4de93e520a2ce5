/**
 * What the allocation benchmarks send (bench/allocate.ts, bench/ab.ts): the snippet's requests as a
 * browser makes them (snippet/main.ts), from a page on ORIGIN.
 */

export const ORIGIN = "http://bench.local";

/** A browser's cross-origin fetch of a text/plain body (a CORS simple request). */
export const BROWSER_HEADERS = {
  "Content-Type": "text/plain",
  Origin: ORIGIN,
  "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36",
  "Accept-Language": "en",
  "Sec-Fetch-Mode": "cors",
};

/** The raw _ga cookie the bodies carry. */
export const GA = "GA1.1.1234567890.1700000000";

let seq = 0;

/** A first view's body: landing from an ad click (utm_* and a gclid of its own), no token. */
export const firstView = (key: string) => (): string =>
  JSON.stringify({
    key,
    pools: [],
    source: {
      landing: `${ORIGIN}/plumbing?utm_source=google&utm_medium=cpc&gclid=Cj0KCQ${(seq++).toString(36)}`,
      referrer: "https://www.google.com/",
      gaClientId: GA,
    },
  });
