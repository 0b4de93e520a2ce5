/**
 * The consent state travels with the allocation (the snippet's data-consent): stored with the
 * lease, shown on the call; a denied visit keeps no click ids or GA client id whatever was sent; a
 * consent granted later on the same page (the same session renewing) is what the call gets.
 */

import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ga4Payload } from "../../worker/account/deliveries";
import { enrichSource } from "../../worker/domain/source";
import type { Call } from "../../worker/schemas/calls";
import { at, callBody, callId, callWorld, getCall, ring, T0, visit } from "./calls-helpers";
import { allocate, api, BROWSER_HEADERS, dump, ORIGIN, poolStub, useTestClock } from "./helpers";

const DENIED = { adStorage: "denied", analyticsStorage: "denied", adUserData: "denied", adPersonalization: "denied" } as const;
const GRANTED = { adStorage: "granted", analyticsStorage: "granted", adUserData: "granted", adPersonalization: "granted" } as const;

useTestClock(T0);

describe("consent on the session and the call", () => {
  it("withheld click ids are never stored; denied ad_storage drops click ids, denied analytics_storage the GA client id", () => {
    const landing = "https://shop.example/?gclid=withheld&utm_source=google";
    expect(enrichSource({ landing })?.clickIds).toBeUndefined();
    const denied = enrichSource({ landing: "https://shop.example/?gclid=G1&fbclid=F1", gaClientId: "1.2", consent: DENIED });
    expect(denied).toEqual({ landing: "https://shop.example/?gclid=G1&fbclid=F1", consent: DENIED });
    const adsOnly = enrichSource({
      landing: "https://shop.example/?gclid=G1",
      gaClientId: "1.2",
      consent: { adStorage: "granted", analyticsStorage: "denied" },
    });
    expect(adsOnly?.clickIds).toEqual({ gclid: "G1" });
    expect(adsOnly?.gaClientId).toBeUndefined();
  });

  it("ads denied: other platforms' click ids in the landing URL and referrer are withheld too (X, Yandex, Snapchat, Pinterest, Reddit…)", async () => {
    const { acct, voice } = await callWorld(1);
    const ids = "twclid=TW1&yclid=YA1&ScCid=SC1&epik=EP1&rdt_cid=RD1&irclid=IR1&qclid=QU1";
    const v = await visit(acct, {
      landing: `https://www.shop.example/?${ids}&utm_source=x`,
      referrer: `https://www.shop.example/landing?${ids}`,
      consent: DENIED,
    });
    const id = callId();
    await ring(voice.callbackUrl, callBody(id, v.number, T0 + 1000));
    const call = (await getCall(acct, id)).json;
    for (const value of ["TW1", "YA1", "SC1", "EP1", "RD1", "IR1", "QU1"]) expect(JSON.stringify(call.source)).not.toContain(value);
    expect(new URL(call.source.landing).searchParams.get("twclid")).toBe("withheld");
    expect(new URL(call.source.landing).searchParams.get("utm_source")).toBe("x");
  });

  it("a denied visit's call has its consent state and no click ids or GA client id", async () => {
    const { acct, voice } = await callWorld(1);
    const v = await visit(acct, { landing: "https://www.shop.example/?gclid=withheld&utm_source=google", referrer: "", consent: DENIED });
    const id = callId();
    await ring(voice.callbackUrl, callBody(id, v.number, T0 + 1000));
    const call = (await getCall(acct, id)).json;
    expect(call.attributed).toBe(true);
    expect(call.source.consent).toEqual(DENIED);
    expect(Object.values(call.source.clickIds).filter((x) => x !== null)).toEqual([]);
    expect(call.source.gaClientId).toBeNull();
    expect(call.source.utm.source).toBe("google");
  });

  it("consent granted later on the page: the same session renews its number and the call gets the granted state and the click id", async () => {
    const { acct, voice } = await callWorld(2);
    const first = await visit(acct, { landing: "https://www.shop.example/?gclid=withheld", referrer: "", consent: DENIED });
    // Seconds later (a renewal that extends nothing), the visitor accepts: the snippet sends the full first touch.
    at(T0 + 5000);
    const again = await allocate(acct.siteKey, first.session, {
      source: { landing: "https://www.shop.example/?gclid=Cj0-granted", referrer: "", gaClientId: "111.222", consent: GRANTED },
    });
    expect(again.status).toBe(200);
    expect(again.json.pools[0].number.e164).toBe(first.number);
    const id = callId();
    await ring(voice.callbackUrl, callBody(id, first.number, T0 + 6000));
    const call = (await getCall(acct, id)).json;
    expect(call.session).toBe(first.session);
    expect(call.source.consent).toEqual(GRANTED);
    expect(call.source.clickIds.gclid).toBe("Cj0-granted");
    expect(call.source.gaClientId).toBe("111.222");
  });
});

describe("consent at GA4", () => {
  const call = (consent: Record<string, string> | null) =>
    ({
      id: "call-ga-1",
      attributed: true,
      pool: "web",
      trackingNumber: "+18885550100",
      reason: "live",
      startedAt: T0,
      endedAt: T0 + 100_000,
      outcome: "answered",
      talkSeconds: 95,
      source: { name: "google-ads", utm: { source: "google" }, clickIds: { gclid: "abc" }, gaClientId: "123.456", consent },
    }) as unknown as Call;

  // Measurement Protocol: `consent: { ad_user_data, ad_personalization }`, GRANTED or DENIED.
  it("the visit's ad consent goes with the event: denied ad data is said, so a linked Google Ads account does not use it", () => {
    const body = (c: Record<string, string> | null) => JSON.parse(ga4Payload(call(c), "G-ABC123XYZ", true)!);
    expect(body({ analyticsStorage: "granted", adStorage: "granted", adUserData: "denied", adPersonalization: "denied" }).consent).toEqual({
      ad_user_data: "DENIED",
      ad_personalization: "DENIED",
    });
    expect(body(GRANTED).consent).toEqual({ ad_user_data: "GRANTED", ad_personalization: "GRANTED" });
    expect(body({ analyticsStorage: "granted", adUserData: "denied" }).consent).toEqual({ ad_user_data: "DENIED" });
    // A page that signals only ad_storage: its denial is ad data's too, as every upload reads it.
    expect(body({ analyticsStorage: "granted", adStorage: "denied" }).consent).toEqual({ ad_user_data: "DENIED" });
    expect(body({ analyticsStorage: "granted", adStorage: "granted" }).consent).toEqual({ ad_user_data: "GRANTED" });
    // No consent signal on the page: GA4's default (nothing said).
    expect(body(null)).not.toHaveProperty("consent");
  });
});

const ADS_WITHDRAWN = { adStorage: "denied", analyticsStorage: "granted", adUserData: "denied", adPersonalization: "denied" } as const;

async function alloc(siteKey: string, body: Record<string, unknown>) {
  const headers = { ...BROWSER_HEADERS, "Content-Type": "text/plain;charset=UTF-8", Origin: ORIGIN };
  return api("POST", "/v1/allocate", { raw: JSON.stringify({ key: siteKey, ...body }), headers });
}

const decodeToken = (t: string) => new TextDecoder().decode(Uint8Array.from(atob(t.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)));

describe("consent denied: nothing identifying is kept, whatever was sent", () => {
  it("data-consent=anonymous, a second page view: the referrer (same-site, the landing URL) has its click id withheld too", async () => {
    const { acct, voice, tracking } = await callWorld(1);
    // What snippet/session.ts anonymous() sends on /contact after landing on /?gclid=…: landing withheld, referrer raw.
    const r = await alloc(acct.siteKey, {
      source: { landing: "https://www.shop.example/contact?gclid=withheld", referrer: "https://www.shop.example/?gclid=REALgclidREF123", consent: DENIED },
    });
    expect(r.status).toBe(200);
    const pool = await dump(poolStub(acct.accountId, "web"));
    const id = callId();
    await ring(voice.callbackUrl, callBody(id, tracking[0]!, T0 + 1000));
    const call = (await getCall(acct, id)).json;
    expect(call.attributed).toBe(true);
    expect({ pool: pool.includes("REALgclidREF123"), call: JSON.stringify(call).includes("REALgclidREF123") }).toEqual({ pool: false, call: false });
  });

  it("a denied visit landing through Google's linker (_gl, which url_passthrough adds: the GA client id and the click inside) keeps no _gl", async () => {
    const { acct, voice, tracking } = await callWorld(1);
    // _gl=1*<hash>*_ga*<base64 client id>*_gcl_aw*<base64 GCL.<ts>.<gclid>>
    const gl = `1*1x2y3z*_ga*${btoa("555444333.1700000000").replace(/=+$/, "")}*_gcl_aw*${btoa("GCL.1700000000.REALgclidGL456").replace(/=+$/, "")}`;
    const r = await alloc(acct.siteKey, {
      source: { landing: `https://www.shop.example/pricing?gclid=withheld&_gl=${gl}`, referrer: "", consent: DENIED },
    });
    expect(r.status).toBe(200);
    const pool = await dump(poolStub(acct.accountId, "web"));
    const id = callId();
    await ring(voice.callbackUrl, callBody(id, tracking[0]!, T0 + 1000));
    const call = (await getCall(acct, id)).json;
    expect({ pool: pool.includes("_gl="), call: String(call.source.landing).includes("_gl=") }).toEqual({ pool: false, call: false });
  });

  it("ad consent withdrawn on a continued session (analytics still granted): the token, the lease and the call lose the click id", async () => {
    const { acct, voice, tracking } = await callWorld(1);
    const first = await alloc(acct.siteKey, {
      source: { landing: "https://www.shop.example/?gclid=REALgclidW789", referrer: "", gaClientId: "GA1.1.111.222", consent: GRANTED },
    });
    expect(first.status).toBe(200);
    const token = first.json.token as string;
    // Renewal after the visitor switched to "analytics only": the snippet sends the token (store.on stays true) and a withheld touch.
    at(T0 + 40_000);
    const again = await alloc(acct.siteKey, {
      token,
      source: { landing: "https://www.shop.example/contact", referrer: "https://www.shop.example/?gclid=withheld", consent: ADS_WITHDRAWN },
    });
    expect(again.status).toBe(200);
    expect(again.json.session).toBe(first.json.session);
    const stored = await runInDurableObject(poolStub(acct.accountId, "web"), (_i, s) =>
      s.storage.sql
        .exec<{ source: string | null }>("SELECT source FROM numbers WHERE session IS NOT NULL")
        .toArray()
        .map((r) => r.source),
    );
    const id = callId();
    await ring(voice.callbackUrl, callBody(id, tracking[0]!, T0 + 41_000));
    const call = (await getCall(acct, id)).json;
    expect(call.source.consent.adStorage).toBe("denied");
    expect({
      lease: JSON.stringify(stored).includes("REALgclidW789"),
      token: decodeToken(again.json.token).includes("REALgclidW789"),
      callLanding: String(call.source.landing).includes("REALgclidW789"),
    }).toEqual({ lease: false, token: false, callLanding: false });
  });
});
