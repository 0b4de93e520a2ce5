/** data-domain (snippet/domain.ts, cache.ts): the session in a cookie on a parent domain, shared by its subdomains. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { store } from "../../snippet/cache";
import { sessionDomain } from "../../snippet/domain";
import { flush, leave, page, reset, run, sent, stubFetch } from "./helpers";

let warn: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  warn = vi.spyOn(console, "warn").mockImplementation(() => {});
});
afterEach(async () => {
  await flush();
  reset();
  store.domain = "";
});

const cookie = () => /(?:^|; )dni_t=([^;]+)/.exec(document.cookie)?.[1];

describe("data-domain", () => {
  it("keeps the session in a cookie on the parent domain: another subdomain's page view has the same session", async () => {
    const f = stubFetch();
    page("<p>(800) 555-0199</p>", "https://www.shop.example/?gclid=G1");
    sessionDomain("shop.example");
    await run().number();
    const first = f.answers[0].token;
    expect(cookie()).toBeDefined();
    expect(JSON.parse(decodeURIComponent(escape(atob(cookie()!))))).toBe(first);
    expect(localStorage.getItem("dni:t")).toBeNull();
    leave();
    localStorage.clear(); // another origin: its own localStorage
    page("<p>(800) 555-0199</p>", "https://app.shop.example/checkout");
    await run().number();
    // The token goes with this page view's touch: the worker keeps the session and its first touch.
    expect(sent(f, 1).token).toBe(first);
    expect(sent(f, 1).source.landing).toBe("https://app.shop.example/checkout");
    expect(f.answers[1].session).toBe(f.answers[0].session);
  });

  it("a cookie the browser refuses (a public suffix, cookies blocked, too long): the session is kept in this origin's storage, and read back from there", async () => {
    const f = stubFetch();
    let proto: object | null = document;
    while (proto && !Object.getOwnPropertyDescriptor(proto, "cookie")) proto = Object.getPrototypeOf(proto);
    const jar = Object.getOwnPropertyDescriptor(proto!, "cookie")!;
    page("", "https://www.shop.example/");
    // biome-ignore lint/suspicious/noDocumentCookie: an earlier test's session cookie, gone.
    document.cookie = "dni_t=; domain=shop.example; path=/; max-age=0";
    Object.defineProperty(document, "cookie", {
      configurable: true,
      get: () => jar.get!.call(document),
      set: (v: string) => (v.startsWith("dni_t=") ? undefined : jar.set!.call(document, v)),
    });
    try {
      page("<p>(800) 555-0199</p>", "https://www.shop.example/?gclid=G1");
      sessionDomain("shop.example");
      await run().number();
      const first = f.answers[0].token;
      expect(cookie()).toBeUndefined();
      expect(JSON.parse(localStorage.getItem("dni:t")!)).toBe(first);
      leave();
      // The next page view of the same site, once the cached answer is over: data-domain again, still no cookie.
      localStorage.removeItem("dni:a");
      page("<p>(800) 555-0199</p>", "https://www.shop.example/pricing");
      sessionDomain("shop.example");
      await run().number();
      expect(sent(f, 1).token).toBe(first);
      expect(f.answers[1].session).toBe(f.answers[0].session);
    } finally {
      delete (document as { cookie?: string }).cookie;
    }
    // The browser takes the cookie again: the copy in this origin's storage goes (it would bring this
    // session back once the cookie is gone, months on).
    localStorage.removeItem("dni:a");
    page("<p>(800) 555-0199</p>", "https://www.shop.example/contact");
    sessionDomain("shop.example");
    await run().number();
    expect(cookie()).toBeDefined();
    expect(localStorage.getItem("dni:t")).toBeNull();
  });

  it("is ignored, with a warning, when it is not the page's host or a parent of it", () => {
    page("", "https://www.shop.example/");
    sessionDomain("other.example");
    expect(store.domain).toBe("");
    expect(warn).toHaveBeenCalledWith("dni:", "data-domain other.example is not www.shop.example or a parent of it: ignored");
    sessionDomain("hop.example");
    expect(store.domain).toBe("");
    sessionDomain(".Shop.Example");
    expect(store.domain).toBe("shop.example");
  });
});
