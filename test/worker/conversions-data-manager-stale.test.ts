/**
 * The Data Manager API's diagnostics write nothing stale: the alarm asks Google about a request and
 * awaits the answer, and meanwhile a call of it may be erased (DELETE /v1/calls/{id}); or its upload
 * was sent again since (redelivered) as another request, whose own diagnostics speak for it. What a
 * check records is read again after the await. Google mocked at the network edge
 * (data-manager-fake.ts); the erasure comes in while its requestStatus:retrieve is held there.
 */
import { afterEach, describe, expect, it } from "vitest";
import { COMPLETED_SETTLE_MS } from "../../worker/account/call-outcome";
import { CHECK_DELAYS_MS } from "../../worker/account/dm-diagnostics";
import { platformViolations } from "./ad-platforms";
import { at, storage, T0 } from "./calls-helpers";
import { adCall, alarm, conversionOf, type conversions, dataManagerWorld } from "./conversions-helpers";
import { dmStatus, STATUS_PATH } from "./data-manager-fake";
import { api, useTestClock } from "./helpers";
import { holdRequests } from "./network-gates";

useTestClock(T0, { silence: ["warn", "error"] });
afterEach(() => expect(platformViolations()).toEqual([]));

const UPLOADED = T0 + COMPLETED_SETTLE_MS;
const deliveryOf = async (acct: Parameters<typeof conversions>[0], id: string) =>
  ((await api("GET", `/v1/calls/${id}`, { key: acct.adminKey })).json.deliveries as { id: string; kind: string; status: string }[]).find(
    (d) => d.kind === "google_ads",
  )!;

const world = dataManagerWorld;

describe("Google's Data Manager API diagnostics write nothing stale", () => {
  it("calls erased while Google is asked about their request leave it: nothing is recorded for them, and with none left nothing is alerted or asked again", async () => {
    const { acct, voice, ads } = await world(1);
    const id = await adCall(acct, voice, { gclid: "gclid-diag-erased-while-asked" });
    at(UPLOADED);
    await alarm(acct);
    ads.dm.diagnostics.set("dm-req-1", [dmStatus("FAILED", 1, { PROCESSING_ERROR_REASON_EVENT_TOO_OLD: 1 })]);
    const asking = holdRequests((url) => url.pathname === STATUS_PATH);
    at(UPLOADED + CHECK_DELAYS_MS[0]!);
    const run = alarm(acct);
    await asking.waiting;
    expect((await api("DELETE", `/v1/calls/${id}`, { key: acct.adminKey })).status).toBe(204);
    asking.release();
    await run;
    expect(ads.dataManagerChecks()).toHaveLength(1);
    expect(ads.alerts()).toHaveLength(0);
    expect(await storage(acct)).not.toContain(id);
    expect((await api("GET", `/v1/calls/${id}`, { key: acct.adminKey })).status).toBe(404);
    for (const h of [2, 24, 72]) {
      at(UPLOADED + h * 3_600_000);
      await alarm(acct);
    }
    expect(ads.dataManagerChecks()).toHaveLength(1);
    expect(ads.alerts()).toHaveLength(0);
  });

  it("a call erased while Google is asked leaves the request; the request's other call still gets Google's answer, counted over the request", async () => {
    const { acct, voice, ads } = await world(2);
    const [gone, kept] = [await adCall(acct, voice, { gclid: "gclid-diag-asked-gone" }), await adCall(acct, voice, { gclid: "gclid-diag-asked-kept" })];
    at(UPLOADED);
    await alarm(acct);
    ads.dm.diagnostics.set("dm-req-1", [dmStatus("FAILED", 2, { PROCESSING_ERROR_REASON_EVENT_TOO_OLD: 2 })]);
    const asking = holdRequests((url) => url.pathname === STATUS_PATH);
    at(UPLOADED + CHECK_DELAYS_MS[0]!);
    const run = alarm(acct);
    await asking.waiting;
    expect((await api("DELETE", `/v1/calls/${gone}`, { key: acct.adminKey })).status).toBe(204);
    asking.release();
    await run;
    expect(await conversionOf(acct, kept)).toMatchObject({ status: "failed", requestId: "dm-req-1" });
    expect(await deliveryOf(acct, kept)).toMatchObject({ status: "dead" });
    expect(await storage(acct)).not.toContain(gone);
    expect(ads.alerts()).toHaveLength(1);
    expect(JSON.parse(ads.alerts()[0]!.body)).toMatchObject({ type: "conversions.upload_refused", calls: 2 });
  });

  it("an upload sent again since (redelivered) is its new request's: the old request's refusal overwrites neither the call nor its delivery", async () => {
    const { acct, voice, ads } = await world(1);
    const id = await adCall(acct, voice, { gclid: "gclid-diag-resent" });
    at(UPLOADED);
    await alarm(acct);
    expect((await api("POST", `/v1/deliveries/${(await deliveryOf(acct, id)).id}/redeliver`, { key: acct.adminKey })).status).toBe(202);
    const resent = UPLOADED + 60_000;
    at(resent);
    await alarm(acct);
    expect(ads.dataManagerUploads()).toHaveLength(2);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded", requestId: "dm-req-2" });
    const refused = { PROCESSING_ERROR_REASON_DENIED_CONSENT: 1 };
    ads.dm.diagnostics.set("dm-req-1", [dmStatus("FAILED", 1, refused)]);
    at(UPLOADED + CHECK_DELAYS_MS[0]!);
    await alarm(acct);
    expect(ads.dataManagerChecks().map((c) => c.url.searchParams.get("requestId"))).toEqual(["dm-req-1"]);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded", requestId: "dm-req-2", reason: null });
    expect(await deliveryOf(acct, id)).toMatchObject({ status: "delivered" });
    expect(ads.alerts()).toHaveLength(0);
    // Its own request's diagnostics speak for it.
    ads.dm.diagnostics.set("dm-req-2", [dmStatus("FAILED", 1, refused)]);
    at(resent + CHECK_DELAYS_MS[0]!);
    await alarm(acct);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "failed", requestId: "dm-req-2" });
    expect(await deliveryOf(acct, id)).toMatchObject({ status: "dead" });
    expect(ads.alerts()).toHaveLength(1);
  });
});
