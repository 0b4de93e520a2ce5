/**
 * data-consent (snippet/consent.ts): nothing stored, asked or swapped before a consent signal;
 * denied: no storage, no click ids or GA client id, and a number only with "anonymous"; granted
 * mid-page: stored and swapped without a reload. Signals: dni("consent"), Consent Mode on the
 * dataLayer, IAB TCF v2.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { store } from "../../snippet/cache";
import { gated } from "../../snippet/consent";
import { debug } from "../../snippet/debug";
import type { Api } from "../../snippet/main";
import { API, flush, KEY, leave, page, reset, sent, stubFetch } from "./helpers";

const GA = "_ga=GA1.1.1234567890.1700000000";
/** The page's GA4 stream session cookie (its session id: 1747132561). */
const GA_SESSION = "_ga_ABC123=GS2.1.s1747132561$o1$g0$t1747132655$j0$l0$h0";
const PAGE = "<p id='t'>Call (800) 555-0199</p><a id='l' href='tel:+18005550199'>call</a>";
const LANDING = "https://shop.example/?gclid=Cj0-secret&utm_source=google";

const text = () => document.querySelector("#t")!.textContent;
/** Everything the page could have stored. */
const stored = () => ({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie });
const UNTOUCHED = { local: {}, session: {}, cookie: `${GA}; ${GA_SESSION}` };

/** The page's gtag(): it pushes its arguments object onto the dataLayer. */
function gtag(..._a: unknown[]) {
  // biome-ignore lint/complexity/noArguments: gtag's own shape: the arguments object is what it pushes.
  (window as any).dataLayer.push(arguments);
}

let running: Api[] = [];
const consentMode = (mode = "") => {
  const a = gated({ key: KEY, api: API, consent: mode });
  running.push(a);
  return a;
};

beforeEach(() => {
  vi.spyOn(console, "warn").mockImplementation(() => {});
  page(PAGE, LANDING);
  // biome-ignore lint/suspicious/noDocumentCookie: the page's own GA cookie.
  document.cookie = GA;
  // biome-ignore lint/suspicious/noDocumentCookie: and its GA4 stream's session cookie.
  document.cookie = GA_SESSION;
});
afterEach(async () => {
  for (const a of running) a.stop?.();
  running = [];
  await flush();
  reset();
  sessionStorage.clear();
  delete (window as any).__tcfapi;
  delete (document as any).readyState; // back to happy-dom's own
  store.on = true;
  store.domain = "";
});

describe("before any signal", () => {
  it("asks nothing, stores nothing, swaps nothing", async () => {
    const f = stubFetch();
    consentMode();
    await flush();
    expect(f).not.toHaveBeenCalled();
    expect(stored()).toEqual(UNTOUCHED);
    expect(text()).toBe("Call (800) 555-0199");
  });
});

describe("denied", () => {
  it("data-consent: no request, no storage, no swap; a stored session of an earlier visit is removed", async () => {
    const f = stubFetch();
    localStorage["dni:t"] = JSON.stringify("token-of-an-earlier-visit");
    localStorage["dni:s"] = JSON.stringify({ i: "1-2-3-4", s: {}, c: [] }); // an older snippet's
    const dni = consentMode();
    await dni("consent", false);
    expect(await dni.number()).toBeNull();
    await flush();
    expect(f).not.toHaveBeenCalled();
    expect(stored()).toEqual(UNTOUCHED);
    expect(text()).toBe("Call (800) 555-0199");
  });

  it('data-consent="anonymous": a number for a session kept in memory; no storage; no click ids or GA client id sent', async () => {
    const f = stubFetch();
    const dni = consentMode("anonymous");
    await dni("consent", false);
    await dni.number();
    expect(text()).toBe("Call (800) 555-0123");
    expect(document.querySelector("#l")!.getAttribute("href")).toBe("tel:+18005550123");
    const body = sent(f);
    expect(body.token).toBeUndefined(); // a new session, kept in memory
    expect(body.source).toEqual({
      landing: "https://shop.example/?gclid=withheld&utm_source=google",
      referrer: "",
      consent: { adStorage: "denied", analyticsStorage: "denied", adUserData: "denied", adPersonalization: "denied" },
    });
    expect(JSON.stringify(body)).not.toContain("Cj0-secret");
    expect(JSON.stringify(body)).not.toContain("1234567890");
    expect(JSON.stringify(body)).not.toContain("1747132561");
    expect(stored()).toEqual(UNTOUCHED);
  });
});

describe("granted", () => {
  it("mid-page after denied: the page is swapped without a reload, the session stored", async () => {
    const f = stubFetch();
    const dni = consentMode();
    await dni("consent", false);
    expect(text()).toBe("Call (800) 555-0199");
    await dni("consent", true);
    await dni.number();
    expect(text()).toBe("Call (800) 555-0123");
    const body = sent(f);
    expect(body.source).toMatchObject({
      landing: LANDING,
      gaClientId: [GA, GA_SESSION],
      consent: { adStorage: "granted", analyticsStorage: "granted" },
    });
    expect(JSON.parse(localStorage["dni:t"]!)).toBe(f.answers[0].token);
    expect(JSON.parse(localStorage["dni:a"]!).session).toBe(f.answers[0].session);
  });

  it("mid-page after anonymous: the same session (and number) is stored and renewed with the click id and consent", async () => {
    const f = stubFetch();
    const dni = consentMode("anonymous");
    await dni("consent", false);
    await dni.number();
    const anon = f.answers[0].token;
    await dni("consent", true);
    await dni.number();
    await flush();
    expect(f).toHaveBeenCalledTimes(2);
    // The anonymous session's token goes on, with what may now be sent: the worker keeps the session
    // and fills in its first touch's withheld click id and GA client id (test/worker/session.test.ts).
    const renewed = sent(f, 1);
    expect(renewed.token).toBe(anon);
    expect(renewed.source).toMatchObject({ landing: LANDING, gaClientId: [GA, GA_SESSION], consent: { adStorage: "granted" } });
    expect(f.answers[1].session).toBe(f.answers[0].session);
    expect(JSON.parse(localStorage["dni:t"]!)).toBe(anon);
    expect(text()).toBe("Call (800) 555-0123");
  });

  it("with ad consent, the Google click cookies' raw values go too; never without", async () => {
    // biome-ignore lint/suspicious/noDocumentCookie: the page's own Google Ads cookie.
    document.cookie = "_gcl_aw=GCL.1700000000.Cj0-cookie";
    const f = stubFetch();
    const dni = consentMode("anonymous");
    await dni("consent", false);
    await dni.number();
    expect(sent(f, 0).source.clickIds).toBeUndefined();
    await dni("consent", true);
    await dni.number();
    await flush();
    expect(sent(f, 1).source.clickIds).toEqual({ gcl_aw: "GCL.1700000000.Cj0-cookie" });
  });

  it("withdrawn while a failed renewal waits to be asked again, or while a renewal is in flight: nothing more is asked or swapped", async () => {
    vi.useFakeTimers();
    try {
      const f = stubFetch();
      const ok = f.getMockImplementation()!;
      const dni = consentMode();
      // Requests made with the visit as granted (its click ids, GA cookies), and the withdrawal notices (withheld, denied).
      const bodies = () => f.mock.calls.map((c) => JSON.parse(c[1]!.body as string) as { source: { consent: { adStorage: string } } });
      const granted = () => bodies().filter((b) => b.source.consent.adStorage === "granted").length;
      const told = () => bodies().filter((b) => b.source.consent.adStorage === "denied").length;
      await dni("consent", true);
      await dni.number();
      expect(text()).toBe("Call (800) 555-0123");
      // The renewal fails (offline): asked again in 20 s…
      f.mockImplementation(async () => Promise.reject(new TypeError("Failed to fetch")));
      await vi.advanceTimersByTimeAsync(f.answers[0].renew);
      expect(granted()).toBe(2);
      // …but the visitor withdraws first: no request after that.
      await dni("consent", false);
      f.mockImplementation(ok);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(granted()).toBe(2);
      // (Once, the worker is told of the withdrawal: the session's token, nothing of the visit.)
      expect(told()).toBe(1);
      expect(stored()).toEqual(UNTOUCHED);
      // A renewal in flight when consent is withdrawn: its late answer swaps and stores nothing.
      let answer!: () => void;
      f.mockImplementation(
        (...args: Parameters<typeof ok>) => new Promise<Response>((resolve) => (answer = () => resolve(ok(...args) as unknown as Response))),
      );
      await dni("consent", true);
      await vi.advanceTimersByTimeAsync(0);
      expect(granted()).toBe(3);
      await dni("consent", false);
      answer();
      // Past its renewal time: the withdrawn instance asks nothing more.
      await vi.advanceTimersByTimeAsync(f.answers[0].lease);
      expect(granted()).toBe(3);
      expect(stored()).toEqual(UNTOUCHED);
      // Its late answer leased with what was granted: the worker is told once it has come (the token it gave).
      expect(told()).toBe(2);
      const late = f.answers[f.answers.length - 1].token;
      expect(
        bodies()
          .filter((b) => b.source.consent.adStorage === "denied")
          .map((b) => (b as { token?: string }).token),
      ).toContain(late);
      // A renewal in flight when consent is withdrawn that then fails: not asked again 20 s later
      // (that request would carry the visit's click ids and GA cookies).
      f.mockImplementation(ok);
      await dni("consent", true);
      await dni.number();
      expect(granted()).toBe(4);
      let fail!: () => void;
      f.mockImplementation(() => new Promise<Response>((_, reject) => (fail = () => reject(new TypeError("Failed to fetch")))));
      await vi.advanceTimersByTimeAsync(f.answers[0].renew);
      expect(granted()).toBe(5);
      await dni("consent", false);
      fail();
      await vi.advanceTimersByTimeAsync(60_000);
      expect(granted()).toBe(5);
      expect(told()).toBe(3);
      expect(stored()).toEqual(UNTOUCHED);
    } finally {
      vi.useRealTimers();
    }
  });

  it("withdrawn before the first answer, then granted again before its token came: the abandoned session is not told", async () => {
    vi.useFakeTimers();
    try {
      const f = stubFetch();
      const ok = f.getMockImplementation()!;
      let answer!: () => void;
      f.mockImplementation(
        (...args: Parameters<typeof ok>) => new Promise<Response>((resolve) => (answer = () => resolve(ok(...args) as unknown as Response))),
      );
      const dni = consentMode();
      await dni("consent", true);
      await vi.advanceTimersByTimeAsync(0);
      expect(f).toHaveBeenCalledTimes(1);
      const late = answer;
      await dni("consent", false);
      f.mockImplementation(ok);
      await dni("consent", true);
      late();
      await vi.advanceTimersByTimeAsync(0);
      const abandoned = f.answers[f.answers.length - 1].token;
      await vi.advanceTimersByTimeAsync(3_000);
      const withIt = f.mock.calls.slice(1).filter((c) => JSON.parse(c[1]!.body as string).token === abandoned);
      expect(withIt).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("withdrawn while the answer is live: the worker is told at once (the session's token, click ids withheld, no GA client id, denied)", async () => {
    const f = stubFetch();
    const dni = consentMode();
    await dni("consent", true);
    await dni.number();
    expect(f).toHaveBeenCalledTimes(1);
    expect(sent(f).source.landing).toBe(LANDING);
    const token = f.answers[0].token;
    await dni("consent", false);
    await flush();
    expect(f).toHaveBeenCalledTimes(2);
    const told = sent(f, 1);
    expect(told.token).toBe(token);
    expect(told.source.landing).toBe("https://shop.example/?gclid=withheld&utm_source=google");
    expect(told.source.gaClientId).toBeUndefined();
    expect(told.source.consent).toEqual({ adStorage: "denied", analyticsStorage: "denied", adUserData: "denied", adPersonalization: "denied" });
    expect(JSON.stringify(told)).not.toContain("Cj0-secret");
    // Nothing more is asked, and what was stored is gone.
    await flush();
    expect(f).toHaveBeenCalledTimes(2);
    expect(stored()).toEqual(UNTOUCHED);
  });

  it("ad user data withdrawn alone (storage still granted, the mode unchanged): the worker is told with the new state", async () => {
    const f = stubFetch();
    (window as any).dataLayer = [];
    const dni = consentMode();
    gtag("consent", "update", { ad_storage: "granted", analytics_storage: "granted", ad_user_data: "granted" });
    await dni.number();
    expect(f).toHaveBeenCalledTimes(1);
    gtag("consent", "update", { ad_user_data: "denied" });
    await flush();
    expect(f).toHaveBeenCalledTimes(2);
    expect(sent(f, 1).token).toBe(f.answers[0].token);
    expect(sent(f, 1).source.consent.adUserData).toBe("denied");
    delete (window as any).dataLayer;
  });

  it("ads withdrawn, analytics kept (Consent Mode update): the worker is told; the session and its storage go on", async () => {
    const f = stubFetch();
    (window as any).dataLayer = [];
    const dni = consentMode();
    gtag("consent", "update", { ad_storage: "granted", analytics_storage: "granted" });
    await dni.number();
    const token = f.answers[0].token;
    // The visit's next page (no click id in its URL): the cached answer is live, nothing is asked.
    dni.stop?.();
    leave();
    page(PAGE, "https://shop.example/contact");
    (window as any).dataLayer = [];
    const next = consentMode();
    gtag("consent", "update", { ad_storage: "granted", analytics_storage: "granted" });
    await next.number();
    expect(f).toHaveBeenCalledTimes(1);
    gtag("consent", "update", { ad_storage: "denied" });
    await flush();
    expect(f).toHaveBeenCalledTimes(2);
    const told = sent(f, 1);
    expect(told.token).toBe(token);
    expect(told.source.landing).toBe("https://shop.example/contact");
    expect(told.source.gaClientId).toEqual([GA, GA_SESSION]);
    expect(told.source.consent.adStorage).toBe("denied");
    expect(JSON.parse(localStorage["dni:t"]!)).toBe(token);
    delete (window as any).dataLayer;
  });

  it("withdrawn later: what was stored is removed", async () => {
    const f = stubFetch();
    const dni = consentMode();
    await dni("consent", true);
    await dni.number();
    expect(JSON.parse(localStorage["dni:t"]!)).toBe(f.answers[f.answers.length - 1].token);
    await dni("consent", false);
    expect(stored()).toEqual(UNTOUCHED);
  });
});

describe("the page's own calls", () => {
  it("nothing the snippet throws on a decision reaches the page's dataLayer.push or dni('consent')", async () => {
    // A page that froze Element.prototype's attachShadow: starting the snippet throws (strict mode).
    const descriptor = Object.getOwnPropertyDescriptor(Element.prototype, "attachShadow")!;
    Object.defineProperty(Element.prototype, "attachShadow", { ...descriptor, writable: false });
    // The half-started snippet's observer, disconnected after the test (no api.stop to call).
    const observers: MutationObserver[] = [];
    vi.stubGlobal(
      "MutationObserver",
      class extends MutationObserver {
        constructor(callback: MutationCallback) {
          super(callback);
          observers.push(this);
        }
      },
    );
    try {
      stubFetch();
      const layer: unknown[] = [];
      (window as any).dataLayer = layer;
      const dni = consentMode();
      expect(() => gtag("consent", "update", { ad_storage: "granted", analytics_storage: "granted" })).not.toThrow();
      expect(() => dni("consent" as never, true as never)).not.toThrow();
      await flush();
      expect(console.warn).toHaveBeenCalled();
      expect(text()).toBe("Call (800) 555-0199");
    } finally {
      for (const o of observers) o.disconnect();
      Object.defineProperty(Element.prototype, "attachShadow", descriptor);
      delete (window as any).dataLayer;
    }
  });
});

describe("Consent Mode v2 (gtag on the dataLayer)", () => {
  it("a default pushed before the snippet decides at once; an update pushed later swaps mid-page", async () => {
    const f = stubFetch();
    (window as any).dataLayer = [];
    gtag("consent", "default", { ad_storage: "denied", analytics_storage: "denied", ad_user_data: "denied" });
    const dni = consentMode();
    await flush();
    expect(f).not.toHaveBeenCalled();
    gtag("consent", "update", { ad_storage: "granted", analytics_storage: "granted", ad_user_data: "granted" });
    await dni.number();
    expect(text()).toBe("Call (800) 555-0123");
    expect(sent(f).source.consent).toEqual({ adStorage: "granted", analyticsStorage: "granted", adUserData: "granted" });
  });

  it("a returning visitor: the page's default denial erases nothing, and the CMP's grant that follows goes on with their session", async () => {
    const f = stubFetch();
    localStorage["dni:t"] = JSON.stringify("token-of-an-earlier-visit");
    (window as any).dataLayer = [];
    gtag("consent", "default", { ad_storage: "denied", analytics_storage: "denied" });
    const dni = consentMode();
    await flush();
    expect(f).not.toHaveBeenCalled();
    expect(JSON.parse(localStorage["dni:t"]!)).toBe("token-of-an-earlier-visit");
    gtag("consent", "update", { ad_storage: "granted", analytics_storage: "granted" });
    await dni.number();
    expect(sent(f).token).toBe("token-of-an-earlier-visit");
    // The visitor's own denial does erase.
    gtag("consent", "update", { analytics_storage: "denied", ad_storage: "denied" });
    await flush();
    expect(localStorage["dni:t"]).toBeUndefined();
  });

  it("wait_for_update: defaults decide nothing until the CMP's update (no anonymous lease first), or until the wait is over", async () => {
    const f = stubFetch();
    localStorage["dni:t"] = JSON.stringify("token-of-an-earlier-visit");
    (window as any).dataLayer = [];
    gtag("consent", "default", { ad_storage: "denied", analytics_storage: "denied", wait_for_update: 500 });
    const dni = consentMode("anonymous");
    await flush();
    expect(f).not.toHaveBeenCalled();
    gtag("consent", "update", { ad_storage: "granted", analytics_storage: "granted" });
    await dni.number();
    expect(f).toHaveBeenCalledTimes(1);
    expect(sent(f).token).toBe("token-of-an-earlier-visit");

    // No update within the wait: the defaults decide once it is over (here, a number kept in memory).
    for (const a of running) a.stop?.();
    const g = stubFetch();
    (window as any).dataLayer = [];
    gtag("consent", "default", { ad_storage: "denied", analytics_storage: "denied", wait_for_update: 40 });
    const late = consentMode("anonymous");
    await flush();
    expect(g).not.toHaveBeenCalled();
    await vi.waitFor(() => expect(g).toHaveBeenCalledTimes(1));
    await late.number();
    expect(sent(g).token).toBeUndefined();
    expect(text()).toBe("Call (800) 555-0123");
  });

  it("analytics granted, ads denied: stored, but the click ids withheld", async () => {
    const f = stubFetch();
    (window as any).dataLayer = [];
    gtag("consent", "default", { ad_storage: "denied", analytics_storage: "granted" });
    const dni = consentMode();
    await dni.number();
    expect(sent(f).source.landing).toBe("https://shop.example/?gclid=withheld&utm_source=google");
    expect(sent(f).source.gaClientId).toEqual([GA, GA_SESSION]);
    expect(JSON.parse(localStorage["dni:t"]!)).toBe(f.answers[f.answers.length - 1].token);
  });
});

describe("Consent Mode defaults scoped by region", () => {
  const EU = ["AT", "BE", "DE", "ES", "FR", "IT", "NL"];
  const DENIED = { ad_storage: "denied", analytics_storage: "denied" };
  const GRANTED = { ad_storage: "granted", analytics_storage: "granted" };

  /**
   * fetch as the page sees it: GET /v1/region answers `where` (a Promise: when it settles; an
   * Error: a network failure), anything else goes to the allocation stub (so `f` counts and
   * records allocations only); `asked` holds each region request.
   */
  const located = (where: unknown) => {
    const f = stubFetch();
    const asked: [string, RequestInit | undefined][] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string, init?: RequestInit) => {
        if (!url.endsWith("/v1/region")) return f(url, init);
        asked.push([url, init]);
        // The page gives up on its request (abort): the fetch rejects, as a browser's does.
        const w = await Promise.race([
          where,
          new Promise((_, reject) => init?.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")))),
        ]);
        if (w instanceof Error) throw w;
        return new Response(JSON.stringify(w), { status: typeof w === "number" ? w : 200 });
      }),
    );
    return Object.assign(f, { asked });
  };
  const deferred = () => {
    let settle!: (v: unknown) => void;
    const p = new Promise((r) => (settle = r));
    return Object.assign(p, { settle });
  };
  /** The common setup: denied in the EU, granted everywhere else (the global default pushed after). */
  const euDenied = () => {
    (window as any).dataLayer = [];
    gtag("consent", "default", { ...DENIED, region: EU });
    gtag("consent", "default", GRANTED);
  };

  it("denied in the EU, granted elsewhere: a visitor in Spain is denied (nothing asked, stored or swapped)", async () => {
    const f = located({ country: "ES", subdivision: "ES-CT" });
    euDenied();
    const dni = consentMode();
    expect(await dni.number()).toBeNull();
    await flush();
    expect(f.asked).toEqual([[`${API}/v1/region`, { credentials: "omit", signal: expect.any(AbortSignal) }]]);
    expect(f).not.toHaveBeenCalled();
    expect(stored()).toEqual(UNTOUCHED);
    expect(text()).toBe("Call (800) 555-0199");
  });

  it("…and a visitor in Texas is granted: swapped, stored, the click id sent", async () => {
    const f = located({ country: "US", subdivision: "US-TX" });
    euDenied();
    const dni = consentMode();
    await dni.number();
    expect(text()).toBe("Call (800) 555-0123");
    expect(sent(f).source).toMatchObject({ landing: LANDING, consent: { adStorage: "granted", analyticsStorage: "granted" } });
    expect(JSON.parse(localStorage["dni:t"]!)).toBe(f.answers[f.answers.length - 1].token);
  });

  it("the most specific match wins key by key, whatever the order pushed: subdivision over country over the global default", async () => {
    (window as any).dataLayer = [];
    gtag("consent", "default", { ...GRANTED, ad_user_data: "granted", region: ["us-ca"] }); // any case
    gtag("consent", "default", { ...DENIED, ad_user_data: "denied", ad_personalization: "denied", region: ["US"] });
    gtag("consent", "default", { ...GRANTED, ad_user_data: "granted", ad_personalization: "granted" });
    // California: its own entry for three keys, the US one for ad_personalization.
    const ca = located({ country: "US", subdivision: "US-CA" });
    const dni = consentMode();
    await dni.number();
    expect(sent(ca).source.consent).toEqual({ adStorage: "granted", analyticsStorage: "granted", adUserData: "granted", adPersonalization: "denied" });
    dni.stop!();
    reset();
    // Texas: the US entry (over the global default pushed after it).
    page(PAGE, LANDING);
    (window as any).dataLayer = [];
    gtag("consent", "default", { ...GRANTED, region: ["US-CA"] });
    gtag("consent", "default", { ...DENIED, region: ["US"] });
    gtag("consent", "default", GRANTED);
    const tx = located({ country: "US", subdivision: "US-TX" });
    expect(await consentMode().number()).toBeNull();
    expect(tx).not.toHaveBeenCalled();
    expect(localStorage.length).toBe(0);
  });

  it("no decision from defaults until the region is known; an update overriding every scoped key decides meanwhile", async () => {
    const answer = deferred();
    const f = located(answer);
    euDenied();
    const dni = consentMode();
    await flush();
    expect(f).not.toHaveBeenCalled();
    expect(localStorage.length).toBe(0);
    // An update for ad_storage alone cannot decide: analytics_storage still hangs on the region.
    gtag("consent", "update", { ad_storage: "granted" });
    await flush();
    expect(f).not.toHaveBeenCalled();
    gtag("consent", "update", { analytics_storage: "granted" });
    await dni.number();
    expect(text()).toBe("Call (800) 555-0123");
    // The answer comes: the updates still win over the visitor's (denied) default.
    answer.settle({ country: "ES", subdivision: null });
    await flush();
    expect(sent(f).source.consent).toEqual({ adStorage: "granted", analyticsStorage: "granted" });
    expect(JSON.parse(localStorage["dni:t"]!)).toBe(f.answers[f.answers.length - 1].token);
    expect(f.asked).toHaveLength(1);
  });

  it("a region request that hangs is given up after 2 s: the scoped defaults are then taken where they deny", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const warned = vi.spyOn(console, "warn").mockImplementation(() => {});
    const f = located(new Promise(() => {}));
    euDenied();
    const dni = consentMode();
    const answer = dni.number();
    try {
      await vi.advanceTimersByTimeAsync(1_900);
      expect(f.asked).toHaveLength(1);
      expect(f.asked[0]![1]!.signal!.aborted).toBe(false);
      await vi.advanceTimersByTimeAsync(200);
      expect(f.asked[0]![1]!.signal!.aborted).toBe(true);
    } finally {
      vi.useRealTimers();
    }
    expect(await answer).toBeNull();
    expect(f).not.toHaveBeenCalled();
    expect(stored()).toEqual(UNTOUCHED);
    expect(warned.mock.calls.some(([, m]) => String(m).includes("the visitor's region is unknown"))).toBe(true);
  });

  it("the region answered later decides then (not denied meanwhile: undecided)", async () => {
    const answer = deferred();
    const f = located(answer);
    euDenied();
    const dni = consentMode();
    let decided: unknown = "not yet";
    const number = dni.number().then((n) => (decided = n));
    await flush();
    expect(f).not.toHaveBeenCalled();
    expect(decided).toBe("not yet");
    answer.settle({ country: "JP", subdivision: "JP-13" });
    await number;
    expect(decided).toMatchObject({ e164: "+18005550123" });
    expect(text()).toBe("Call (800) 555-0123");
  });

  it("the region unknown (no answer, an error, or unknown to the worker): a scoped default is taken where it denies, never where it grants", async () => {
    for (const where of [new TypeError("Failed to fetch"), 500, { country: null, subdivision: null }]) {
      const warned = vi.spyOn(console, "warn").mockImplementation(() => {});
      const f = located(where);
      euDenied();
      expect(await consentMode().number(), String(where)).toBeNull();
      expect(f).not.toHaveBeenCalled();
      // A failure is reported; an answer that knows no region is none.
      expect(
        warned.mock.calls.some(([, m]) => String(m).includes("the visitor's region is unknown")),
        String(where),
      ).toBe(typeof where !== "object" || where instanceof Error);
      reset();
      page(PAGE, LANDING);
    }
    vi.spyOn(console, "warn").mockImplementation(() => {});
    // Denied everywhere but granted in the US: unknown stays denied.
    const f = located(new TypeError("Failed to fetch"));
    (window as any).dataLayer = [];
    gtag("consent", "default", DENIED);
    gtag("consent", "default", { ...GRANTED, region: ["US"] });
    expect(await consentMode().number()).toBeNull();
    // Known country, unknown subdivision: a subdivision's denial of that country is taken, another's not.
    reset();
    page(PAGE, LANDING);
    const g = located({ country: "US", subdivision: null });
    (window as any).dataLayer = [];
    gtag("consent", "default", { ...DENIED, region: ["US-CA", "ES-CT"] });
    gtag("consent", "default", { ...GRANTED, region: ["US"] });
    expect(await consentMode().number()).toBeNull();
    reset();
    page(PAGE, LANDING);
    const h = located({ country: "FR", subdivision: null });
    (window as any).dataLayer = [];
    gtag("consent", "default", { ...DENIED, region: ["US-CA"] });
    gtag("consent", "default", GRANTED);
    await consentMode().number();
    expect(f).not.toHaveBeenCalled();
    expect(g).not.toHaveBeenCalled();
    expect(h).toHaveBeenCalledTimes(1);
  });

  it("the region is asked only for a scoped default; an update with a region is skipped; a default never overrides an update", async () => {
    const f = located({ country: "US", subdivision: "US-TX" });
    (window as any).dataLayer = [];
    gtag("consent", "update", { ...GRANTED, region: ["US"] }); // region is for defaults only
    gtag("consent", "update", { analytics_storage: "granted" });
    gtag("consent", "default", DENIED); // after the update: still its base only
    const dni = consentMode();
    await dni.number();
    expect(f.asked).toEqual([]);
    expect(sent(f).source.consent).toEqual({ adStorage: "denied", analyticsStorage: "granted" });
  });

  it("the debug report says which scoped default applied to the visitor, and which not", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "info").mockImplementation((...a: unknown[]) => void lines.push(a.slice(1).join(" ")));
    debug.on = true;
    try {
      located({ country: "US", subdivision: "US-CA" });
      (window as any).dataLayer = [];
      gtag("consent", "default", { ...DENIED, region: EU });
      gtag("consent", "default", { ...GRANTED, region: ["US-CA"] });
      gtag("consent", "default", DENIED);
      await consentMode().number();
    } finally {
      debug.on = false;
    }
    const log = lines.join("\n");
    expect(log).toContain(`asking ${API}/v1/region where the visitor is`);
    expect(log).toContain("the Consent Mode default for region AT,BE,DE,ES,FR,IT,NL does not apply to this visitor (US-CA)");
    expect(log).toContain("the Consent Mode default for region US-CA applies to this visitor (US-CA): adStorage,analyticsStorage");
  });
});

describe("IAB TCF v2", () => {
  /** A stub CMP: answers addEventListener with the visitor's choice (purpose consents). */
  const cmp = (consents: Record<number, boolean>, gdprApplies = true) => {
    const listeners: ((d: unknown, ok: boolean) => void)[] = [];
    (window as any).__tcfapi = (cmd: string, _v: number, cb: (d: unknown, ok: boolean) => void) => {
      if (cmd !== "addEventListener") return;
      listeners.push(cb);
      cb({ eventStatus: "cmpuishown", listenerId: 1, gdprApplies }, true);
    };
    return (status = "useractioncomplete") => {
      for (const l of listeners) l({ eventStatus: status, listenerId: 1, gdprApplies, purpose: { consents } }, true);
    };
  };

  it("waits while the CMP shows its UI, then follows the visitor's choice", async () => {
    const f = stubFetch();
    const choose = cmp({ 1: true, 7: true });
    const dni = consentMode();
    await flush();
    expect(f).not.toHaveBeenCalled();
    choose();
    await dni.number();
    expect(text()).toBe("Call (800) 555-0123");
    expect(sent(f).source.consent).toEqual({ adStorage: "granted", analyticsStorage: "granted", adUserData: "granted", adPersonalization: "denied" });
  });

  it("a CMP that defines __tcfapi after the snippet (no IAB stub) is found at load", async () => {
    const f = stubFetch();
    Object.defineProperty(document, "readyState", { value: "interactive", configurable: true });
    const dni = consentMode();
    const choose = cmp({ 1: true });
    Object.defineProperty(document, "readyState", { value: "complete", configurable: true });
    window.dispatchEvent(new Event("load"));
    choose("tcloaded");
    await dni.number();
    expect(text()).toBe("Call (800) 555-0123");
    expect(f).toHaveBeenCalledTimes(1);
  });

  it("purpose 1 refused: denied", async () => {
    const f = stubFetch();
    cmp({ 7: true })("tcloaded");
    consentMode();
    await flush();
    expect(f).not.toHaveBeenCalled();
    expect(stored()).toEqual(UNTOUCHED);
  });
});
