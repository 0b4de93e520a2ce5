/**
 * Every click id a visit can carry: read from the landing URL or sent by the snippet, the Google
 * first-party cookie values (`_gcl_aw` / `_gcl_gb`: "GCL.<ts>.<id>"), and the consent state, kept
 * with the session and shown on the call.
 */
import { describe, expect, it } from "vitest";
import { clickIdFromGclCookie, enrichSource } from "../../worker/domain/source";
import { callBody, callId, callWorld, getCall, ring, T0, visit } from "./calls-helpers";
import { allocate, sessionId, useTestClock } from "./helpers";

useTestClock(T0);

describe("click ids", () => {
  it("every ad click id in the landing URL is kept; what the snippet sent wins", () => {
    const landing = "https://shop.example/?gclid=G1&gbraid=GB1&wbraid=WB1&dclid=DC1&msclkid=MS1&fbclid=FB1&ttclid=TT1&li_fat_id=LI1&other=x";
    expect(enrichSource({ landing, clickIds: { msclkid: "MS-sent" } })?.clickIds).toEqual({
      gclid: "G1",
      gbraid: "GB1",
      wbraid: "WB1",
      dclid: "DC1",
      msclkid: "MS-sent",
      fbclid: "FB1",
      ttclid: "TT1",
      li_fat_id: "LI1",
    });
  });

  it("gclid and gbraid come from the _gcl_aw / _gcl_gb cookie values when the URL has none; the raw values are kept", () => {
    expect(clickIdFromGclCookie("GCL.1700000000.Cj0KCQiA-abc_123")).toBe("Cj0KCQiA-abc_123");
    expect(clickIdFromGclCookie("GCL.1700000000.EAIaIQ.obj.dotted")).toBe("EAIaIQ.obj.dotted");
    for (const bad of ["", "Cj0KCQiA", "GCL..abc12345", "GCL.17x.abc12345", "GCL.1700000000.<script>", "GCL.1700000000.short"]) {
      expect(clickIdFromGclCookie(bad), bad).toBeNull();
    }
    expect(
      enrichSource({ landing: "https://shop.example/", clickIds: { gcl_aw: "GCL.1700000000.Cj0Kfromcookie", gcl_gb: "GCL.1700000001.GBfromcookie" } })
        ?.clickIds,
    ).toEqual({
      gclid: "Cj0Kfromcookie",
      gbraid: "GBfromcookie",
      gcl_aw: "GCL.1700000000.Cj0Kfromcookie",
      gcl_gb: "GCL.1700000001.GBfromcookie",
    });
    // The landing URL's own click beats an older one in the cookie.
    expect(enrichSource({ landing: "https://shop.example/?gclid=fromurl", clickIds: { gcl_aw: "GCL.1700000000.Cj0Kfromcookie" } })?.clickIds?.gclid).toBe(
      "fromurl",
    );
    // The URL's own wbraid or gbraid (an iPhone's ad click) is not overruled by an older gclid from the cookie.
    for (const param of ["wbraid", "gbraid"]) {
      const ids = enrichSource({ landing: `https://shop.example/?${param}=Wfromurl`, clickIds: { gcl_aw: "GCL.1700000000.Cj0Kfromcookie" } })?.clickIds;
      expect(ids).toEqual({ [param]: "Wfromurl", gcl_aw: "GCL.1700000000.Cj0Kfromcookie" });
    }
    // A cookie that is not in the GCL form is kept raw but gives no gclid.
    expect(enrichSource({ clickIds: { gcl_aw: "garbage" } })?.clickIds).toEqual({ gcl_aw: "garbage" });
  });

  it("the allocation accepts the new keys and the consent state, and refuses unknown ones", async () => {
    const { acct } = await callWorld(1);
    const ok = await allocate(acct.siteKey, sessionId(), {
      source: { clickIds: { gbraid: "x", ttclid: "y", li_fat_id: "z", gcl_aw: "GCL.1.abcdefgh" }, consent: { adUserData: "granted", adStorage: "denied" } },
    });
    expect(ok.status).toBe(200);
    for (const source of [{ clickIds: { yclid: "x" } }, { consent: { adUserData: "yes" } }, { consent: { marketing: "granted" } }]) {
      const r = await allocate(acct.siteKey, sessionId(), { source });
      expect(r.status, JSON.stringify(source)).toBe(400);
      expect(r.json.error.code).toBe("invalid_request");
    }
  });

  it("every click id, the raw cookie values and the consent state are stored with the call and shown", async () => {
    const { acct, voice } = await callWorld(1);
    const v = await visit(acct, {
      name: "google-ads",
      landing: "https://www.shop.example/?wbraid=WB9&dclid=DC9&ttclid=TT9&li_fat_id=LI9&fbclid=FB9&msclkid=MS9",
      clickIds: { gcl_aw: "GCL.1700000000.Cj0Kcookiegclid", gcl_gb: "GCL.1700000000.GBcookie" },
      consent: { adUserData: "granted", adStorage: "granted", adPersonalization: "denied" },
    });
    const id = callId();
    await ring(voice.callbackUrl, callBody(id, v.number, T0));
    const call = (await getCall(acct, id)).json;
    // The URL's wbraid is the visit's Google click: no gclid or gbraid is taken from the older cookies (kept raw).
    expect(call.source.clickIds).toEqual({
      gclid: null,
      gbraid: null,
      wbraid: "WB9",
      dclid: "DC9",
      msclkid: "MS9",
      fbclid: "FB9",
      ttclid: "TT9",
      li_fat_id: "LI9",
      gcl_aw: "GCL.1700000000.Cj0Kcookiegclid",
      gcl_gb: "GCL.1700000000.GBcookie",
    });
    expect(call.source.consent).toEqual({ adStorage: "granted", adUserData: "granted", adPersonalization: "denied", analyticsStorage: null });
    expect(call.conversions).toEqual([]);
  });
});
