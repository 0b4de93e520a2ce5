/**
 * The platforms' answers as their documentation and SDKs give them, read right (Google Ads and
 * Microsoft Advertising mocked at the network edge, ad-platforms.ts): Microsoft's generic faults
 * (AdApiFaultDetail `Errors`: expired token, call rate, no access) whatever the HTTP status, its
 * retryable row errors (OfflineConversionsApplyFailed, a goal under 2 hours old) and its 404 while
 * REST does not serve the operation; Google's refusal of a developer token that may no longer
 * upload offline conversions (notAllowlistedError, since 15 June 2026) stops the platform instead of
 * failing every call, until a switch to the Data Manager API sends them.
 */
import { afterEach, describe, expect, it } from "vitest";
import { COMPLETED_SETTLE_MS } from "../../worker/account/call-outcome";
import { JITTER, retryDelayMs } from "../../worker/account/outbox";
import { ALERT_HOOK, googleError, mockPlatforms, msAdApiFault, platformViolations } from "./ad-platforms";
import { at, callWorld, T0 } from "./calls-helpers";
import { adCall, alarm, conversionOf, conversions, GOOGLE_SETTINGS, MS_SETTINGS } from "./conversions-helpers";
import { api, useTestClock } from "./helpers";

useTestClock(T0, { silence: ["warn", "error"] });
afterEach(() => expect(platformViolations()).toEqual([]));

const authState = async (acct: Parameters<typeof conversions>[0], key: "googleAds" | "microsoftAds") =>
  (await api("GET", "/v1/account/conversions", { key: acct.adminKey })).json[key].auth;
/** Past the wait after attempt `n` (jitter only lengthens it). */
const backoff = (n: number) => Math.ceil(retryDelayMs(n) * (1 + JITTER));

describe("Microsoft Advertising: generic faults (AdApiFaultDetail Errors)", () => {
  // The REST reference does not say which HTTP status carries which fault (both SDKs read a fault
  // from 400, 401, 403, 429 and 500): the errors decide, so these come with a 400.
  it("AuthenticationTokenExpired refreshes the access token once and sends again, whatever the status", async () => {
    const { acct, voice } = await callWorld(1);
    await conversions(acct, { microsoftAds: MS_SETTINGS });
    const ads = mockPlatforms();
    ads.msNext.push(msAdApiFault(400, [{ Code: 109, ErrorCode: "AuthenticationTokenExpired", Message: "Authentication token expired." }]));
    const id = await adCall(acct, voice, { gclid: "g", msclkid: "ms-expired" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(ads.microsoftTokens()).toHaveLength(2);
    expect(ads.microsoftUploads()).toHaveLength(2);
    expect(ads.microsoftUploads()[1]!.body).toBe(ads.microsoftUploads()[0]!.body);
    expect(await conversionOf(acct, id, "microsoft_ads")).toMatchObject({ status: "uploaded", reason: null });
  });

  it("CallRateExceeded (also wrapped in ApplicationFault) is retried on the backoff; UserIsNotAuthorized pauses the platform", async () => {
    const { acct, voice } = await callWorld(2);
    await conversions(acct, { microsoftAds: MS_SETTINGS });
    const ads = mockPlatforms();
    const rate = "You have exceeded the number of calls that you are allowed to make in a minute.";
    ads.msNext.push(
      msAdApiFault(400, [{ Code: 117, ErrorCode: "CallRateExceeded", Message: rate }]),
      msAdApiFault(400, [{ Code: 117, ErrorCode: "CallRateExceeded", Message: rate }], true),
    );
    const id = await adCall(acct, voice, { gclid: "g", msclkid: "ms-rate" });
    let t = T0 + COMPLETED_SETTLE_MS;
    at(t);
    await alarm(acct);
    expect(await conversionOf(acct, id, "microsoft_ads")).toMatchObject({ status: "pending", reason: `HTTP 400: CallRateExceeded: ${rate}` });
    t += backoff(1);
    at(t);
    await alarm(acct);
    expect(await conversionOf(acct, id, "microsoft_ads")).toMatchObject({ status: "pending", reason: `HTTP 400: CallRateExceeded: ${rate}` });
    t += backoff(2);
    at(t);
    await alarm(acct);
    expect(ads.microsoftUploads()).toHaveLength(3);
    expect(await conversionOf(acct, id, "microsoft_ads")).toMatchObject({ status: "uploaded", reason: null });

    // The user lost access to the account: nothing is refused for good, the platform waits for new settings.
    ads.msNext.push(msAdApiFault(400, [{ Code: 106, ErrorCode: "UserIsNotAuthorized", Message: "The user is not authorized to perform this action." }]));
    const other = await adCall(acct, voice, { gclid: "g", msclkid: "ms-denied" });
    t += COMPLETED_SETTLE_MS;
    at(t);
    await alarm(acct);
    expect(await conversionOf(acct, other, "microsoft_ads")).toMatchObject({ status: "pending", reason: expect.stringContaining("UserIsNotAuthorized") });
    expect(await authState(acct, "microsoftAds")).toMatchObject({ state: "auth_failed", reason: expect.stringContaining("UserIsNotAuthorized") });
  });
});

describe("Microsoft Advertising: answers that mean later", () => {
  it("OfflineConversionsApplyFailed and OfflineConversionNotAcceptedForGoal (a goal under 2 hours old) are retried, the other rows kept", async () => {
    const { acct, voice } = await callWorld(3);
    await conversions(acct, { microsoftAds: MS_SETTINGS });
    const ads = mockPlatforms();
    ads.msErrors.set("ms-apply", { Code: 5612, ErrorCode: "OfflineConversionsApplyFailed", Message: "Failed to send offline conversions to internal server." });
    ads.msErrors.set("ms-new-goal", {
      Code: 5615,
      ErrorCode: "OfflineConversionNotAcceptedForGoal",
      Message: "Offline conversions cannot be accepted for the conversion goal at this time.",
    });
    const fine = await adCall(acct, voice, { gclid: "g", msclkid: "ms-fine" });
    const apply = await adCall(acct, voice, { gclid: "g", msclkid: "ms-apply" });
    const young = await adCall(acct, voice, { gclid: "g", msclkid: "ms-new-goal" });
    let t = T0 + COMPLETED_SETTLE_MS;
    at(t);
    await alarm(acct);
    expect(await conversionOf(acct, fine, "microsoft_ads")).toMatchObject({ status: "uploaded" });
    expect(await conversionOf(acct, apply, "microsoft_ads")).toMatchObject({
      status: "pending",
      reason: expect.stringContaining("OfflineConversionsApplyFailed"),
    });
    expect(await conversionOf(acct, young, "microsoft_ads")).toMatchObject({
      status: "pending",
      reason: expect.stringContaining("OfflineConversionNotAcceptedForGoal"),
    });
    // Microsoft takes them now: only those two go again.
    ads.msErrors.clear();
    t += backoff(1);
    at(t);
    await alarm(acct);
    const sent = ads
      .microsoftUploads()
      .map((u) => (JSON.parse(u.body).OfflineConversions as { MicrosoftClickId: string }[]).map((c) => c.MicrosoftClickId).sort());
    expect(sent).toEqual([
      ["ms-apply", "ms-fine", "ms-new-goal"],
      ["ms-apply", "ms-new-goal"],
    ]);
    for (const id of [apply, young]) expect(await conversionOf(acct, id, "microsoft_ads")).toMatchObject({ status: "uploaded", reason: null });
  });

  it("a 404 (REST not serving the operation for now, as the .NET SDK reads it) is retried, not a final refusal", async () => {
    const { acct, voice } = await callWorld(1);
    await conversions(acct, { microsoftAds: MS_SETTINGS });
    const ads = mockPlatforms();
    ads.msNext.push({ status: 404, body: null });
    const id = await adCall(acct, voice, { gclid: "g", msclkid: "ms-404" });
    const t = T0 + COMPLETED_SETTLE_MS;
    at(t);
    await alarm(acct);
    expect(await conversionOf(acct, id, "microsoft_ads")).toMatchObject({ status: "pending", reason: "HTTP 404" });
    at(t + backoff(1));
    await alarm(acct);
    expect(ads.microsoftUploads()).toHaveLength(2);
    expect(await conversionOf(acct, id, "microsoft_ads")).toMatchObject({ status: "uploaded" });
  });
});

describe("Google Ads: a developer token not allowlisted for offline conversions", () => {
  const NOT_ALLOWLISTED = { notAllowlistedError: "CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE" };

  // Google does not document the status it refuses the request with; the error code decides.
  it("refusing the whole request: the platform stops (its calls wait, paused), its alert names the Data Manager API, and switching to it sends them", async () => {
    const { acct, voice } = await callWorld(1);
    await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { alertWebhook: { url: ALERT_HOOK } } });
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    const ads = mockPlatforms();
    ads.googleNext.push(googleError(400, "INVALID_ARGUMENT", "Customer is not allowlisted for accessing this feature.", NOT_ALLOWLISTED));
    const id = await adCall(acct, voice, { gclid: "gclid-new-adopter" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "pending", reason: expect.stringContaining("paused") });
    const auth = await authState(acct, "googleAds");
    expect(auth.state).toBe("auth_failed");
    expect(auth.reason).toContain("Data Manager API");
    expect(auth.reason).toContain("notAllowlistedError.CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE");
    // Later alarms send nothing until new settings come.
    at(T0 + COMPLETED_SETTLE_MS + 3_600_000);
    await alarm(acct);
    expect(ads.googleUploads()).toHaveLength(1);
    const alert = JSON.parse(ads.alerts()[0]!.body) as { remedies: { message: string }[] };
    expect(alert.remedies.map((r) => r.message).join(" ")).toContain('set googleAds.api to "data_manager"');
    // The way on: the Data Manager API, with a refresh token for its scope. The paused call goes there.
    const { developerToken: _d, ...rest } = GOOGLE_SETTINGS;
    expect((await conversions(acct, { googleAds: { ...rest, api: "data_manager", refreshToken: "1//datamanager-scoped" } })).status).toBe(200);
    await alarm(acct);
    expect(ads.googleUploads()).toHaveLength(1);
    expect(ads.dataManagerUploads()).toHaveLength(1);
    expect(JSON.parse(ads.dataManagerUploads()[0]!.body).events[0].transactionId).toBe(`dni-${id}`);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded", requestId: "dm-req-1" });
  });

  it("refusing every row of a partial failure: the same", async () => {
    const { acct, voice } = await callWorld(2);
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    const ads = mockPlatforms();
    ads.googleErrors.set("gclid-na-1", NOT_ALLOWLISTED);
    ads.googleErrors.set("gclid-na-2", NOT_ALLOWLISTED);
    const ids = [await adCall(acct, voice, { gclid: "gclid-na-1" }), await adCall(acct, voice, { gclid: "gclid-na-2" })];
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    for (const id of ids) expect(await conversionOf(acct, id)).toMatchObject({ status: "pending", reason: expect.stringContaining("paused") });
    expect((await authState(acct, "googleAds")).reason).toContain("Data Manager API");
  });

  it("refusing some rows of a partial failure, another row refused for its own reason: the same (the token is refused, not the rows, which wait)", async () => {
    const { acct, voice } = await callWorld(2);
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    const ads = mockPlatforms();
    ads.googleErrors.set("gclid-na", NOT_ALLOWLISTED);
    ads.googleErrors.set("gclid-unparseable", { conversionUploadError: "UNPARSEABLE_GCLID" });
    const ids = [await adCall(acct, voice, { gclid: "gclid-na" }), await adCall(acct, voice, { gclid: "gclid-unparseable" })];
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    for (const id of ids) expect(await conversionOf(acct, id)).toMatchObject({ status: "pending", reason: expect.stringContaining("paused") });
    expect((await authState(acct, "googleAds")).reason).toContain("Data Manager API");
  });
});

describe("Google Ads: a row refused for the account's settings, not for itself", () => {
  it("a conversion action not found: the platform stops (the calls wait, paused), and a PATCH with the right action sends them", async () => {
    const { acct, voice } = await callWorld(2);
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    const ads = mockPlatforms();
    const missing = { conversionUploadError: "NO_CONVERSION_ACTION_FOUND" };
    ads.googleErrors.set("gclid-action-1", missing);
    ads.googleErrors.set("gclid-action-2", missing);
    const ids = [await adCall(acct, voice, { gclid: "gclid-action-1" }), await adCall(acct, voice, { gclid: "gclid-action-2" })];
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    // Not failed for good (each call would need redelivering by hand): waiting for the settings.
    for (const id of ids) expect(await conversionOf(acct, id)).toMatchObject({ status: "pending", reason: expect.stringContaining("paused") });
    const auth = await authState(acct, "googleAds");
    expect(auth.state).toBe("auth_failed");
    expect(auth.reason).toContain("conversionUploadError.NO_CONVERSION_ACTION_FOUND");
    expect(auth.reason).toContain("conversionActionId");
    at(T0 + COMPLETED_SETTLE_MS + 3_600_000);
    await alarm(acct);
    expect(ads.googleUploads()).toHaveLength(1);
    // The fix: the right conversion action. The waiting calls go.
    ads.googleErrors.clear();
    expect((await conversions(acct, { googleAds: { ...GOOGLE_SETTINGS, conversionActionId: "111222333" } })).status).toBe(200);
    await alarm(acct);
    expect(ads.googleUploads()).toHaveLength(2);
    expect(ads.googleUploads()[1]!.body).toContain("customers/1234567890/conversionActions/111222333");
    for (const id of ids) expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded" });
  });

  it("one row refused for the customer data terms beside one uploaded: the same, and the uploaded one is taken as already there when sent again", async () => {
    const { acct, voice } = await callWorld(2);
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    const ads = mockPlatforms();
    ads.googleErrors.set("gclid-terms", { conversionUploadError: "CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS" });
    const ids = [await adCall(acct, voice, { gclid: "gclid-fine" }), await adCall(acct, voice, { gclid: "gclid-terms" })];
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    for (const id of ids) expect(await conversionOf(acct, id)).toMatchObject({ status: "pending", reason: expect.stringContaining("paused") });
    expect((await authState(acct, "googleAds")).reason).toContain("CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS");
    // Terms accepted in Google Ads, the settings saved again: both go; Google has the first already.
    ads.googleErrors.clear();
    expect((await conversions(acct, { googleAds: GOOGLE_SETTINGS })).status).toBe(200);
    await alarm(acct);
    expect(ads.googleUploads()).toHaveLength(2);
    for (const id of ids) expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded" });
  });

  it("a row refused for itself (an unparseable gclid) still fails alone, the platform going on", async () => {
    const { acct, voice } = await callWorld(2);
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    const ads = mockPlatforms();
    ads.googleErrors.set("gclid-bad", { conversionUploadError: "UNPARSEABLE_GCLID" });
    const [good, bad] = [await adCall(acct, voice, { gclid: "gclid-good" }), await adCall(acct, voice, { gclid: "gclid-bad" })];
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(await conversionOf(acct, good)).toMatchObject({ status: "uploaded" });
    expect(await conversionOf(acct, bad)).toMatchObject({ status: "failed" });
    expect((await authState(acct, "googleAds")).state).not.toBe("auth_failed");
  });
});
