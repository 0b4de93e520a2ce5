/**
 * data-consent (snippet/consent.ts): nothing stored, asked or swapped before a consent signal;
 * denied: no storage, no click ids or GA client id, and a number only with "anonymous"; granted
 * mid-page: stored and swapped without a reload. Signals: dni("consent"), Consent Mode on the
 * dataLayer, IAB TCF v2.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { store } from "../../snippet/cache";
import { gated } from "../../snippet/consent";
import type { Api } from "../../snippet/main";
import { API, flush, KEY, page, reset, sent, stubFetch } from "./helpers";

const GA = "_ga=GA1.1.1234567890.1700000000";
const PAGE = "<p id='t'>Call (800) 555-0199</p><a id='l' href='tel:+18005550199'>call</a>";
const LANDING = "https://shop.example/?gclid=Cj0-secret&utm_source=google";

const text = () => document.querySelector("#t")!.textContent;
/** Everything the page could have stored. */
const stored = () => ({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie });
const UNTOUCHED = { local: {}, session: {}, cookie: GA };

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
      gaClientId: "GA1.1.1234567890.1700000000",
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
    expect(renewed.source).toMatchObject({ landing: LANDING, gaClientId: "GA1.1.1234567890.1700000000", consent: { adStorage: "granted" } });
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

  it("withdrawn later: what was stored is removed", async () => {
    stubFetch();
    const dni = consentMode();
    await dni("consent", true);
    await dni.number();
    expect(localStorage["dni:t"]).toBeDefined();
    await dni("consent", false);
    expect(stored()).toEqual(UNTOUCHED);
  });
});

describe("Consent Mode v2 (gtag on the dataLayer)", () => {
  // gtag() pushes its arguments object.
  function gtag(..._a: unknown[]) {
    // biome-ignore lint/complexity/noArguments: gtag's own shape: the arguments object is what it pushes.
    (window as any).dataLayer.push(arguments);
  }

  it("a default pushed before the snippet decides at once; an update pushed later swaps mid-page", async () => {
    const f = stubFetch();
    (window as any).dataLayer = [];
    gtag("consent", "default", { ad_storage: "denied", analytics_storage: "denied", region: ["ES"] });
    gtag("consent", "default", { ad_storage: "denied", analytics_storage: "denied", ad_user_data: "denied" });
    const dni = consentMode();
    await flush();
    expect(f).not.toHaveBeenCalled();
    gtag("consent", "update", { ad_storage: "granted", analytics_storage: "granted", ad_user_data: "granted" });
    await dni.number();
    expect(text()).toBe("Call (800) 555-0123");
    expect(sent(f).source.consent).toEqual({ adStorage: "granted", analyticsStorage: "granted", adUserData: "granted" });
  });

  it("analytics granted, ads denied: stored, but the click ids withheld", async () => {
    const f = stubFetch();
    (window as any).dataLayer = [];
    gtag("consent", "default", { ad_storage: "denied", analytics_storage: "granted" });
    const dni = consentMode();
    await dni.number();
    expect(sent(f).source.landing).toBe("https://shop.example/?gclid=withheld&utm_source=google");
    expect(sent(f).source.gaClientId).toBe("GA1.1.1234567890.1700000000");
    expect(localStorage["dni:t"]).toBeDefined();
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
