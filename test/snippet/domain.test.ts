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
