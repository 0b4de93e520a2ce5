/** This page view's touch and the stored token (snippet/session.ts); the session itself is the worker's (test/worker/session.test.ts). */
import { afterEach, describe, expect, it } from "vitest";
import { save } from "../../snippet/cache";
import { session, withhold } from "../../snippet/session";
import { page, reset } from "./helpers";

/** A page view at url from referrer. */
const view = (url: string, referrer = "") => {
  page("", url, referrer);
  return session();
};

afterEach(reset);

describe("session", () => {
  it("records this page view's touch: landing URL, referrer, the raw _ga value", () => {
    page("", "https://shop.example/");
    // biome-ignore lint/suspicious/noDocumentCookie: the GA cookie the snippet reads, as analytics.js writes it.
    document.cookie = "_ga=GA1.1.123456789.1700000000";
    // biome-ignore lint/suspicious/noDocumentCookie: a second GA cookie that must not be mistaken for _ga.
    document.cookie = "_ga_ABC=GS1.1.999";
    const s = view("https://shop.example/p?gclid=xyz&utm_source=google&utm_medium=cpc", "https://www.google.com/");
    expect(s).toEqual({
      token: undefined,
      source: {
        landing: "https://shop.example/p?gclid=xyz&utm_source=google&utm_medium=cpc",
        referrer: "https://www.google.com/",
        // The raw _ga value: the worker takes the client id out of it (gaClientIdOf, tested with the worker).
        gaClientId: "GA1.1.123456789.1700000000",
      },
    });
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
