/**
 * Google's Data Manager API takes a request whole, then checks its events: what it refused shows
 * only in its diagnostics (requestStatus:retrieve), per reason and count. The alarm asks 30 minutes
 * after the upload and backs off while Google is processing; a refusal is recorded on the calls and
 * alerted. Google mocked at the network edge (data-manager-fake.ts: answers checked against its protos).
 */
import { afterEach, describe, expect, it } from "vitest";
import { COMPLETED_SETTLE_MS } from "../../worker/account/call-outcome";
import { CHECK_DELAYS_MS } from "../../worker/account/dm-diagnostics";
import { platformViolations } from "./ad-platforms";
import { at, storage, T0 } from "./calls-helpers";
import { adCall, alarm, conversionOf, conversions, DM_SETTINGS, dataManagerWorld } from "./conversions-helpers";
import { dmStatus, INGEST_PATH } from "./data-manager-fake";
import { api, useTestClock } from "./helpers";
import { duringRequest, holdRequests } from "./network-gates";

useTestClock(T0, { silence: ["warn", "error"] });
afterEach(() => expect(platformViolations()).toEqual([]));

const UPLOADED = T0 + COMPLETED_SETTLE_MS;
const deliveryOf = async (acct: Parameters<typeof conversions>[0], id: string) =>
  ((await api("GET", `/v1/calls/${id}`, { key: acct.adminKey })).json.deliveries as { kind: string; status: string; lastError: string | null }[]).find(
    (d) => d.kind === "google_ads",
  );

const world = dataManagerWorld;

describe("Google's Data Manager API diagnostics, asked after the upload", () => {
  it("30 minutes after Google took the request, its diagnostics are asked with the access token only; SUCCESS leaves the call uploaded and nothing more is asked", async () => {
    const { acct, voice, ads } = await world(1);
    const id = await adCall(acct, voice, { gclid: "gclid-diag-ok" });
    at(UPLOADED);
    await alarm(acct);
    expect(ads.dataManagerChecks()).toHaveLength(0);
    at(UPLOADED + CHECK_DELAYS_MS[0]! - 1);
    await alarm(acct);
    expect(ads.dataManagerChecks()).toHaveLength(0);
    at(UPLOADED + CHECK_DELAYS_MS[0]!);
    await alarm(acct);
    const [check] = ads.dataManagerChecks();
    expect(ads.dataManagerChecks()).toHaveLength(1);
    expect(check!.url.href).toBe("https://datamanager.googleapis.com/v1/requestStatus:retrieve?requestId=dm-req-1");
    expect(check!.headers.get("Authorization")).toBe("Bearer ya29.token-1");
    expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded", reason: null, requestId: "dm-req-1" });
    for (const h of [1, 24, 72]) {
      at(UPLOADED + h * 3_600_000);
      await alarm(acct);
    }
    expect(ads.dataManagerChecks()).toHaveLength(1);
    expect(ads.alerts()).toHaveLength(0);
  });

  it("the settings show the requests still asked about and the latest failure to read one, until it is answered", async () => {
    const { acct, voice, ads } = await world(1);
    const diagnostics = async () => (await api("GET", "/v1/account/conversions", { key: acct.adminKey })).json.googleAds.diagnostics;
    expect(await diagnostics()).toEqual({ waiting: 0, lastError: null });
    await adCall(acct, voice, { gclid: "gclid-diag-unread" });
    at(UPLOADED);
    await alarm(acct);
    expect(await diagnostics()).toEqual({ waiting: 1, lastError: null });
    // Google answers without naming a destination (not yet readable): asked again later, and shown.
    ads.dm.diagnostics.set("dm-req-1", [{}]);
    at(UPLOADED + CHECK_DELAYS_MS[0]!);
    await alarm(acct);
    expect(ads.dataManagerChecks()).toHaveLength(1);
    expect(await diagnostics()).toEqual({ waiting: 1, lastError: { requestId: "dm-req-1", error: "the diagnostics named no destination yet", checks: 1 } });
    at(UPLOADED + CHECK_DELAYS_MS[0]! + CHECK_DELAYS_MS[1]!);
    await alarm(acct);
    expect(ads.dataManagerChecks()).toHaveLength(2);
    expect(await diagnostics()).toEqual({ waiting: 0, lastError: null });
  });

  it("PROCESSING is asked again with backoff; FAILED: the call fails with Google's reasons, its delivery is dead, and one alert says what to do", async () => {
    const { acct, voice, ads } = await world(1);
    const id = await adCall(acct, voice, { gclid: "gclid-diag-old" });
    at(UPLOADED);
    await alarm(acct);
    ads.dm.diagnostics.set("dm-req-1", [
      dmStatus("PROCESSING", 1),
      dmStatus("PROCESSING", 1),
      dmStatus("FAILED", 1, { PROCESSING_ERROR_REASON_DENIED_CONSENT: 1 }),
    ]);
    let t = UPLOADED + CHECK_DELAYS_MS[0]!;
    at(t);
    await alarm(acct);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded" });
    // Not again before the next wait is over.
    at(t + CHECK_DELAYS_MS[1]! - 1);
    await alarm(acct);
    expect(ads.dataManagerChecks()).toHaveLength(1);
    t += CHECK_DELAYS_MS[1]!;
    at(t);
    await alarm(acct);
    t += CHECK_DELAYS_MS[2]!;
    at(t);
    await alarm(acct);
    expect(ads.dataManagerChecks()).toHaveLength(3);
    const reason = "Google took the upload, then refused it (diagnostics of request dm-req-1): DENIED_CONSENT (1)";
    expect(await conversionOf(acct, id)).toMatchObject({ status: "failed", reason, requestId: "dm-req-1" });
    expect(await deliveryOf(acct, id)).toMatchObject({ status: "dead", lastError: reason });
    expect(ads.alerts()).toHaveLength(1);
    const alert = JSON.parse(ads.alerts()[0]!.body);
    expect(alert).toMatchObject({
      type: "conversions.upload_refused",
      platform: "google_ads",
      requestId: "dm-req-1",
      calls: 1,
      refused: [{ reason: "DENIED_CONSENT", count: 1 }],
    });
    expect(alert.remedies[0].message).toContain("consent");
    // Done: not asked again.
    at(t + 48 * 3_600_000);
    await alarm(acct);
    expect(ads.dataManagerChecks()).toHaveLength(3);
    expect(ads.alerts()).toHaveLength(1);
  });

  it("PARTIAL_SUCCESS: Google does not say which calls, so each stays uploaded and its reason tells; duplicates (a resend) are no refusal", async () => {
    const { acct, voice, ads } = await world(3);
    const ids = [await adCall(acct, voice, { gclid: "gclid-diag-a" }), await adCall(acct, voice, { gclid: "gclid-diag-b" })];
    at(UPLOADED);
    await alarm(acct);
    ads.dm.diagnostics.set("dm-req-1", [dmStatus("PARTIAL_SUCCESS", 2, { PROCESSING_ERROR_REASON_EVENT_TOO_OLD: 1 })]);
    at(UPLOADED + CHECK_DELAYS_MS[0]!);
    await alarm(acct);
    for (const id of ids) {
      const c = await conversionOf(acct, id);
      expect(c).toMatchObject({ status: "uploaded", requestId: "dm-req-1" });
      expect(c?.reason).toBe(
        "uploaded, but Google then refused 1 of the 2 calls of its request (diagnostics of request dm-req-1: EVENT_TOO_OLD (1)); it does not say which",
      );
      expect(await deliveryOf(acct, id)).toMatchObject({ status: "delivered" });
    }
    expect(ads.alerts()).toHaveLength(1);
    expect(JSON.parse(ads.alerts()[0]!.body)).toMatchObject({ type: "conversions.upload_refused", refused: [{ reason: "EVENT_TOO_OLD", count: 1 }] });
    // A later request whose only "errors" are duplicates: nothing recorded, no alert.
    const again = await adCall(acct, voice, { gclid: "gclid-diag-c" });
    const t = UPLOADED + 3_600_000;
    at(t);
    await alarm(acct);
    ads.dm.diagnostics.set("dm-req-2", [dmStatus("FAILED", 1, { PROCESSING_ERROR_REASON_DUPLICATE_TRANSACTION_ID: 1 })]);
    at(t + CHECK_DELAYS_MS[0]! + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(ads.dataManagerChecks().map((c) => c.url.searchParams.get("requestId"))).toEqual(["dm-req-1", "dm-req-2"]);
    expect(await conversionOf(acct, again)).toMatchObject({ status: "uploaded", reason: null });
    expect(ads.alerts()).toHaveLength(1);
  });

  it("a request Google is still processing after the last wait is no longer asked about; the call stays uploaded", async () => {
    const { acct, voice, ads } = await world(1, false);
    const id = await adCall(acct, voice, { gclid: "gclid-diag-slow" });
    at(UPLOADED);
    await alarm(acct);
    ads.dm.diagnostics.set(
      "dm-req-1",
      CHECK_DELAYS_MS.map(() => dmStatus("PROCESSING", 1)),
    );
    let t = UPLOADED;
    for (const wait of CHECK_DELAYS_MS) {
      t += wait;
      at(t);
      await alarm(acct);
    }
    expect(ads.dataManagerChecks()).toHaveLength(CHECK_DELAYS_MS.length);
    at(t + 7 * 86_400_000);
    await alarm(acct);
    expect(ads.dataManagerChecks()).toHaveLength(CHECK_DELAYS_MS.length);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded", reason: null });
  });

  it("a call erased before its request is asked about leaves it: its id is no longer kept; the request's other calls still get Google's answer", async () => {
    const { acct, voice, ads } = await world(2);
    const [gone, kept] = [await adCall(acct, voice, { gclid: "gclid-diag-erased" }), await adCall(acct, voice, { gclid: "gclid-diag-kept" })];
    at(UPLOADED);
    await alarm(acct);
    expect(await storage(acct)).toContain(gone);
    expect((await api("DELETE", `/v1/calls/${gone}`, { key: acct.adminKey })).status).toBe(204);
    expect(await storage(acct)).not.toContain(gone);
    ads.dm.diagnostics.set("dm-req-1", [dmStatus("FAILED", 2, { PROCESSING_ERROR_REASON_EVENT_TOO_OLD: 2 })]);
    at(UPLOADED + CHECK_DELAYS_MS[0]!);
    await alarm(acct);
    expect(ads.dataManagerChecks()).toHaveLength(1);
    expect(await conversionOf(acct, kept)).toMatchObject({ status: "failed", requestId: "dm-req-1" });
    expect((await api("GET", `/v1/calls/${gone}`, { key: acct.adminKey })).status).toBe(404);
  });

  it("a call erased while its upload is on its way to Google is not kept for the diagnostics: the request's other call still is", async () => {
    const { acct, voice, ads } = await world(2);
    const [gone, kept] = [await adCall(acct, voice, { gclid: "gclid-diag-racing" }), await adCall(acct, voice, { gclid: "gclid-diag-stays" })];
    // Hold events:ingest: the alarm awaits Google's answer, and the erasure comes in meanwhile.
    const ingest = holdRequests((url) => url.pathname === INGEST_PATH);
    at(UPLOADED);
    const run = alarm(acct);
    await ingest.waiting;
    expect((await api("DELETE", `/v1/calls/${gone}`, { key: acct.adminKey })).status).toBe(204);
    ingest.release();
    await run;
    expect(ads.dataManagerUploads()).toHaveLength(1);
    expect(await storage(acct)).not.toContain(gone);
    ads.dm.diagnostics.set("dm-req-1", [dmStatus("FAILED", 2, { PROCESSING_ERROR_REASON_EVENT_TOO_OLD: 2 })]);
    at(UPLOADED + CHECK_DELAYS_MS[0]!);
    await alarm(acct);
    expect(ads.dataManagerChecks()).toHaveLength(1);
    expect(await conversionOf(acct, kept)).toMatchObject({ status: "failed", requestId: "dm-req-1" });
  });

  it("a request whose every call was erased is not asked about", async () => {
    const { acct, voice, ads } = await world(1);
    const id = await adCall(acct, voice, { gclid: "gclid-diag-all-erased" });
    at(UPLOADED);
    await alarm(acct);
    expect((await api("DELETE", `/v1/calls/${id}`, { key: acct.adminKey })).status).toBe(204);
    for (const h of [0.5, 1, 24, 72]) {
      at(UPLOADED + h * 3_600_000);
      await alarm(acct);
    }
    expect(ads.dataManagerChecks()).toHaveLength(0);
  });

  it("FAILED with no reason counted: every call of the request is still failed, and alerted", async () => {
    const { acct, voice, ads } = await world(1);
    const id = await adCall(acct, voice, { gclid: "gclid-diag-no-reason" });
    at(UPLOADED);
    await alarm(acct);
    ads.dm.diagnostics.set("dm-req-1", [dmStatus("FAILED", 1)]);
    at(UPLOADED + CHECK_DELAYS_MS[0]!);
    await alarm(acct);
    const reason = "Google took the upload, then refused it (diagnostics of request dm-req-1): NO_REASON_GIVEN (1)";
    expect(await conversionOf(acct, id)).toMatchObject({ status: "failed", reason });
    expect(await deliveryOf(acct, id)).toMatchObject({ status: "dead", lastError: reason });
    expect(ads.alerts()).toHaveLength(1);
  });

  it("FAILED for Google's internal error: the calls are sent again with backoff (the same transaction id), not failed, and nothing is alerted", async () => {
    const { acct, voice, ads } = await world(1);
    const id = await adCall(acct, voice, { gclid: "gclid-diag-internal" });
    at(UPLOADED);
    await alarm(acct);
    ads.dm.diagnostics.set("dm-req-1", [dmStatus("FAILED", 1, { PROCESSING_ERROR_REASON_INTERNAL_ERROR: 1 })]);
    const checked = UPLOADED + CHECK_DELAYS_MS[0]!;
    at(checked);
    await alarm(acct);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "pending", reason: expect.stringContaining("internal error"), requestId: "dm-req-1" });
    expect(await deliveryOf(acct, id)).toMatchObject({ status: "pending" });
    expect(ads.alerts()).toHaveLength(0);
    // After the backoff: sent again, as it was.
    at(checked + 3_600_000);
    await alarm(acct);
    const uploads = ads.dataManagerUploads();
    expect(uploads).toHaveLength(2);
    expect(JSON.parse(uploads[1]!.body).events[0].transactionId).toBe(JSON.parse(uploads[0]!.body).events[0].transactionId);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded", requestId: "dm-req-2" });
    // Its own diagnostics: SUCCESS.
    at(checked + 3_600_000 + CHECK_DELAYS_MS[0]!);
    await alarm(acct);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded" });
    expect(ads.alerts()).toHaveLength(0);
  });
});

describe("Google's credentials replaced while the diagnostics are asked", () => {
  it("the requests left are asked next run, with the new credentials: not with the ones the owner replaced", async () => {
    const { acct, voice, ads } = await world(2);
    await adCall(acct, voice, { gclid: "gclid-diag-first" });
    at(UPLOADED);
    await alarm(acct);
    await adCall(acct, voice, { gclid: "gclid-diag-second" });
    const second = Date.now() + COMPLETED_SETTLE_MS;
    at(second);
    await alarm(acct);
    expect(ads.dataManagerUploads()).toHaveLength(2);
    // Both requests' diagnostics are due in one run; the owner sets a new refresh token while the first is asked.
    at(second + CHECK_DELAYS_MS[0]!);
    const patched = duringRequest(
      (url) => url.pathname.endsWith("requestStatus:retrieve") && url.searchParams.get("requestId") === "dm-req-1",
      () => conversions(acct, { googleAds: { ...DM_SETTINGS, refreshToken: "1//the-owners-new-refresh-token" } }),
    );
    await alarm(acct);
    expect(patched.value?.status).toBe(200);
    expect(ads.dataManagerChecks().map((c) => c.url.searchParams.get("requestId"))).toEqual(["dm-req-1"]);
    const refreshed = ads.googleTokens().length;
    await alarm(acct);
    const checks = ads.dataManagerChecks();
    expect(checks.map((c) => c.url.searchParams.get("requestId"))).toEqual(["dm-req-1", "dm-req-2"]);
    // An access token made from the new refresh token.
    expect(ads.googleTokens()).toHaveLength(refreshed + 1);
    expect(new URLSearchParams(ads.googleTokens().at(-1)!.body).get("refresh_token")).toBe("1//the-owners-new-refresh-token");
    expect(checks[1]!.headers.get("Authorization")).not.toBe(checks[0]!.headers.get("Authorization"));
  });
});

describe("a diagnostics check refused with credentials a PATCH replaced while it waited", () => {
  it("is not counted as one of the request's tries: it is asked again next run, with the new credentials", async () => {
    const { acct, voice, ads } = await world(1);
    await adCall(acct, voice, { gclid: "gclid-diag-refused" });
    at(UPLOADED);
    await alarm(acct);
    at(UPLOADED + CHECK_DELAYS_MS[0]!);
    // The access token refused, and the refresh token it would be made again from revoked by its owner, who sets a new one meanwhile.
    const patched = duringRequest(
      (url) => url.pathname.endsWith("requestStatus:retrieve"),
      () => {
        ads.expireNextToken = true;
        ads.revoked = true;
        return conversions(acct, { googleAds: { ...DM_SETTINGS, refreshToken: "1//the-owners-new-refresh-token" } });
      },
    );
    await alarm(acct);
    expect(patched.value?.status).toBe(200);
    expect(ads.dataManagerChecks()).toHaveLength(1);
    ads.revoked = false;
    // Not backed off as a try that failed: asked in the next run, and answered.
    await alarm(acct);
    expect(ads.dataManagerChecks()).toHaveLength(2);
    expect(new URLSearchParams(ads.googleTokens().at(-1)!.body).get("refresh_token")).toBe("1//the-owners-new-refresh-token");
  });
});
