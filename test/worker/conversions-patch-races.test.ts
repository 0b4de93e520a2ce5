/**
 * A PATCH of the conversion settings seals the credentials it brings (WebCrypto, awaited); what an
 * upload records meanwhile on the same setting (the credentials refused, a refresh token Microsoft
 * rotated) is kept: the PATCH merges over the setting as it is when it writes, not as it was read
 * before the seal. The PATCH is sent while the alarm's upload waits for the platform (mocked at the
 * network edge). Workerd's WebCrypto resolves today without letting another event in, so the test
 * also holds the PATCH's seal (the real encrypt, answered later) to open the window its await allows.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { COMPLETED_SETTLE_MS } from "../../worker/account/call-outcome";
import { ALERT_HOOK, mockPlatforms, platformViolations } from "./ad-platforms";
import { at, callWorld, T0 } from "./calls-helpers";
import { adCall, alarm, conversionOf, conversions, DM_SETTINGS, MS_SETTINGS } from "./conversions-helpers";
import { api, useTestClock } from "./helpers";
import { duringRequest } from "./network-gates";

useTestClock(T0, { silence: ["warn", "error"] });
afterEach(() => expect(platformViolations()).toEqual([]));

/**
 * The PATCH's seals: `hold()` holds the next crypto.subtle.encrypt (the real one, answered at
 * `release()`); the others (a rotated refresh token sealed by an upload) go straight through.
 */
function sealGate() {
  const real = crypto.subtle.encrypt.bind(crypto.subtle);
  let held: { released: Promise<void>; reached: () => void } | null = null;
  let release = () => {};
  let sealing = Promise.resolve();
  vi.spyOn(crypto.subtle, "encrypt").mockImplementation(async (...args: Parameters<SubtleCrypto["encrypt"]>) => {
    const h = held;
    held = null;
    if (h) {
      h.reached();
      await h.released;
    }
    return real(...args);
  });
  return {
    /** Call it from the test (a promise made inside an object's request cannot be resolved from outside it). */
    hold() {
      let reached = () => {};
      sealing = new Promise<void>((r) => (reached = r));
      held = { released: new Promise<void>((r) => (release = r)), reached };
    },
    /** Resolves once the held encrypt is reached. */
    sealing: () => sealing,
    release: () => release(),
  };
}

type Answer = { status: number; json: any };

/**
 * While the alarm's upload waits for the platform's token endpoint (the first request to `host`),
 * send `patch` and hold its seal until the alarm is over; then the platform answers and the upload
 * records what it found. Answers the PATCH's response once released.
 */
function patchDuringUpload(host: string, patch: () => Promise<Answer>) {
  const gate = sealGate();
  gate.hold();
  const fetchMock = vi.mocked(globalThis.fetch);
  const inner = fetchMock.getMockImplementation()!;
  let sent: Promise<Answer> | null = null;
  fetchMock.mockImplementation(async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.hostname === host && !sent) {
      sent = patch();
      await gate.sealing();
    }
    return inner(input, init);
  });
  return () => {
    gate.release();
    if (!sent) throw new Error(`no request to ${host}: the PATCH was not sent`);
    return sent;
  };
}

const settingsOf = async (acct: Parameters<typeof conversions>[0]) => (await api("GET", "/v1/account/conversions", { key: acct.adminKey })).json;

describe("a PATCH of the conversion settings while an upload records on them", () => {
  it("credentials refused while the PATCH seals stay refused (one alert, uploads paused): the PATCH changed neither them nor the settings", async () => {
    const { acct, voice } = await callWorld(1);
    await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { alertWebhook: { url: ALERT_HOOK } } });
    await conversions(acct, { googleAds: DM_SETTINGS });
    const ads = mockPlatforms();
    ads.revoked = true;
    const id = await adCall(acct, voice, { gclid: "gclid-patch-race" });
    const refusedAt = T0 + COMPLETED_SETTLE_MS;
    at(refusedAt);
    // The same Google settings (no credentials named) and a new minimum: nothing that resumes uploads.
    const { clientId: _c, clientSecret: _s, refreshToken: _r, ...same } = DM_SETTINGS;
    const patched = patchDuringUpload("oauth2.googleapis.com", () => conversions(acct, { googleAds: same, rules: { minSeconds: 30 } }));
    await alarm(acct);
    const res = await patched();
    expect(res.status).toBe(200);
    expect(res.json.rules.minSeconds).toBe(30);
    const auth = { state: "auth_failed", since: refusedAt };
    expect(res.json.googleAds.auth).toMatchObject(auth);
    expect((await settingsOf(acct)).googleAds.auth).toMatchObject(auth);
    expect((await conversionOf(acct, id))?.reason).toContain("invalid_grant");
    // Still paused: later runs ask Google nothing, and the one alert stays one.
    ads.revoked = false;
    at(refusedAt + 3_600_000);
    await alarm(acct);
    expect(ads.googleTokens()).toHaveLength(1);
    expect(ads.dataManagerUploads()).toHaveLength(0);
    expect(ads.alerts()).toHaveLength(1);
  });

  it("a refresh token Microsoft rotated while the PATCH seals is kept, under the PATCH's new settings, and the next run refreshes with it", async () => {
    const { acct, voice } = await callWorld(2);
    await conversions(acct, { microsoftAds: MS_SETTINGS });
    const ads = mockPlatforms();
    const a = await adCall(acct, voice, { gclid: "g", msclkid: "ms-patch-race-a" });
    at(T0 + COMPLETED_SETTLE_MS);
    const { developerToken: _d, clientId: _c, refreshToken: _r, ...config } = MS_SETTINGS;
    const patched = patchDuringUpload("login.microsoftonline.com", () =>
      conversions(acct, { microsoftAds: { ...config, conversionName: "Phone call (DNI)" } }),
    );
    await alarm(acct);
    expect(await conversionOf(acct, a, "microsoft_ads")).toMatchObject({ status: "uploaded" });
    const rotated = ads.msRefreshIssued[0]!;
    expect(rotated).toBeTruthy();
    const res = await patched();
    expect(res.status).toBe(200);
    expect(res.json.microsoftAds).toMatchObject({ conversionName: "Phone call (DNI)", credentials: { refreshToken: `…${rotated.slice(-4)}` } });
    // An hour on the access token has expired: the next run refreshes from the rotated token, which Microsoft takes.
    at(T0 + 3_600_000);
    const b = await adCall(acct, voice, { gclid: "g", msclkid: "ms-patch-race-b" });
    at(T0 + 3_600_000 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(ads.microsoftTokens().map((t) => new URLSearchParams(t.body).get("refresh_token"))).toEqual([MS_SETTINGS.refreshToken, rotated]);
    expect(await conversionOf(acct, b, "microsoft_ads")).toMatchObject({ status: "uploaded" });
    expect((await settingsOf(acct)).microsoftAds.auth.state).toBe("ok");
  });

  it("credentials that keep changing under the PATCH's seal (a refresh token rotated each time): sealed again twice, then 503 settings_changed, nothing of it stored", async () => {
    const { acct } = await callWorld(1);
    await conversions(acct, { microsoftAds: MS_SETTINGS });
    const ads = mockPlatforms();
    const { developerToken: _d, clientId: _c, refreshToken: _r, ...config } = MS_SETTINGS;
    const gate = sealGate();
    gate.hold();
    const patch = conversions(acct, { microsoftAds: { ...config, conversionName: "Phone call (DNI)" } });
    for (const hour of [1, 2, 3]) {
      await gate.sealing();
      // The connection check, an hour on (its access token expired): Microsoft rotates the refresh token, which is kept.
      at(T0 + hour * 3_600_000);
      expect((await api("POST", "/v1/account/conversions/check", { key: acct.adminKey })).json.ok).toBe(true);
      expect(ads.msRefreshIssued).toHaveLength(hour);
      // Released, and the next seal held before the PATCH goes on (nothing runs in between).
      gate.release();
      if (hour < 3) gate.hold();
    }
    const res = await patch;
    expect(res.status).toBe(503);
    expect(res.json.error.code).toBe("settings_changed");
    const view = (await settingsOf(acct)).microsoftAds;
    expect(view).toMatchObject({ conversionName: MS_SETTINGS.conversionName, credentials: { refreshToken: `…${ads.msRefreshIssued[2]!.slice(-4)}` } });
  });
});

describe("a refresh token Microsoft rotated, sealed while a PATCH writes", () => {
  it("is kept over the PATCH's new settings (same credentials): the token Microsoft voided is not left stored", async () => {
    const { acct } = await callWorld(1);
    await conversions(acct, { microsoftAds: MS_SETTINGS });
    const ads = mockPlatforms();
    const { developerToken: _d, clientId: _c, refreshToken: _r, ...config } = MS_SETTINGS;
    const gate = sealGate();
    // The connection check refreshes (Microsoft rotates the token); its seal of the new token is held.
    at(T0 + 3_600_000);
    gate.hold();
    const check = api("POST", "/v1/account/conversions/check", { key: acct.adminKey });
    await gate.sealing();
    const patched = await conversions(acct, { microsoftAds: { ...config, conversionName: "Phone call (DNI)" } });
    expect(patched.status).toBe(200);
    gate.release();
    expect((await check).json.ok).toBe(true);
    const rotated = ads.msRefreshIssued[0]!;
    expect(rotated).toBeTruthy();
    expect((await settingsOf(acct)).microsoftAds).toMatchObject({ conversionName: "Phone call (DNI)", credentials: { refreshToken: `…${rotated.slice(-4)}` } });
    // The next refresh uses it, and Microsoft takes it (the goal the PATCH named is not in the mock's account).
    at(T0 + 2 * 3_600_000);
    const again = await api("POST", "/v1/account/conversions/check", { key: acct.adminKey });
    expect(again.json.results[0].checked[0]).toContain("refreshed from the stored refresh token");
    expect(ads.microsoftTokens().map((t) => new URLSearchParams(t.body).get("refresh_token"))).toEqual([MS_SETTINGS.refreshToken, rotated]);
  });
});

describe("an upload refused with credentials a PATCH replaced while it waited", () => {
  it("does not mark the new credentials refused nor pause the calls: they go with the new ones next run", async () => {
    const { acct, voice } = await callWorld(1);
    await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { alertWebhook: { url: ALERT_HOOK } } });
    // The refresh token its owner is about to revoke (the mock refuses it), replaced while the upload asks for an access token.
    await conversions(acct, { googleAds: { ...DM_SETTINGS, refreshToken: "1//revoked-by-its-owner" } });
    const ads = mockPlatforms();
    const id = await adCall(acct, voice, { gclid: "gclid-renewed-mid-upload" });
    at(T0 + COMPLETED_SETTLE_MS);
    const patched = duringRequest(
      (url) => url.hostname === "oauth2.googleapis.com",
      () => conversions(acct, { googleAds: DM_SETTINGS }),
    );
    await alarm(acct);
    expect(patched.value?.status).toBe(200);
    expect((await settingsOf(acct)).googleAds.auth.state).toBe("ok");
    expect(ads.alerts()).toHaveLength(0);
    await alarm(acct);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded" });
    expect(ads.dataManagerUploads()).toHaveLength(1);
  });
});

describe("a platform's setting a PATCH writes while the other platform's upload waits", () => {
  it("is not paused by the run's older reading of it: Microsoft's new credentials clear its refusal, and its calls go next run", async () => {
    const { acct, voice } = await callWorld(2);
    await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { alertWebhook: { url: ALERT_HOOK } } });
    // Microsoft's refresh token revoked (the mock refuses it): its first upload pauses Microsoft.
    await conversions(acct, { googleAds: DM_SETTINGS, microsoftAds: { ...MS_SETTINGS, refreshToken: "M.revoked-by-its-owner" } });
    const ads = mockPlatforms();
    await adCall(acct, voice, { gclid: "gclid-first", msclkid: "msclkid-first" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect((await settingsOf(acct)).microsoftAds.auth.state).toBe("auth_failed");
    // The next run reads Microsoft as refused; while Google's upload is on its way, the owner sets new credentials.
    const id = await adCall(acct, voice, { gclid: "gclid-second", msclkid: "msclkid-second" });
    at(Date.now() + COMPLETED_SETTLE_MS);
    const patched = duringRequest(
      (url) => url.hostname === "datamanager.googleapis.com",
      () => conversions(acct, { microsoftAds: MS_SETTINGS }),
    );
    await alarm(acct);
    expect(patched.value?.status).toBe(200);
    expect((await settingsOf(acct)).microsoftAds.auth.state).toBe("ok");
    expect(await conversionOf(acct, id, "microsoft_ads")).not.toMatchObject({ reason: expect.stringContaining("paused") });
    await alarm(acct);
    expect(await conversionOf(acct, id, "microsoft_ads")).toMatchObject({ status: "uploaded" });
    expect(ads.microsoftUploads().length).toBeGreaterThan(0);
  });
});
