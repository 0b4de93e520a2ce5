import { afterEach, describe, expect, it } from "vitest";
import { SESSION_ID_PATTERN } from "../../shared/protocol";
import { session } from "../../snippet/session";
import { page, reset } from "./helpers";

/** A page view at url from referrer. */
const view = (url: string, referrer = "") => {
  page("", url, referrer);
  return session();
};

afterEach(reset);

describe("session", () => {
  it("makes a random id in the protocol's format", () => {
    const a = view("https://shop.example/");
    localStorage.clear();
    const b = view("https://shop.example/");
    expect(a.i).toMatch(SESSION_ID_PATTERN);
    expect(b.i).toMatch(SESSION_ID_PATTERN);
    expect(a.i).not.toBe(b.i);
  });

  it("records the first touch: landing URL, referrer, GA client id", () => {
    // biome-ignore lint/suspicious/noDocumentCookie: the GA cookie the snippet reads, as analytics.js writes it.
    document.cookie = "_ga=GA1.1.123456789.1700000000";
    // biome-ignore lint/suspicious/noDocumentCookie: a second GA cookie that must not be mistaken for _ga.
    document.cookie = "_ga_ABC=GS1.1.999";
    const s = view("https://shop.example/p?gclid=xyz&utm_source=google&utm_medium=cpc", "https://www.google.com/");
    expect(s.s).toEqual({
      landing: "https://shop.example/p?gclid=xyz&utm_source=google&utm_medium=cpc",
      referrer: "https://www.google.com/",
      // The raw _ga value: the worker takes the client id out of it (gaClientIdOf, tested with the worker).
      gaClientId: "GA1.1.123456789.1700000000",
    });
  });

  it("keeps the first touch on later page views and returns", () => {
    const a = view("https://shop.example/?gclid=xyz&utm_source=google&utm_medium=cpc", "https://www.google.com/");
    const b = view("https://shop.example/contact", "https://shop.example/");
    const c = view("https://shop.example/?gclid=xyz", "https://www.google.com/");
    const d = view("https://shop.example/?utm_source=google&utm_campaign=other", "https://news.example/");
    expect([b.i, c.i, d.i]).toEqual([a.i, a.i, a.i]);
    expect(d.s).toEqual(a.s);
  });

  it.each([
    ["a new gclid", "?gclid=new"],
    ["an msclkid", "?msclkid=m1"],
    ["a gbraid", "?gbraid=g1"],
    ["a wbraid", "?wbraid=w1"],
    ["a dclid", "?dclid=d1"],
    ["a ttclid", "?ttclid=t1"],
    ["an li_fat_id", "?li_fat_id=l1"],
    ["an fbclid", "?fbclid=f1"],
    ["another utm_source", "?utm_source=newsletter"],
    ["another utm_medium", "?utm_source=google&utm_medium=email"],
  ])("starts a new session on %s", (_, query) => {
    const a = view("https://shop.example/?gclid=xyz&utm_source=google&utm_medium=cpc");
    const b = view(`https://shop.example/${query}`, "https://elsewhere.example/");
    expect(b.i).not.toBe(a.i);
    expect(b.s.landing).toBe(`https://shop.example/${query}`);
    expect(b.s.referrer).toBe("https://elsewhere.example/");
  });

  it("starts a new session when a direct visitor comes back from a campaign", () => {
    const a = view("https://shop.example/");
    const b = view("https://shop.example/?utm_medium=email&utm_source=news");
    expect(b.i).not.toBe(a.i);
    expect(b.s.landing).toBe("https://shop.example/?utm_medium=email&utm_source=news");
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
      expect(() => localStorage.getItem("dni:s")).toThrow();
      const s = view("https://shop.example/?gclid=1");
      expect(s.i).toMatch(SESSION_ID_PATTERN);
      expect(s.s.landing).toBe("https://shop.example/?gclid=1");
    } finally {
      Object.defineProperty(window, "localStorage", get);
    }
  });
});
