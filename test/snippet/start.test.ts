import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { API, alloc, answer, FLOWERS, flush, KEY, LEASE, leave, page, reset, run, sent, stubFetch, UK, UK_9, UK_T, US, US_T } from "./helpers";

const text = (sel: string) => document.querySelector(sel)!.textContent;
const href = (sel: string) => document.querySelector(sel)!.getAttribute("href");

const PAGE = `
  <header><p id="t">Call us: (800) 555-0199</p><a id="l" href="tel:+18005550199">800.555.0199</a></header>
  <p id="o">Other office: (800) 555-0100, order 98005550199, $1,800.55, 2024-08-05</p>
  <p id="u">UK: +44 (0)20 7946 0958</p>`;

let warn: ReturnType<typeof vi.spyOn>, error: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  error = vi.spyOn(console, "error");
});
afterEach(async () => {
  vi.useRealTimers();
  await flush(); // pending events of this test fire now, not in the next one
  expect(error).not.toHaveBeenCalled();
  reset();
});

describe("first view", () => {
  it("asks once, as a CORS simple request, and swaps text and tel: links in their shape", async () => {
    const f = stubFetch(answer([alloc("web", [US], US_T), alloc("uk", [UK], UK_T)]));
    page(PAGE, "https://shop.example/?utm_source=news", "https://news.example/");
    const dni = run({ pool: "web,uk" });
    expect(text("#t")).toBe("Call us: (800) 555-0199");
    await dni.number();
    expect(f).toHaveBeenCalledTimes(1);
    const [url, init] = f.mock.calls[0]!;
    expect(url).toBe(`${API}/v1/allocate`);
    expect(init!.method).toBe("POST");
    expect(init!.headers).toBeUndefined(); // a string body: text/plain;charset=UTF-8, no preflight
    expect(typeof init!.body).toBe("string");
    const body = sent(f);
    // A first view has no token: the worker begins the session.
    expect(body).toEqual({
      key: KEY,
      pool: "web,uk",
      // gaClientId []: the page has no GA cookie.
      source: { landing: "https://shop.example/?utm_source=news", referrer: "https://news.example/", gaClientId: [] },
    });
    expect(text("#t")).toBe("Call us: (800) 555-0123");
    expect(text("#l")).toBe("800.555.0123");
    expect(href("#l")).toBe("tel:+18005550123");
    expect(text("#u")).toBe("UK: +44 (0)20 7946 0111");
    expect(text("#o")).toBe("Other office: (800) 555-0100, order 98005550199, $1,800.55, 2024-08-05");
    expect(warn).not.toHaveBeenCalled();
  });

  it("makes no request on a page without anything phone-like", async () => {
    const f = stubFetch();
    page("<p>Open 9-5. Prices from $1,299.</p><a href='/contact'>Contact</a>");
    run();
    await flush();
    expect(f).not.toHaveBeenCalled();
    expect(localStorage.getItem("dni:a")).toBeNull();
  });

  it("asks on a first view whatever else a text holds (the word undefined, say), and warns of nothing", async () => {
    const f = stubFetch();
    page(`<p id="a">Error: undefined at (800) 555-0199</p>`);
    await run().number();
    expect(f).toHaveBeenCalledTimes(1);
    expect(text("#a")).toBe("Error: undefined at (800) 555-0123");
    expect(warn).not.toHaveBeenCalled();
  });

  it("makes no request on a page of dates, prices and ids", async () => {
    const f = stubFetch();
    page(`<p>Posted 2026-11-25, updated 25/11/2026 and 5.11.2026 (2026/11/25 10:30).</p>
      <p>Price $1,800.55, or $8005550199; order #8005550199, ticket #18005550199, ID8005550199; 1,234,567 sold.</p>
      <table><tr><td>SKU 123456</td><td>$1,299.00</td><td>2026-01-02</td></tr></table>
      <p lang="ja">更新日 2026年12月4日</p><p lang="ko">2026년 12월 4일, 2026. 12. 4.</p>`);
    run();
    await flush();
    expect(f).not.toHaveBeenCalled();
  });

  it("stops looking once it has asked (data-hide off): the rest of the page is scanned with the answer", async () => {
    const f = stubFetch();
    page(`<p id="a">Call (800) 555-0199</p>${"<p>More text</p>".repeat(50)}<p id="b">Or 800.555.0199</p>`);
    const data = vi.spyOn(Text.prototype, "data", "get");
    const dni = run();
    // Before the answer: the walk stopped at the first phone-like text.
    expect(data.mock.calls.length).toBeGreaterThan(0);
    expect(data.mock.calls.length).toBeLessThan(5);
    await dni.number();
    expect(f).toHaveBeenCalledTimes(1);
    expect(text("#a")).toBe("Call (800) 555-0123");
    expect(text("#b")).toBe("Or 800.555.0123");
  });

  it("makes one request and one timeout signal however many texts look like numbers", async () => {
    const f = stubFetch();
    const made = vi.spyOn(AbortSignal, "timeout");
    page(`${Array.from({ length: 50 }, (_, i) => `<p>Order ${1000000 + i}, fax (212) 736-5${100 + i}</p>`).join("")}<p>(800) 555-0199</p>`);
    await run().number();
    expect(f).toHaveBeenCalledTimes(1);
    expect(made).toHaveBeenCalledTimes(1);
    expect(made).toHaveBeenCalledWith(2000);
  });

  it("still asks, and swaps however late the answer comes, in a browser without AbortSignal.timeout (Safari before 16)", async () => {
    vi.useFakeTimers();
    vi.stubGlobal("AbortSignal", { ...AbortSignal, timeout: undefined });
    let answered: (r: Response) => void = () => {};
    const f = vi.fn((_: string, init: RequestInit) => {
      expect(init.signal).toBeUndefined();
      return new Promise<Response>((resolve) => (answered = resolve));
    });
    vi.stubGlobal("fetch", f);
    page(PAGE);
    const got = run().number();
    await vi.advanceTimersByTimeAsync(5000);
    answered(new Response(JSON.stringify({ ...answer([alloc("web", [US], US_T)]), session: "s", token: "t" })));
    expect((await got)?.e164).toBe(US_T.e164);
    expect(text("#t")).toBe("Call us: (800) 555-0123");
    expect(f).toHaveBeenCalledTimes(1);
  });

  it("writes several numbers of one text, each in its original's style in the tracking number's groups", async () => {
    stubFetch(answer([alloc("uk", [UK], UK_9), alloc("web", [US], US_T)]));
    page("<p id='t'>Call 020 7946 0958, +44 (0)20 7946 0958 or (800) 555-0199 now</p>");
    await run().number();
    expect(text("#t")).toBe("Call 016977 2345, +44 (0)16977 2345 or (800) 555-0123 now");
  });

  it("asks for a tel: link alone", async () => {
    const f = stubFetch();
    page("<a id='l' href='tel:1-800-555-0199'>Call</a>");
    await run().number();
    expect(f).toHaveBeenCalledTimes(1);
    expect(href("#l")).toBe("tel:+18005550123");
  });

  it("swaps percent-encoded tel: links (a URI's spaces, encodeURIComponent's %2B)", async () => {
    stubFetch();
    page(`<a id='a' href='tel:+1%20800%20555%200199'>(800) 555-0199</a><a id='b' href='tel:%2B18005550199'>Call</a>
          <a id='c' href='tel:%2B1%20212%20736%205000'>Other</a><a id='d' href='tel:%E0%A4%A'>Broken</a>`);
    await run().number();
    expect(href("#a")).toBe("tel:+18005550123");
    expect(text("#a")).toBe("(800) 555-0123");
    expect(href("#b")).toBe("tel:+18005550123");
    expect(href("#c")).toBe("tel:%2B1%20212%20736%205000");
    expect(href("#d")).toBe("tel:%E0%A4%A");
  });

  it("swaps tel: links whose separators are UTF-8 escapes (a no-break space %C2%A0, a non-breaking hyphen %E2%80%91, a narrow no-break space)", async () => {
    stubFetch(answer([alloc("web", [US, UK], US_T)]));
    page(`<a id='a' href='tel:+1%C2%A0800%C2%A0555%C2%A00199'>(800)&nbsp;555&#8209;0199</a><a id='b' href='tel:800%E2%80%91555%E2%80%910199'>Call</a>
          <a id='c' href='tel:+44%E2%80%AF20%E2%80%AF7946%E2%80%AF0958'>London</a>`);
    await run().number();
    expect(href("#a")).toBe("tel:+18005550123");
    expect(text("#a")).toBe("(800)\u00a0555\u20110123");
    expect(href("#b")).toBe("tel:+18005550123");
    expect(href("#c")).toBe("tel:+18005550123");
  });

  it("keeps the originals of destinations whose pool has no number", async () => {
    stubFetch(answer([alloc("web", [US], null)]));
    page(PAGE);
    const dni = run();
    expect(await dni.number("+18005550199")).toBeNull();
    expect(text("#t")).toBe("Call us: (800) 555-0199");
    expect(href("#l")).toBe("tel:+18005550199");
  });

  it("does not treat navigator.webdriver as a bot", async () => {
    Object.defineProperty(navigator, "webdriver", { value: true, configurable: true });
    const f = stubFetch();
    page(PAGE);
    await run().number();
    expect(f).toHaveBeenCalledTimes(1);
    expect(text("#t")).toBe("Call us: (800) 555-0123");
  });

  it("keeps the originals when the worker's answer (source rules: nothing tracked) has no pools", async () => {
    const f = stubFetch(answer([]));
    page(PAGE);
    const dni = run({ sources: "ads: gclid -> ads" });
    expect(await dni.number("+18005550199")).toBeNull();
    expect(f).toHaveBeenCalledTimes(1);
    expect(text("#t")).toBe("Call us: (800) 555-0199");
  });

  it("sends the source rules and the default pools; the worker applies them", async () => {
    const f = stubFetch();
    page(PAGE, "https://shop.example/?gclid=abc");
    await run({ sources: "ads: gclid -> ads; *: -> web", pool: "web" }).number();
    expect(sent(f).pool).toBe("web");
    expect(sent(f).sources).toBe("ads: gclid -> ads; *: -> web");
    expect(sent(f).source.landing).toBe("https://shop.example/?gclid=abc");
  });
});

describe("repeat views", () => {
  /** A first view that leased US_T, then a new page view (same storage) showing html. */
  const again = async (html = PAGE, url = "https://shop.example/") => {
    stubFetch();
    page(PAGE);
    await run().number();
    leave();
    const f = stubFetch();
    page(html, url);
    return f;
  };

  it("swap synchronously from the cache with no request", async () => {
    const f = await again();
    const dni = run();
    expect(text("#t")).toBe("Call us: (800) 555-0123");
    expect(href("#l")).toBe("tel:+18005550123");
    expect(await dni.number("(800) 555-0199")).toEqual(US_T);
    await flush();
    expect(f).not.toHaveBeenCalled();
  });

  it("keep the session token the worker gave", async () => {
    const f = stubFetch();
    page(PAGE, "https://shop.example/?gclid=1");
    await run({ sources: "ads: gclid" }).number();
    const first = localStorage.getItem("dni:t");
    expect(JSON.parse(first!)).toBe(f.answers[0].token);
    leave();
    page(PAGE, "https://shop.example/contact", "https://shop.example/");
    run({ sources: "ads: gclid" });
    expect(text("#t")).toBe("Call us: (800) 555-0123");
    expect(localStorage.getItem("dni:t")).toBe(first);
  });

  it("make no request on pages without the cached destinations", async () => {
    const f = await again("<p>Other office: (800) 555-0100</p>");
    vi.useFakeTimers();
    vi.setSystemTime(Date.now() + 2 * LEASE); // the lease is over: only the destinations are known
    run();
    vi.useRealTimers();
    await flush();
    expect(f).not.toHaveBeenCalled();
  });

  it("learn nothing from a cached answer over a week old: a page whose business number changed since is asked for (with the session)", async () => {
    const f = await again("<p id='t'>New number: (800) 555-0100</p>");
    const s = JSON.parse(localStorage.getItem("dni:t")!);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 7 * 86_400_000);
    run();
    vi.useRealTimers();
    await flush();
    expect(f).toHaveBeenCalledTimes(1);
    expect(sent(f).token).toBe(s);
  });

  it("ask again (with the session token) when the lease is over", async () => {
    const f = await again();
    const s = JSON.parse(localStorage.getItem("dni:t")!);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 2 * LEASE);
    const dni = run();
    expect(text("#t")).toBe("Call us: (800) 555-0199");
    await dni.number();
    expect(f).toHaveBeenCalledTimes(1);
    expect(sent(f).token).toBe(s);
    expect(text("#t")).toBe("Call us: (800) 555-0123");
  });

  it("write nothing from the expired cache when the request fails: not later, not to number()", async () => {
    await again();
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))),
    );
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 2 * LEASE);
    const dni = run();
    // The expired lease's number may be another visitor's by now: neither shown nor answered.
    expect(await dni.number("+18005550199")).toBeNull();
    expect(await dni.number()).toBeNull();
    // An SPA route that adds the destination later keeps it, and throws nothing into the page.
    document.body.insertAdjacentHTML("beforeend", `<p id="later">Call (800) 555-0199</p><a id="later-link" href="tel:+18005550199">Call</a>`);
    vi.useRealTimers();
    await flush();
    expect(text("#t")).toBe("Call us: (800) 555-0199");
    expect(text("#later")).toBe("Call (800) 555-0199");
    expect(href("#later-link")).toBe("tel:+18005550199");
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it.each([
    ["a new gclid", "?gclid=new"],
    ["a utm_source", "?x=1&utm_source=news"],
  ])("ask first (the worker may begin a new session) when the URL brings another campaign click: %s", async (_, query) => {
    const f = await again(PAGE, `https://shop.example/${query}`);
    const s = JSON.parse(localStorage.getItem("dni:t")!);
    const dni = run();
    expect(text("#t")).toBe("Call us: (800) 555-0199");
    await dni.number();
    expect(f).toHaveBeenCalledTimes(1);
    expect(sent(f).token).toBe(s);
    expect(sent(f).source.landing).toBe(`https://shop.example/${query}`);
  });

  it("ask on a campaign click's page that shows only a destination the cached answer does not name", async () => {
    // The new source's rules pick another pool: its destination is all the landing page shows.
    await again();
    const f = stubFetch(answer([alloc("web", [US], US_T), alloc("uk", [UK], UK_T)]));
    page(`<p id="uk">London: 020 7946 0958</p>`, "https://shop.example/?gclid=new");
    run();
    // Not number(): it asks on its own. The scan asks.
    await flush();
    expect(f).toHaveBeenCalledTimes(1);
    expect(sent(f).source.landing).toBe("https://shop.example/?gclid=new");
    expect(text("#uk")).toBe("London: 020 7946 0111");
  });

  it("use the cache when the URL brings no campaign click, or one withheld or empty", async () => {
    const f = await again(PAGE, "https://shop.example/?gclid=withheld&utm_campaign=x&utm_source=&page=2");
    run();
    expect(text("#t")).toBe("Call us: (800) 555-0123");
    await flush();
    expect(f).not.toHaveBeenCalled();
  });

  it("renew in the background when a quarter of the lease is left", async () => {
    const f = await again();
    vi.useFakeTimers();
    vi.setSystemTime(Date.now() + LEASE * 0.8);
    run();
    expect(text("#t")).toBe("Call us: (800) 555-0123");
    expect(f).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(f).toHaveBeenCalledTimes(1);
    expect(text("#t")).toBe("Call us: (800) 555-0123");
  });

  it("renew when a quarter of a fresh lease is left, while the page stays open", async () => {
    vi.useFakeTimers();
    const f = stubFetch();
    page(PAGE);
    await run().number();
    expect(f).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(LEASE * 0.7);
    expect(f).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(LEASE * 0.1);
    expect(f).toHaveBeenCalledTimes(2);
  });

  it("renew without replacing the session another tab began since", async () => {
    vi.useFakeTimers();
    const f = stubFetch();
    page(PAGE);
    await run().number();
    localStorage["dni:t"] = JSON.stringify("token-of-another-tab");
    await vi.advanceTimersByTimeAsync(LEASE * 0.75);
    expect(f).toHaveBeenCalledTimes(2);
    expect(sent(f, 1).token).toBe(f.answers[0].token);
    expect(JSON.parse(localStorage["dni:t"]!)).toBe("token-of-another-tab");
  });

  // The token changes when the numbers it names change (a recycled lease: worker/domain/former-numbers.ts).
  const renewedWithNewToken = (f: ReturnType<typeof stubFetch>) => {
    const ok = f.getMockImplementation()!;
    f.mockImplementation(async (url, init) => {
      const response = await ok(url, init);
      const body = await response.json();
      body.token = `${body.token}-renewed`;
      f.answers[f.answers.length - 1] = body;
      return new Response(JSON.stringify(body));
    });
  };

  it("a renewal whose token changed does not replace the session another tab began since, and this tab goes on with its own", async () => {
    vi.useFakeTimers();
    const f = stubFetch();
    page(PAGE);
    await run().number();
    const first = f.answers[0].token;
    localStorage["dni:t"] = JSON.stringify("token-of-another-tab");
    renewedWithNewToken(f);
    await vi.advanceTimersByTimeAsync(LEASE * 0.75);
    expect(f).toHaveBeenCalledTimes(2);
    expect(JSON.parse(localStorage["dni:t"]!)).toBe("token-of-another-tab");
    // This page view's next renewal carries the token its own last answer gave.
    await vi.advanceTimersByTimeAsync(LEASE * 0.75);
    expect(f).toHaveBeenCalledTimes(3);
    expect(sent(f, 2).token).toBe(`${first}-renewed`);
    expect(JSON.parse(localStorage["dni:t"]!)).toBe("token-of-another-tab");
  });

  it("a renewal whose token changed is kept when storage still holds this page view's token", async () => {
    vi.useFakeTimers();
    const f = stubFetch();
    page(PAGE);
    await run().number();
    renewedWithNewToken(f);
    await vi.advanceTimersByTimeAsync(LEASE * 0.75);
    expect(f).toHaveBeenCalledTimes(2);
    expect(JSON.parse(localStorage["dni:t"]!)).toBe(`${f.answers[0].token}-renewed`);
    expect(JSON.parse(localStorage["dni:a"]!).token).toBe(`${f.answers[0].token}-renewed`);
  });

  it("a renewal that fails (offline, a 5xx) is asked again every 20 s until answered, the number kept meanwhile", async () => {
    vi.useFakeTimers();
    const f = stubFetch();
    page(PAGE);
    await run().number();
    expect(text("#t")).toBe("Call us: (800) 555-0123");
    // The network drops just before the renewal; it comes back a minute later.
    const ok = f.getMockImplementation()!;
    f.mockImplementation(async () => Promise.reject(new TypeError("Failed to fetch")));
    await vi.advanceTimersByTimeAsync(LEASE * 0.75);
    expect(f).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(19_000);
    expect(f).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(f).toHaveBeenCalledTimes(3);
    f.mockImplementation(ok);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(f).toHaveBeenCalledTimes(4);
    // Answered: the next renewal is the worker's again, not every 20 s.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(f).toHaveBeenCalledTimes(4);
    expect(sent(f, 3).token).toBe(f.answers[0].token);
    expect(text("#t")).toBe("Call us: (800) 555-0123");
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it("renew when the worker says (a recycling pool's renewAt), the cache still in use meanwhile", async () => {
    vi.useFakeTimers();
    const f = stubFetch({ ...answer([alloc("web", [US], US_T)]), renew: 120_000 });
    page(PAGE);
    await run().number();
    await vi.advanceTimersByTimeAsync(119_000);
    expect(f).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(f).toHaveBeenCalledTimes(2);
    leave();
    // A view after the renewal time, inside the lease: swapped from the cache, renewed in the background.
    const g = stubFetch();
    page(PAGE);
    vi.setSystemTime(Date.now() + 150_000);
    run();
    expect(text("#t")).toBe("Call us: (800) 555-0123");
    await vi.advanceTimersByTimeAsync(0);
    expect(g).toHaveBeenCalledTimes(1);
  });
});

describe("failures leave the originals, throw nothing, warn once", () => {
  const cases: [string, () => void][] = [
    [
      "a network error",
      () =>
        vi.stubGlobal(
          "fetch",
          vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))),
        ),
    ],
    ["a refusal", () => stubFetch({ error: { code: "forbidden_origin", message: "no" } }, 403)],
    [
      "a server error",
      () =>
        vi.stubGlobal(
          "fetch",
          vi.fn(async () => new Response("oops", { status: 500 })),
        ),
    ],
    ["a malformed answer", () => stubFetch({ session: "s", now: 1, pools: "nope" })],
    [
      "an answer that is not JSON",
      () =>
        vi.stubGlobal(
          "fetch",
          vi.fn(async () => new Response("<html>")),
        ),
    ],
  ];
  it.each(cases)("on %s", async (_, stub) => {
    stub();
    page(PAGE);
    const dni = run();
    expect(await dni.number("+18005550199")).toBeNull();
    await flush();
    expect(text("#t")).toBe("Call us: (800) 555-0199");
    expect(href("#l")).toBe("tel:+18005550199");
    expect(warn).toHaveBeenCalledTimes(1);
    expect(fetch).toHaveBeenCalledTimes(1);
    // Content added later makes no second request.
    document.body.insertAdjacentHTML("beforeend", "<p>Call (800) 555-0199</p>");
    await flush();
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it("on a timeout (2 s)", async () => {
    vi.useFakeTimers();
    // The browser's AbortSignal.timeout, on the timers the test moves (Node's runs on its own clock).
    vi.spyOn(AbortSignal, "timeout").mockImplementation((ms) => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new DOMException("signal timed out", "TimeoutError")), ms);
      return controller.signal;
    });
    const f = vi.fn(
      (_: string, init: RequestInit) =>
        new Promise<Response>((_, reject) => init.signal!.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")))),
    );
    vi.stubGlobal("fetch", f);
    page(PAGE);
    let got: unknown = "pending";
    run()
      .number()
      .then((n) => (got = n));
    await vi.advanceTimersByTimeAsync(1999);
    expect(got).toBe("pending");
    await vi.advanceTimersByTimeAsync(1);
    expect(got).toBeNull();
    expect(text("#t")).toBe("Call us: (800) 555-0199");
    expect(warn).toHaveBeenCalledTimes(1);
    expect(f).toHaveBeenCalledTimes(1);
  });
});

describe("what is never touched", () => {
  // Random text whose digits (letters read on the keypad) never spell a destination stays as it was.
  it("leaves random text without a destination's digits unchanged (property)", async () => {
    stubFetch();
    page(PAGE);
    await run().number(); // a live cached lease: later views swap synchronously
    leave();
    const keypad = (s: string) =>
      s.replace(/[A-Z]/g, (c) => String(",,ABC,DEF,GHI,JKL,MNO,PQRS,TUV,WXYZ".split(",").findIndex((k) => k.includes(c)))).replace(/\D/g, "");
    const unit = fc.constantFrom(..."0123456789 .-()/+,$#:xX\nAFLOWERSab".split(""));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 60 }), (s) => {
        fc.pre(!keypad(s).includes(US.nsn));
        page("<p id='p'></p><a id='a'></a>");
        document.querySelector("#p")!.textContent = s;
        document.querySelector("#a")!.setAttribute("href", `tel:${s}`);
        run();
        leave();
        expect(text("#p")).toBe(s);
        expect(href("#a")).toBe(`tel:${s}`);
      }),
      { numRuns: 300 },
    );
  });

  it("skips code, form fields, editable content, opt-outs and their subtrees", async () => {
    stubFetch();
    page(`
      <p id="t">(800) 555-0199</p>
      <script>var n = "(800) 555-0199";</script>
      <style>/* (800) 555-0199 */</style>
      <noscript>(800) 555-0199</noscript>
      <textarea>(800) 555-0199</textarea>
      <input value="(800) 555-0199">
      <select><option>(800) 555-0199</option></select>
      <div contenteditable="true"><p>(800) 555-0199</p></div>
      <div data-dni-ignore><p>(800) 555-0199 <a href="tel:8005550199">x</a></p></div>
      <template><p>(800) 555-0199</p></template>`);
    await run().number();
    expect(text("#t")).toBe("(800) 555-0123");
    // A template's content is a fragment of its own, outside the page's tree: the walk never meets it.
    expect(document.querySelector("template")!.content.textContent).toBe("(800) 555-0199");
    for (const sel of ["script", "style", "noscript", "textarea", "option", "[contenteditable] p", "[data-dni-ignore] p"])
      expect(document.querySelector(sel)!.textContent).toContain("(800) 555-0199");
    expect((document.querySelector("input") as HTMLInputElement).value).toBe("(800) 555-0199");
    expect(href("[data-dni-ignore] a")).toBe("tel:8005550199");
  });

  it("steps over skipped subtrees (nested ones too) and swaps what follows, walking without a NodeFilter", async () => {
    stubFetch();
    page(`
      <div data-dni-ignore><div><p>(800) 555-0199</p><textarea>(800) 555-0199</textarea></div><a href="tel:+18005550199">a</a></div>
      <p id="after">(800) 555-0199</p>
      <section><div contenteditable><b><i>(800) 555-0199</i></b></div></section><a id="l" href="tel:+18005550199">b</a>
      <div data-dni-ignore><p id="in">(800) 555-0199</p></div><div data-dni-ignore></div><span id="last">800.555.0199</span>`);
    const walkers = vi.spyOn(document, "createTreeWalker");
    await run().number();
    expect(text("#after")).toBe("(800) 555-0123");
    expect(href("#l")).toBe("tel:+18005550123");
    expect(text("#last")).toBe("800.555.0123");
    expect(text("#in")).toBe("(800) 555-0199");
    expect(text("[contenteditable] i")).toBe("(800) 555-0199");
    expect(href("[data-dni-ignore] a")).toBe("tel:+18005550199");
    // A JS filter is called back for every node: many times slower in Chromium (bench/snippet.ts).
    expect(walkers.mock.calls.length).toBeGreaterThan(0);
    for (const c of walkers.mock.calls) expect(c[2]).toBeUndefined();
  });

  it("writes text as text, never markup", async () => {
    stubFetch(answer([alloc("web", [US], { ...US_T, national: "<b>x</b>" })]));
    page("<p id='t'>1-800-FLOWERS or (800) 555-0199</p>");
    await run().number();
    expect(document.querySelector("#t b")).toBeNull();
  });
});

describe("content added later (SPA)", () => {
  it("swaps what is added, and what changes, once", async () => {
    stubFetch();
    page(PAGE);
    await run().number();
    const records: MutationRecord[] = [];
    new MutationObserver((r) => records.push(...r)).observe(document.body, { childList: true, subtree: true, characterData: true });
    const walks = vi.spyOn(document, "createTreeWalker");
    document.body.insertAdjacentHTML("beforeend", "<div id='n'><span>New: 800-555-0199</span><a href='tel:(800)555-0199'>call</a></div>");
    (document.querySelector("#o")!.firstChild as Text).data = "Changed: 1 (800) 555-0199";
    await flush();
    expect(text("#n span")).toBe("New: 800-555-0123");
    expect(href("#n a")).toBe("tel:+18005550123");
    expect(text("#o")).toBe("Changed: 1 (800) 555-0123");
    // Only what was added or changed was scanned, in one batch...
    expect(walks.mock.calls.map((c) => (c[0] as Element).id)).toEqual(["n", "o"]);
    const n = records.length;
    await flush(5);
    // ...and its own writes made it scan nothing more.
    expect(walks).toHaveBeenCalledTimes(2);
    expect(records.length).toBe(n);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it("swaps a tel: link added on its own (the added node itself, not only inside it)", async () => {
    stubFetch();
    page(PAGE);
    await run().number();
    const a = document.createElement("a");
    a.href = "tel:+1-800-555-0199";
    a.textContent = "Call";
    document.body.appendChild(a);
    await flush();
    expect(a.getAttribute("href")).toBe("tel:+18005550123");
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it("leaves content added into an opt-out alone", async () => {
    stubFetch();
    page(`${PAGE}<div id='i' data-dni-ignore></div>`);
    await run().number();
    document.querySelector("#i")!.insertAdjacentHTML("beforeend", "<p>(800) 555-0199</p>");
    await flush();
    expect(text("#i")).toBe("(800) 555-0199");
  });

  it("asks when a number first appears later", async () => {
    const f = stubFetch();
    page("<main></main>");
    const dni = run();
    await flush();
    expect(f).not.toHaveBeenCalled();
    document.querySelector("main")!.innerHTML = "<p id='t'>Call (800) 555-0199</p>";
    await flush();
    expect(f).toHaveBeenCalledTimes(1);
    await dni.number();
    expect(text("#t")).toBe("Call (800) 555-0123");
  });
});

describe("click-to-reveal", () => {
  it("shows the original and allocates only on the first click", async () => {
    const f = stubFetch();
    page(`<p>Ask us: <button id="r" data-dni-reveal>(800) 555-0199</button></p>
          <a id="a" data-dni-reveal href="tel:+18005550199">Show number</a>`);
    run();
    await flush();
    expect(f).not.toHaveBeenCalled();
    const ev = new MouseEvent("click", { bubbles: true, cancelable: true });
    document.querySelector("#a")!.dispatchEvent(ev);
    expect(ev.defaultPrevented).toBe(true);
    await flush();
    expect(f).toHaveBeenCalledTimes(1);
    expect(href("#a")).toBe("tel:+18005550123");
    expect(text("#r")).toBe("(800) 555-0199");
    (document.querySelector("#r") as HTMLElement).click();
    await flush();
    expect(text("#r")).toBe("(800) 555-0123");
    expect(f).toHaveBeenCalledTimes(1);
    const again = new MouseEvent("click", { bubbles: true, cancelable: true });
    document.querySelector("#a")!.dispatchEvent(again);
    expect(again.defaultPrevented).toBe(false); // the second click dials
  });

  it("swaps a revealed tel: link itself when the number is already known", async () => {
    const f = stubFetch();
    page(`<p>Ask us: <button id="r" data-dni-reveal>(800) 555-0199</button></p>
          <a id="a" data-dni-reveal href="tel:+18005550199">Show number</a>`);
    run();
    (document.querySelector("#r") as HTMLElement).click();
    await flush();
    expect(text("#r")).toBe("(800) 555-0123");
    // The second reveal is answered from the lease in use: only the clicked link is scanned.
    (document.querySelector("#a") as HTMLElement).click();
    await flush();
    expect(href("#a")).toBe("tel:+18005550123");
    expect(f).toHaveBeenCalledTimes(1);
  });
});

describe("JS API and integrations", () => {
  it("gets the number for a destination, in any format", async () => {
    stubFetch(answer([alloc("web", [US], US_T), alloc("uk", [UK], UK_T)]));
    page(PAGE);
    const dni = run();
    expect(await dni.number("+18005550199")).toEqual(US_T);
    expect(await dni.number("020 7946 0958")).toEqual(UK_T);
    expect(await dni.number()).toEqual(US_T);
    expect(await dni.number("+15550000000")).toBeNull();
    const cb = vi.fn();
    await dni("number", "+442079460958", cb);
    expect(cb).toHaveBeenCalledWith(UK_T);
  });

  it("throws nothing into the page for a command it does not have (consent without data-consent, a typo)", async () => {
    const f = stubFetch();
    page("<p>nothing</p>");
    const dni = run();
    // A CMP's callback calling dni("consent", …) on a page whose tag has no data-consent goes on.
    expect(() => dni("consent", true)).not.toThrow();
    expect(() => (dni as (command: string) => unknown)("numbr")).not.toThrow();
    await flush();
    expect(f).not.toHaveBeenCalled();
    expect(warn).not.toHaveBeenCalled();
  });

  it("allocates when asked, even on a page without numbers", async () => {
    const f = stubFetch();
    page("<p>nothing</p>");
    expect(await run().number("+18005550199")).toEqual(US_T);
    expect(f).toHaveBeenCalledTimes(1);
  });

  it("fires dni:swap once per destination, and pushes to dataLayer", async () => {
    stubFetch();
    page(`${PAGE}<p>Again: 800-555-0199</p>`, "https://shop.example/?utm_medium=email");
    const events: CustomEvent[] = [];
    document.addEventListener("dni:swap", (e) => events.push(e as CustomEvent));
    await run().number();
    await flush();
    const detail = { destination: "+18005550199", number: "+18005550123", source: "email" };
    expect(events.map((e) => e.detail)).toEqual([detail]);
    expect((window as any).dataLayer).toEqual([{ event: "dni:swap", dni: detail }]);
  });
});

describe("anti-flicker", () => {
  it("hides what looks like a number until the answer", async () => {
    let answerNow!: () => void;
    vi.stubGlobal(
      "fetch",
      vi.fn(() => new Promise<Response>((r) => (answerNow = () => r(new Response(JSON.stringify(answer([alloc("web", [US], US_T)]))))))),
    );
    page(PAGE);
    const dni = run({ hide: "" });
    const t = document.querySelector("#t") as HTMLElement;
    expect(t.style.visibility).toBe("hidden");
    expect((document.querySelector("header") as HTMLElement).style.visibility).toBe("");
    answerNow();
    await dni.number();
    expect(t.style.visibility).toBe("");
    expect(text("#t")).toBe("Call us: (800) 555-0123");
  });

  it("leaves visible what the page's own script showed meanwhile (a scroll-reveal effect)", async () => {
    let answerNow!: () => void;
    vi.stubGlobal(
      "fetch",
      vi.fn(() => new Promise<Response>((r) => (answerNow = () => r(new Response(JSON.stringify(answer([alloc("web", [US], US_T)]))))))),
    );
    page(`<style>.reveal{visibility:hidden}</style><section id="s" class="reveal"><p id="t">Call us: (800) 555-0199</p></section>`);
    const dni = run({ hide: "" });
    const t = document.querySelector("#t") as HTMLElement;
    expect(t.style.visibility).toBe("hidden");
    // The page reveals it inline before the answer (as ScrollReveal and AOS do).
    t.style.visibility = "visible";
    answerNow();
    await dni.number();
    expect(t.style.visibility).toBe("visible");
    expect(text("#t")).toBe("Call us: (800) 555-0123");
  });

  it("shows them again after a second at most", async () => {
    vi.useFakeTimers();
    vi.stubGlobal(
      "fetch",
      vi.fn(() => new Promise<Response>(() => {})),
    );
    page(PAGE);
    run({ hide: "" });
    const t = document.querySelector("#t") as HTMLElement;
    expect(t.style.visibility).toBe("hidden");
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.style.visibility).toBe("");
  });

  it("hides nothing when off", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(() => new Promise<Response>(() => {})),
    );
    page(PAGE);
    run();
    expect((document.querySelector("#t") as HTMLElement).style.visibility).toBe("");
  });

  it("hides nothing when swapping from the cache", async () => {
    stubFetch();
    page(PAGE);
    await run().number();
    leave();
    page(PAGE);
    run({ hide: "" });
    expect((document.querySelector("#t") as HTMLElement).style.visibility).toBe("");
    expect(text("#t")).toBe("Call us: (800) 555-0123");
  });

  it("a repeat view begun before the page's body is parsed hides what then waits for hydration, until React hydrates it", async () => {
    stubFetch();
    page(PAGE);
    await run().number();
    leave();
    // The snippet runs from the head, swapping from the cache: the body is not parsed yet.
    page("");
    run({ hide: "" });
    // Then the server-rendered app's root is parsed: React's container, not hydrated yet.
    const root = document.createElement("div");
    (root as any).__reactContainer$test = {};
    root.innerHTML = '<p id="t">Call us: (800) 555-0199</p>';
    document.body.append(root);
    await flush();
    const t = document.querySelector("#t") as HTMLElement;
    expect(t.style.visibility).toBe("hidden");
    expect(text("#t")).toBe("Call us: (800) 555-0199");
    // React hydrates the node: the retry swaps it and shows it.
    (t as any).__reactFiber$test = {};
    // The next retry (every 50 ms) swaps it and shows it.
    await vi.waitFor(() => expect(text("#t")).toBe("Call us: (800) 555-0123"), { timeout: 1_000, interval: 10 });
    expect(t.style.visibility).toBe("");
  });

  it("shows them again on a failure", async () => {
    stubFetch({ error: { code: "x", message: "x" } }, 500);
    page(PAGE);
    const dni = run({ hide: "" });
    expect((document.querySelector("#t") as HTMLElement).style.visibility).toBe("hidden");
    await dni.number();
    expect((document.querySelector("#t") as HTMLElement).style.visibility).toBe("");
  });
});

describe("numbers split over inline elements", () => {
  /** The page after a first view (one answer: US → US_T). */
  const swapped = async (html: string) => {
    const f = stubFetch();
    page(html);
    await run().number();
    expect(f).toHaveBeenCalledTimes(1);
    return document.body.innerHTML;
  };

  it.each([
    ["<p><b>(800)</b> 555-0199</p>", "<p><b>(800)</b> 555-0123</p>"],
    ['<p><a href="tel:+18005550199"><span>800</span>-555-0199</a></p>', '<p><a href="tel:+18005550123"><span>800</span>-555-0123</a></p>'],
    ["<p>Call <strong>800</strong>.<strong>555</strong>.0199</p>", "<p>Call <strong>800</strong>.<strong>555</strong>.0123</p>"],
    // The tracking number's digits land in the nodes that held the original's.
    ["<p>Call <i>800-555-01</i><u>99</u> now</p>", "<p>Call <i>800-555-01</i><u>23</u> now</p>"],
    ["<p>+1 <span>800 </span><span>55</span><em>5 01</em>99</p>", "<p>+1 <span>800 </span><span>55</span><em>5 01</em>23</p>"],
    // Nested inline elements, a comment between, several numbers in one run.
    [
      "<div><b><i>(800)</i></b><!-- x --> <font>555</font>-0199 or <small>800</small>.555.0199</div>",
      "<div><b><i>(800)</i></b><!-- x --> <font>555</font>-0123 or <small>800</small>.555.0123</div>",
    ],
    // A label glued to the number (JSX drops the whitespace between lines): found, as before.
    ["<p><span>Call us</span><a>(800) 555-0199</a></p>", "<p><span>Call us</span><a>(800) 555-0123</a></p>"],
    ["<p><span>Tel:</span><a>800.555.0199</a><span>Mon-Fri</span></p>", "<p><span>Tel:</span><a>800.555.0123</a><span>Mon-Fri</span></p>"],
    // A number in one node next to a split one.
    ["<p><b>(800)</b> 555-0199 or (800) 555-0199</p>", "<p><b>(800)</b> 555-0123 or (800) 555-0123</p>"],
    // A link's text is a run of its own: glued to a digit of the link before or the text after (JSX,
    // minified markup), it is still swapped, as its href is (the number shown is the number dialled).
    [
      '<div><a href="tel:+14155550132">(415) 555-0132</a><a href="tel:+18005550199">(800) 555-0199</a></div>',
      '<div><a href="tel:+14155550132">(415) 555-0132</a><a href="tel:+18005550123">(800) 555-0123</a></div>',
    ],
    ['<p><a href="tel:+18005550199">(800) 555-0199</a><span>24/7</span></p>', '<p><a href="tel:+18005550123">(800) 555-0123</a><span>24/7</span></p>'],
    ["<p>Ref 12<a>8005550199</a>3</p>", "<p>Ref 12<a>8005550123</a>3</p>"],
    // A footnote's mark is no digit of the number.
    ["<p>Call (800) 555-0199<sup>1</sup> or 800-555-0199<sub>2</sub></p>", "<p>Call (800) 555-0123<sup>1</sup> or 800-555-0123<sub>2</sub></p>"],
  ])("swaps %s", async (html, out) => {
    expect(await swapped(html)).toBe(out);
  });

  it("writes the national form into the first node when the shapes differ", async () => {
    stubFetch(answer([alloc("uk", [UK], UK_9), alloc("web", [FLOWERS], US_T)]));
    page("<p id='a'>Call <b>020</b> 7946 0958 today</p><p id='b'>1-800-<b>FLOWERS</b>!</p>");
    await run().number();
    expect(document.querySelector("#a")!.innerHTML).toBe("Call <b>016977 2345</b> today");
    expect(document.querySelector("#b")!.innerHTML).toBe("(800) 555-0123<b></b>!");
  });

  it.each([
    ["across two paragraphs", "<p>(800)</p><p>555-0199</p>"],
    ["across a <br>", "<p>(800)<br>555-0199</p>"],
    ["across a block inside an inline element", "<span>(800) <div>x</div>555-0199</span>"],
    ["out of a block into its parent's text", "<div><p>Call (800)</p> 555-0199</div>"],
    ["across a table cell", "<table><tbody><tr><td>(800)</td><td>555-0199</td></tr></tbody></table>"],
    ["across an element not in the inline list", "<p><button>(800)</button> 555-0199</p>"],
    ["across an opt-out", '<p>(800) <span data-dni-ignore="">x</span>555-0199</p>'],
    ["across an empty opt-out", '<p>(800) <b data-dni-ignore=""></b>555-0199</p>'],
    ["across code", "<p>(800) <script>//</script>555-0199</p>"],
    ["across an unrevealed number", '<p>(800) <span data-dni-reveal="">Show</span>555-0199</p>'],
    ["a longer digit run (a digit before)", "<p>9<b>800</b>555-0199</p>"],
    ["a longer digit run (a digit after)", "<p><b>800</b>555-0199<i>0</i></p>"],
    ["a longer digit run, the destination in one node", "<p><b>9</b>8005550199</p>"],
    ["a longer digit run, the destination in one node (after)", "<p>8005550199<b>1</b></p>"],
    ["a longer digit run over many nodes", "<p><b>1</b>8<b>0</b>0555<i>0</i>19<u>9</u>0</p>"],
    ["a longer digit run (. and a digit after)", "<p><b>800</b>.555.0199<i>.5</i></p>"],
    ["a longer digit run (a digit and a parenthesis before)", "<p>9(<b>800</b>) 555-0199</p>"],
    ["a price", "<p>$1,<b>800</b>.555.0199</p>"],
  ])("leaves a number split %s", async (_, html) => {
    stubFetch();
    page(`${html}<p>(800) 555-0199</p>`); // a destination elsewhere: an answer comes
    await run().number();
    expect(document.body.innerHTML).toBe(`${html}<p>(800) 555-0123</p>`);
  });

  it("asks on a first view where the only number is split, and hides its elements", async () => {
    let answerNow!: () => void;
    const f = vi.fn(() => new Promise<Response>((r) => (answerNow = () => r(new Response(JSON.stringify(answer([alloc("web", [US], US_T)])))))));
    vi.stubGlobal("fetch", f);
    page("<p id='t'>Call <strong>800</strong>.<strong>555</strong>.0199</p><p id='o'>Other</p>");
    const dni = run({ hide: "" });
    expect(f).toHaveBeenCalledTimes(1);
    expect((document.querySelector("#t") as HTMLElement).style.visibility).toBe("hidden");
    expect((document.querySelector("#t strong") as HTMLElement).style.visibility).toBe("hidden");
    expect((document.querySelector("#o") as HTMLElement).style.visibility).toBe("");
    answerNow();
    await dni.number();
    expect(text("#t")).toBe("Call 800.555.0123");
    expect((document.querySelector("#t") as HTMLElement).style.visibility).toBe("");
  });

  it("swaps a split number from the cache, and one added later, without reacting to its own writes", async () => {
    stubFetch();
    page("<p>(800) 555-0199</p>");
    await run().number();
    leave();
    const f = stubFetch();
    page("<p id='t'><b>(800)</b> 555-0199</p><div id='app'></div>");
    run();
    expect(text("#t")).toBe("(800) 555-0123");
    const walks = vi.spyOn(document, "createTreeWalker");
    document.querySelector("#app")!.innerHTML = "<p id='n'>Call <span>800</span>-<span>555</span>-0199</p>";
    document.querySelector("#t")!.insertAdjacentHTML("beforeend", " or <b>800</b>.555.0199");
    await flush();
    expect(text("#n")).toBe("Call 800-555-0123");
    expect(text("#t")).toBe("(800) 555-0123 or 800.555.0123");
    const n = walks.mock.calls.length;
    await flush(5);
    expect(walks).toHaveBeenCalledTimes(n); // its own writes made it scan nothing more
    expect(f).not.toHaveBeenCalled();
  });

  it("leaves a run holding a \\0 of its own (never from HTML, only from scripts) unchanged", async () => {
    stubFetch();
    page("<p id='t'><b>x</b>(800) 555-0199</p><p id='u'><b>x</b>y</p><p>(800) 555-0199</p>");
    for (const id of ["t", "u"]) (document.querySelector(`#${id} b`)!.firstChild as Text).data = "a\0b";
    await run().number();
    expect(text("#t")).toBe("a\0b(800) 555-0199");
    expect(text("#u")).toBe("a\0by");
  });
});
