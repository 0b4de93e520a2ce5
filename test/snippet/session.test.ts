/** This page view's touch and the stored token (snippet/session.ts); the session itself is the worker's (test/worker/session.test.ts). */
import { afterEach, describe, expect, it } from "vitest";
import { save } from "../../snippet/cache";
import { anonymous, session, withhold } from "../../snippet/session";
import { alloc, answer, flush, page, reset, run, sent, stubFetch, US, US_T } from "./helpers";

/** A page view at url from referrer. */
const view = (url: string, referrer = "") => {
  page("", url, referrer);
  return session();
};

afterEach(reset);

describe("session", () => {
  it("records this page view's touch: landing URL, referrer, every GA cookie as it is", () => {
    page("", "https://shop.example/");
    // biome-ignore lint/suspicious/noDocumentCookie: the page's cookies: others before and between the GA ones.
    document.cookie = "theme=dark";
    // biome-ignore lint/suspicious/noDocumentCookie: the GA cookie the snippet reads, as gtag.js writes it.
    document.cookie = "_ga=GA1.1.123456789.1700000000";
    // biome-ignore lint/suspicious/noDocumentCookie: look-alikes that are not GA's: never sent.
    document.cookie = "__ga=GA1.1.5.5";
    // biome-ignore lint/suspicious/noDocumentCookie: (as above)
    document.cookie = "x_ga=GA1.1.6.6";
    // biome-ignore lint/suspicious/noDocumentCookie: (as above: GA's, but not one of the two)
    document.cookie = "_gat=1";
    // biome-ignore lint/suspicious/noDocumentCookie: two GA4 streams' session cookies, in both formats.
    document.cookie = "_ga_ABC123=GS2.1.s1747132561$o3$g1$t1747132655$j0$l0$h0";
    // biome-ignore lint/suspicious/noDocumentCookie: (as above)
    document.cookie = "_ga_XYZ789=GS1.1.1746825440.14.0.1746825460.0.0.0";
    const s = view("https://shop.example/p?gclid=xyz&utm_source=google&utm_medium=cpc", "https://www.google.com/");
    expect(s).toEqual({
      token: undefined,
      source: {
        landing: "https://shop.example/p?gclid=xyz&utm_source=google&utm_medium=cpc",
        referrer: "https://www.google.com/",
        // "name=value" each: the worker takes the client id and each stream's session id out of them (test/worker/ga-sessions.test.ts).
        gaClientId: [
          "_ga=GA1.1.123456789.1700000000",
          "_ga_ABC123=GS2.1.s1747132561$o3$g1$t1747132655$j0$l0$h0",
          "_ga_XYZ789=GS1.1.1746825440.14.0.1746825460.0.0.0",
        ],
      },
    });
  });

  it("a page without GA cookies sends []; anonymous (no analytics consent) none at all", () => {
    page("", "https://shop.example/");
    // biome-ignore lint/suspicious/noDocumentCookie: a cookie that is not GA's.
    document.cookie = "theme=dark";
    expect(view("https://shop.example/").source.gaClientId).toEqual([]);
    // biome-ignore lint/suspicious/noDocumentCookie: GA's cookies, which anonymous() must not send.
    document.cookie = "_ga=GA1.1.123456789.1700000000";
    // biome-ignore lint/suspicious/noDocumentCookie: (as above)
    document.cookie = "_ga_ABC123=GS2.1.s1747132561$o3$g1$t1747132655$j0$l0$h0";
    const anon = anonymous();
    expect(anon.source.gaClientId).toBeUndefined();
    expect(JSON.stringify(anon)).not.toMatch(/123456789|1747132561/);
  });

  it("sends only the cookies named _ga and _ga_<STREAM>: not one whose name ends in _ga, nor _ga=… inside another cookie's value", async () => {
    const f = stubFetch(answer([alloc("web", [US], US_T)]));
    page(`<p>Call (800) 555-0199</p>`);
    // A name that ends in "-_ga", and "_ga=…" / "_ga_<STREAM>=…" inside other cookies' values (a
    // page's own state, a value another site's script set: never GA's), before and after the real ones.
    for (const c of [
      "x-_ga=GA1.1.1.1",
      "a=b|_ga=GA1.1.2.2",
      "_ga=GA1.1.3.3",
      "state=x._ga_EVIL=GS2.1.s1111111111$o1",
      "_ga_ABC123=GS2.1.s1747132561$o3$g1$t1747132655$j0$l0$h0",
      "c=d,_ga=GA1.1.4.4",
    ]) {
      // biome-ignore lint/suspicious/noDocumentCookie: the page's cookies, as its scripts set them.
      document.cookie = c;
    }
    run();
    await flush();
    expect(f).toHaveBeenCalledTimes(1);
    expect(sent(f).source.gaClientId).toEqual(["_ga=GA1.1.3.3", "_ga_ABC123=GS2.1.s1747132561$o3$g1$t1747132655$j0$l0$h0"]);
  });

  it("sends the token the worker gave, whatever the URL (the worker decides about campaigns)", () => {
    save("dni:t", "token-1");
    expect(view("https://shop.example/contact").token).toBe("token-1");
    expect(view("https://shop.example/?gclid=new", "https://www.google.com/")).toMatchObject({
      token: "token-1",
      source: { landing: "https://shop.example/?gclid=new", referrer: "https://www.google.com/" },
    });
  });

  it("withholds every click id's value, keeping that there was one", () => {
    expect(withhold("https://shop.example/?gclid=a&utm_source=g&msclkid=b&li_fat_id=c#x")).toBe(
      "https://shop.example/?gclid=withheld&utm_source=g&msclkid=withheld&li_fat_id=withheld#x",
    );
  });

  it("works when storage is blocked (every view is a first view)", () => {
    const get = Object.getOwnPropertyDescriptor(window, "localStorage")!;
    Object.defineProperty(window, "localStorage", {
      configurable: true,
      get() {
        throw new DOMException("blocked", "SecurityError");
      },
    });
    try {
      expect(() => localStorage.getItem("dni:t")).toThrow();
      const s = view("https://shop.example/?gclid=1");
      expect(s.token).toBeUndefined();
      expect(s.source.landing).toBe("https://shop.example/?gclid=1");
    } finally {
      Object.defineProperty(window, "localStorage", get);
    }
  });
});
