/**
 * Calls as ad conversions, with Google Ads and Microsoft Advertising mocked at the network edge
 * (ad-platforms.ts): only qualifying calls are sent, each once across retries, repeated callbacks
 * and alarms; a partial failure retries only the retryable rows and stores the final reasons on
 * the call; an expired access token is refreshed once; a revoked refresh token stops uploads with
 * one alert; a visit without consent is never uploaded.
 */
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { COMPLETED_SETTLE_MS } from "../../worker/account/call-outcome";
import { JITTER, retryDelayMs } from "../../worker/account/outbox";
import { googleAnswer } from "../../worker/domain/ad-answers";
import { googleDateTime, orderIdOf } from "../../worker/domain/conversions";
import { ALERT_HOOK, mockPlatforms, platformViolations } from "./ad-platforms";
import { at, callWorld, getCall, ring, T0 } from "./calls-helpers";
import { adCall, alarm, conversionOf, conversions, csv, GOOGLE_SETTINGS, MS_SETTINGS, parseCsv } from "./conversions-helpers";
import { accountStub, api, dump, useTestClock } from "./helpers";

useTestClock(T0, { silence: ["warn", "error"] });
afterEach(() => expect(platformViolations()).toEqual([]));

describe("conversion settings", () => {
  it("without SECRETS_KEY a change that keeps the stored credentials is 503 secrets_unavailable (they cannot be opened), not missing_credentials; nothing changes", async () => {
    const { acct } = await callWorld(1);
    expect((await conversions(acct, { googleAds: GOOGLE_SETTINGS })).status).toBe(200);
    await runInDurableObject(accountStub(acct.accountId), (instance) => {
      (instance as unknown as { conversions: { secretsKey: string | undefined } }).conversions.secretsKey = undefined;
    });
    const before = await dump(accountStub(acct.accountId));
    const { developerToken: _d, clientId: _c, clientSecret: _s, refreshToken: _r, ...config } = GOOGLE_SETTINGS;
    const r = await conversions(acct, { googleAds: { ...config, loginCustomerId: "1112223334" } });
    expect(r.status).toBe(503);
    expect(r.json.error.code).toBe("secrets_unavailable");
    expect(await dump(accountStub(acct.accountId))).toBe(before);
  });

  it("credentials are write-only (hints), refused without them, and nothing is stored on a bad request", async () => {
    const { acct } = await callWorld(1);
    const missing = await conversions(acct, { googleAds: { ...GOOGLE_SETTINGS, refreshToken: undefined } });
    expect(missing.status).toBe(400);
    expect(missing.json.error).toMatchObject({ code: "missing_credentials", details: [{ value: "refreshToken" }] });
    const badTz = await conversions(acct, { googleAds: { ...GOOGLE_SETTINGS, timeZone: "Mars/Olympus" } });
    expect(badTz.status).toBe(400);
    expect(badTz.json.error.code).toBe("invalid_request");
    const badId = await conversions(acct, { googleAds: { ...GOOGLE_SETTINGS, customerId: "12345" } });
    expect(badId.status).toBe(400);
    expect((await api("GET", "/v1/account/conversions", { key: acct.adminKey })).json).toEqual({
      googleAds: null,
      microsoftAds: null,
      rules: { minSeconds: 60, value: null, currency: null, consent: "granted", pools: {} },
    });

    const set = await conversions(acct, { googleAds: GOOGLE_SETTINGS, rules: { value: 50, currency: "USD", pools: { web: { minSeconds: 90 } } } });
    expect(set.status).toBe(200);
    expect(set.headers.get("Cache-Control")).toBe("no-store");
    expect(set.json.googleAds).toEqual({
      api: "google_ads_api",
      customerId: "1234567890",
      conversionActionId: "987654321",
      conversionName: "Phone call (DNI)",
      loginCustomerId: null,
      timeZone: "America/New_York",
      enhancedConversions: false,
      credentials: { developerToken: "…1111", clientId: "….com", clientSecret: "…XYZW", refreshToken: "…abcd" },
      auth: { state: "ok", reason: null, since: null },
      diagnostics: { waiting: 0, lastError: null },
    });
    expect(JSON.stringify(set.json)).not.toContain("refresh-token-abcd");
    // Stored sealed: none of the credentials is anywhere in the account object's storage.
    const stored = await dump(accountStub(acct.accountId));
    expect(stored).toContain("1234567890");
    for (const secret of [GOOGLE_SETTINGS.developerToken, GOOGLE_SETTINGS.clientSecret, GOOGLE_SETTINGS.refreshToken]) expect(stored).not.toContain(secret);
    expect(set.json.rules).toEqual({ minSeconds: 60, value: 50, currency: "USD", consent: "granted", pools: { web: { minSeconds: 90 } } });
    // Changing the config without credentials keeps the stored ones.
    const again = await conversions(acct, {
      googleAds: {
        ...GOOGLE_SETTINGS,
        developerToken: undefined,
        clientId: undefined,
        clientSecret: undefined,
        refreshToken: undefined,
        enhancedConversions: true,
      },
    });
    expect(again.status).toBe(200);
    expect(again.json.googleAds).toMatchObject({ enhancedConversions: true, credentials: { refreshToken: "…abcd" } });
  });
});

describe("Google Ads uploads", () => {
  it("sends only qualifying calls, field by field, once across alarms and repeated callbacks; skipped calls say why", async () => {
    const { acct, voice } = await callWorld(5);
    expect((await conversions(acct, { googleAds: GOOGLE_SETTINGS, rules: { value: 120.5, currency: "USD" } })).status).toBe(200);
    const ads = mockPlatforms();
    const good = await adCall(acct, voice, { gclid: "Cj0KCQ-good", talk: 95 });
    const short = await adCall(acct, voice, { gclid: "Cj0KCQ-short", talk: 30 });
    const denied = await adCall(acct, voice, { gclid: "Cj0KCQ-denied", consent: { adUserData: "denied", adStorage: "granted" } });
    const noSignal = await adCall(acct, voice, { gclid: "Cj0KCQ-nosignal", consent: {} });
    const busy = await adCall(acct, voice, { gclid: "Cj0KCQ-busy", outcome: "busy" });
    // Nothing goes out before the outcome has settled.
    await alarm(acct);
    expect(ads.googleUploads()).toHaveLength(0);
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(ads.googleTokens()).toHaveLength(1);
    const uploads = ads.googleUploads();
    expect(uploads).toHaveLength(1);
    const up = uploads[0]!;
    expect(up.url.href).toBe("https://googleads.googleapis.com/v26/customers/1234567890:uploadClickConversions");
    expect(up.headers.get("Authorization")).toBe("Bearer ya29.token-1");
    expect(up.headers.get("developer-token")).toBe("dev-token-AAAA1111");
    expect(up.headers.get("login-customer-id")).toBeNull();
    expect(JSON.parse(up.body)).toEqual({
      conversions: [
        {
          gclid: "Cj0KCQ-good",
          conversionAction: "customers/1234567890/conversionActions/987654321",
          // T0 is 2031-03-01T10:00:00Z: 05:00 in New York (EST, -05:00).
          conversionDateTime: "2031-03-01 05:00:00-05:00",
          conversionValue: 120.5,
          currencyCode: "USD",
          orderId: `dni-${good}`,
          consent: { adUserData: "GRANTED" },
        },
      ],
      partialFailure: true,
    });
    const token = new URLSearchParams(ads.googleTokens()[0]!.body);
    expect(Object.fromEntries(token)).toEqual({
      grant_type: "refresh_token",
      client_id: GOOGLE_SETTINGS.clientId,
      refresh_token: GOOGLE_SETTINGS.refreshToken,
      client_secret: GOOGLE_SETTINGS.clientSecret,
    });
    expect(await conversionOf(acct, good)).toMatchObject({ status: "uploaded", clickIdType: "gclid", orderId: `dni-${good}`, reason: null });
    expect(await conversionOf(acct, short)).toMatchObject({ status: "skipped", reason: "talk time 30 s is under the minimum of 60 s" });
    expect(await conversionOf(acct, denied)).toMatchObject({ status: "skipped", reason: "the visitor denied ad_user_data consent" });
    expect(await conversionOf(acct, noSignal)).toMatchObject({ status: "skipped", reason: "no ad_user_data consent signal (the account requires granted)" });
    expect(await conversionOf(acct, busy)).toMatchObject({ status: "skipped", reason: "not answered (busy)" });
    const call = (await getCall(acct, good)).json;
    expect(call.deliveries).toContainEqual(expect.objectContaining({ kind: "google_ads", event: "call.completed", status: "delivered", attempts: 1 }));

    // A repeated status report and a repeated inbound callback change nothing; no second upload ever.
    await ring(`${voice.callbackUrl}/status`, { callId: good, status: "completed", duration: 95, endTime: T0 + 100_000 });
    await ring(`${voice.callbackUrl}/status`, { callId: good, status: "in-progress", duration: 120, endTime: T0 + 130_000 });
    at(T0 + 2 * COMPLETED_SETTLE_MS);
    await alarm(acct);
    at(T0 + 3_600_000);
    await alarm(acct);
    expect(ads.googleUploads()).toHaveLength(1);
    // The cached access token was not refreshed again.
    expect(ads.googleTokens()).toHaveLength(1);
  });

  it("a partial failure retries only the retryable row; a final refusal is stored on the call; the token is cached", async () => {
    const { acct, voice } = await callWorld(3);
    await conversions(acct, { googleAds: { ...GOOGLE_SETTINGS, loginCustomerId: "111-222-3333" } });
    const ads = mockPlatforms();
    ads.googleErrors.set("gclid-too-recent", { conversionUploadError: "TOO_RECENT_EVENT" });
    ads.googleErrors.set("gclid-bad", { conversionUploadError: "UNPARSEABLE_GCLID" });
    const ok = await adCall(acct, voice, { gclid: "gclid-fine" });
    const recent = await adCall(acct, voice, { gclid: "gclid-too-recent" });
    const bad = await adCall(acct, voice, { gclid: "gclid-bad" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(ads.googleUploads()).toHaveLength(1);
    expect(ads.googleUploads()[0]!.headers.get("login-customer-id")).toBe("1112223333");
    expect(JSON.parse(ads.googleUploads()[0]!.body).conversions.map((c: { gclid: string }) => c.gclid)).toEqual([
      "gclid-fine",
      "gclid-too-recent",
      "gclid-bad",
    ]);
    expect(await conversionOf(acct, ok)).toMatchObject({ status: "uploaded" });
    expect(await conversionOf(acct, recent)).toMatchObject({ status: "pending", reason: "conversionUploadError.TOO_RECENT_EVENT: Refused: TOO_RECENT_EVENT" });
    const refused = (await getCall(acct, bad)).json;
    expect(refused.conversions[0]).toMatchObject({ status: "failed", reason: "conversionUploadError.UNPARSEABLE_GCLID: Refused: UNPARSEABLE_GCLID" });
    expect(refused.deliveries).toContainEqual(expect.objectContaining({ kind: "google_ads", status: "dead", attempts: 1 }));

    // The click is old enough now: only the retryable row goes again, with the cached token.
    ads.googleErrors.delete("gclid-too-recent");
    at(T0 + COMPLETED_SETTLE_MS + Math.ceil(retryDelayMs(1) * (1 + JITTER)));
    await alarm(acct);
    expect(ads.googleUploads()).toHaveLength(2);
    expect(JSON.parse(ads.googleUploads()[1]!.body).conversions.map((c: { gclid: string; orderId: string }) => [c.gclid, c.orderId])).toEqual([
      ["gclid-too-recent", `dni-${recent}`],
    ]);
    expect(await conversionOf(acct, recent)).toMatchObject({ status: "uploaded", reason: null });
    expect(ads.googleTokens()).toHaveLength(1);
    // Nothing more is sent on later alarms (the daily upkeep keeps one set).
    at(T0 + 2 * 86_400_000);
    await alarm(acct);
    expect(ads.googleUploads()).toHaveLength(2);

    // The refused upload is a dead delivery of kind google_ads (the dashboard lists it); redelivered, it is sent once more.
    const dead = (await api("GET", "/v1/deliveries?status=dead&kind=google_ads", { key: acct.adminKey })).json.deliveries;
    expect(dead).toEqual([expect.objectContaining({ kind: "google_ads", callId: bad, status: "dead", attempts: 1 })]);
    const again = await api("POST", `/v1/deliveries/${dead[0].id}/redeliver`, { key: acct.adminKey });
    expect(again.status).toBe(202);
    expect(again.json).toMatchObject({ kind: "google_ads", status: "pending", redeliveries: 1 });
    await alarm(acct);
    expect(ads.googleUploads()).toHaveLength(3);
    expect(JSON.parse(ads.googleUploads()[2]!.body).conversions.map((c: { gclid: string }) => c.gclid)).toEqual(["gclid-bad"]);
  });

  it("a visit with no gclid is uploaded by its gbraid, else its wbraid (one click id per conversion); the import CSV, which takes gclids only, leaves them out", async () => {
    const { acct, voice } = await callWorld(3);
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    const ads = mockPlatforms();
    const gbraid = await adCall(acct, voice, { clickIds: { gbraid: "GB-app-1", wbraid: "WB-web-1" } });
    const wbraid = await adCall(acct, voice, { clickIds: { wbraid: "WB-web-2" } });
    const none = await adCall(acct, voice, { clickIds: { fbclid: "FB-1", msclkid: "MS-1" } });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    const sent = (JSON.parse(ads.googleUploads()[0]!.body).conversions as Record<string, unknown>[]).map(({ gclid, gbraid, wbraid, orderId }) => ({
      gclid,
      gbraid,
      wbraid,
      orderId,
    }));
    expect(sent).toEqual([
      { gclid: undefined, gbraid: "GB-app-1", wbraid: undefined, orderId: `dni-${gbraid}` },
      { gclid: undefined, gbraid: undefined, wbraid: "WB-web-2", orderId: `dni-${wbraid}` },
    ]);
    expect(await conversionOf(acct, gbraid)).toMatchObject({ status: "uploaded", clickIdType: "gbraid" });
    expect(await conversionOf(acct, wbraid)).toMatchObject({ status: "uploaded", clickIdType: "wbraid" });
    expect(await conversionOf(acct, none)).toMatchObject({ status: "skipped", reason: "the visit had no gclid, gbraid or wbraid" });
    expect(parseCsv((await csv(acct, "?format=google_ads")).text)).toHaveLength(2);
  });

  it("an upload Google says already exists (an earlier attempt went through) counts as uploaded", async () => {
    const { acct, voice } = await callWorld(1);
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    const ads = mockPlatforms();
    ads.googleErrors.set("gclid-dupe", { conversionUploadError: "CLICK_CONVERSION_ALREADY_EXISTS" });
    const id = await adCall(acct, voice, { gclid: "gclid-dupe" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded" });
  });

  it("an expired access token is refreshed once and the upload goes through", async () => {
    const { acct, voice } = await callWorld(1);
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    const ads = mockPlatforms();
    const id = await adCall(acct, voice, { gclid: "gclid-expiry" });
    at(T0 + COMPLETED_SETTLE_MS);
    ads.expireNextToken = true;
    await alarm(acct);
    expect(ads.googleTokens()).toHaveLength(2);
    const [first, second] = ads.googleUploads();
    expect(first!.headers.get("Authorization")).toBe("Bearer ya29.token-1");
    expect(second!.headers.get("Authorization")).toBe("Bearer ya29.token-2");
    expect(second!.body).toBe(first!.body);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded" });
  });

  it("a revoked refresh token stops uploads with one alert and no retry storm; new credentials resume them", async () => {
    const { acct, voice } = await callWorld(2);
    await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { alertWebhook: { url: ALERT_HOOK } } });
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    const ads = mockPlatforms();
    ads.revoked = true;
    const a = await adCall(acct, voice, { gclid: "gclid-a" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(ads.googleTokens()).toHaveLength(1);
    expect(ads.googleUploads()).toHaveLength(0);
    expect(await conversionOf(acct, a)).toMatchObject({ status: "pending" });
    expect((await conversionOf(acct, a))?.reason).toContain("invalid_grant");
    const view = (await api("GET", "/v1/account/conversions", { key: acct.adminKey })).json;
    expect(view.googleAds.auth).toMatchObject({ state: "auth_failed", since: T0 + COMPLETED_SETTLE_MS });
    // A second qualifying call, and time passing: no token request, no upload, one alert in all.
    const b = await adCall(acct, voice, { gclid: "gclid-b" });
    for (const t of [1, 2, 3]) {
      at(T0 + COMPLETED_SETTLE_MS + t * 3_600_000);
      await alarm(acct);
    }
    expect(ads.googleTokens()).toHaveLength(1);
    expect(ads.googleUploads()).toHaveLength(0);
    const alerts = ads.alerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.headers.get("X-DNI-Event")).toBe("conversions.auth_failed");
    expect(JSON.parse(alerts[0]!.body)).toMatchObject({ type: "conversions.auth_failed", platform: "google_ads" });
    expect(alerts[0]!.body).not.toContain(GOOGLE_SETTINGS.refreshToken);

    // New credentials: both paused uploads go, in one request.
    ads.revoked = false;
    const fixed = await conversions(acct, { googleAds: { ...GOOGLE_SETTINGS, refreshToken: "1//a-new-refresh-token" } });
    expect(fixed.json.googleAds.auth).toEqual({ state: "ok", reason: null, since: null });
    await alarm(acct);
    expect(ads.googleUploads()).toHaveLength(1);
    expect(
      JSON.parse(ads.googleUploads()[0]!.body)
        .conversions.map((c: { gclid: string }) => c.gclid)
        .sort(),
    ).toEqual(["gclid-a", "gclid-b"]);
    expect(await conversionOf(acct, a)).toMatchObject({ status: "uploaded" });
    expect(await conversionOf(acct, b)).toMatchObject({ status: "uploaded" });
  });

  it("enhanced conversions for leads (on request) add the SHA-256 of the caller's E.164 number; a pool override sets its own minimum, value and currency, or turns uploads off", async () => {
    const { acct, voice } = await callWorld(3);
    await conversions(acct, {
      googleAds: { ...GOOGLE_SETTINGS, enhancedConversions: true },
      rules: { value: 10, currency: "USD", pools: { web: { minSeconds: 120, value: 250, currency: "EUR" } } },
    });
    const ads = mockPlatforms();
    const longer = await adCall(acct, voice, { gclid: "gclid-long", talk: 150 });
    const shorter = await adCall(acct, voice, { gclid: "gclid-95", talk: 95 });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    const sent = JSON.parse(ads.googleUploads()[0]!.body).conversions;
    expect(sent).toHaveLength(1);
    // SHA-256 of "+13105550123" as Node's crypto computes it (the caller of callBody).
    expect(sent[0].userIdentifiers).toEqual([{ hashedPhoneNumber: "1b86a2a9accd0342714a487c0cf6e0f91cec8763e7e6096776bc1e9f74d84584" }]);
    expect(sent[0]).toMatchObject({ conversionValue: 250, currencyCode: "EUR" });
    expect(await conversionOf(acct, longer)).toMatchObject({ status: "uploaded" });
    expect(await conversionOf(acct, shorter)).toMatchObject({ status: "skipped", reason: "talk time 95 s is under the minimum of 120 s" });
    expect((await conversions(acct, { rules: { pools: { web: { enabled: false } } } })).status).toBe(200);
    const off = await adCall(acct, voice, { gclid: "gclid-off", talk: 300 });
    expect(await conversionOf(acct, off)).toMatchObject({ status: "skipped", reason: "uploads are off for pool web" });
  });
  it("enhanced conversions add no phone for a withheld caller id (anonymous, or a keypad spelling such as Twilio's +266696687)", async () => {
    const { acct, voice } = await callWorld(3);
    await conversions(acct, { googleAds: { ...GOOGLE_SETTINGS, enhancedConversions: true } });
    const ads = mockPlatforms();
    await adCall(acct, voice, { gclid: "gclid-anonymous", talk: 150, caller: "+266696687" });
    await adCall(acct, voice, { gclid: "gclid-restricted", talk: 150, caller: "restricted" });
    await adCall(acct, voice, { gclid: "gclid-number", talk: 150, caller: "+13105550123" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    const sent = ads.googleUploads().flatMap((u) => JSON.parse(u.body).conversions as { gclid: string; userIdentifiers?: unknown }[]);
    expect(sent.map((c) => c.gclid).sort()).toEqual(["gclid-anonymous", "gclid-number", "gclid-restricted"]);
    const byClick = Object.fromEntries(sent.map((c) => [c.gclid, c.userIdentifiers]));
    expect(byClick["gclid-anonymous"]).toBeUndefined();
    expect(byClick["gclid-restricted"]).toBeUndefined();
    expect(byClick["gclid-number"]).toEqual([{ hashedPhoneNumber: "1b86a2a9accd0342714a487c0cf6e0f91cec8763e7e6096776bc1e9f74d84584" }]);
  });
});

describe("order ids and Google's duplicate answers", () => {
  it("a call id that fits keeps its order id; two long ones sharing their first 60 characters get two (each ≤ 64)", () => {
    expect(orderIdOf("CA0123456789abcdef0123456789abcdef")).toBe("dni-CA0123456789abcdef0123456789abcdef");
    const prefix = "v3:".padEnd(61, "x");
    const ids = [`${prefix}-leg-a`, `${prefix}-leg-b`, "v3:".padEnd(128, "y")].map(orderIdOf);
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(id.length).toBeLessThanOrEqual(64);
    expect(orderIdOf(`${prefix}-leg-a`)).toBe(ids[0]);
  });

  it("DUPLICATE_ORDER_ID (rows of one request sharing an order id, none processed) is retried, never counted as uploaded", () => {
    // ConversionUploadError.DUPLICATE_ORDER_ID: "Imported events include multiple conversions with the same order ID and were not processed."
    const failure = {
      "@type": "type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure",
      errors: [0, 1].map((index) => ({
        errorCode: { conversionUploadError: "DUPLICATE_ORDER_ID" },
        message: "Imported events include multiple conversions with the same order ID and were not processed.",
        location: { fieldPathElements: [{ fieldName: "conversions", index }, { fieldName: "order_id" }] },
      })),
    };
    const answer = googleAnswer(200, { partialFailureError: { code: 3, message: "x", details: [failure] }, results: [{}, {}, {}] }, 3);
    expect("rows" in answer && answer.rows.map((r) => r.verdict)).toEqual(["retry", "retry", "uploaded"]);
  });
});

describe("consent", () => {
  it("a visit whose ad_user_data (or, without it, ad_storage) was denied is never uploaded, to either platform or the import CSV; 'not_denied' also takes visits with no signal", async () => {
    const { acct, voice } = await callWorld(4);
    await conversions(acct, { googleAds: GOOGLE_SETTINGS, microsoftAds: MS_SETTINGS, rules: { consent: "not_denied" } });
    const ads = mockPlatforms();
    const denied = await adCall(acct, voice, { gclid: "gclid-denied", msclkid: "ms-denied", consent: { adUserData: "denied", adStorage: "granted" } });
    const storageDenied = await adCall(acct, voice, { gclid: "gclid-storage-denied", msclkid: "ms-storage-denied", consent: { adStorage: "denied" } });
    const none = await adCall(acct, voice, { gclid: "gclid-none", msclkid: "ms-none", consent: {} });
    const granted = await adCall(acct, voice, { gclid: "gclid-granted", msclkid: "ms-granted" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    const google = ads.googleUploads().flatMap((u) => JSON.parse(u.body).conversions as Record<string, unknown>[]);
    const microsoft = ads.microsoftUploads().flatMap((u) => JSON.parse(u.body).OfflineConversions as { MicrosoftClickId: string }[]);
    // No signal: sent without a consent field (never as UNSPECIFIED); granted: sent as GRANTED.
    expect(google.map((c) => [c.gclid, c.consent]).sort()).toEqual([
      ["gclid-granted", { adUserData: "GRANTED" }],
      ["gclid-none", undefined],
    ]);
    expect(microsoft.map((c) => c.MicrosoftClickId).sort()).toEqual(["ms-granted", "ms-none"]);
    const everything = ads.seen.map((r) => r.body).join("\n");
    for (const id of ["gclid-denied", "ms-denied", "gclid-storage-denied", "ms-storage-denied"]) expect(everything).not.toContain(id);
    for (const id of [denied, storageDenied])
      for (const platform of ["google_ads", "microsoft_ads"])
        expect(await conversionOf(acct, id, platform), `${id} ${platform}`).toMatchObject({
          status: "skipped",
          reason: "the visitor denied ad_user_data consent",
        });
    expect(await conversionOf(acct, none)).toMatchObject({ status: "uploaded" });
    expect(await conversionOf(acct, granted, "microsoft_ads")).toMatchObject({ status: "uploaded" });
    const template = parseCsv((await csv(acct, "?format=google_ads")).text);
    expect(
      template
        .slice(2)
        .map((r) => r[0])
        .sort(),
    ).toEqual(["gclid-granted", "gclid-none"]);
  });

  it("conversion times carry the ad account's offset on that date: daylight saving time and half-hour zones", () => {
    const summer = Date.parse("2031-07-01T16:30:05Z");
    expect(googleDateTime(summer, "America/New_York")).toBe("2031-07-01 12:30:05-04:00");
    expect(googleDateTime(Date.parse("2031-01-15T16:30:05Z"), "America/New_York")).toBe("2031-01-15 11:30:05-05:00");
    expect(googleDateTime(summer, "Asia/Kolkata")).toBe("2031-07-01 22:00:05+05:30");
    expect(googleDateTime(summer, "America/St_Johns")).toBe("2031-07-01 14:00:05-02:30");
    expect(googleDateTime(Date.parse("2031-12-31T23:59:59.900Z"), "UTC")).toBe("2031-12-31 23:59:59+00:00");
    // Across midnight into the next day in the account's zone.
    expect(googleDateTime(Date.parse("2031-03-01T20:00:00Z"), "Pacific/Auckland")).toBe("2031-03-02 09:00:00+13:00");
  });
});

describe("Microsoft Advertising uploads", () => {
  it("ApplyOfflineConversions with the msclkid, in UTC, with its headers; a partial error is final and stored", async () => {
    const { acct, voice } = await callWorld(2);
    await conversions(acct, { microsoftAds: MS_SETTINGS, rules: { value: 10, currency: "EUR" } });
    const ads = mockPlatforms();
    ads.msErrors.set("ms-bad", { Code: 5604, ErrorCode: "OfflineConversionMicrosoftClickIdInvalid", Message: "The click id is invalid." });
    const good = await adCall(acct, voice, { gclid: "g1", msclkid: "ms-good" });
    const bad = await adCall(acct, voice, { gclid: "g2", msclkid: "ms-bad" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(ads.googleUploads()).toHaveLength(0);
    expect(ads.microsoftTokens()).toHaveLength(1);
    const [up] = ads.microsoftUploads();
    expect(up!.headers.get("DeveloperToken")).toBe("ms-dev-token-9999");
    expect(up!.headers.get("CustomerId")).toBe("5550001");
    expect(up!.headers.get("CustomerAccountId")).toBe("7770002");
    expect(JSON.parse(up!.body)).toEqual({
      OfflineConversions: [
        {
          ConversionName: "Phone call",
          ConversionTime: "2031-03-01T10:00:00Z",
          MicrosoftClickId: "ms-good",
          ConversionValue: 10,
          ConversionCurrencyCode: "EUR",
        },
        {
          ConversionName: "Phone call",
          ConversionTime: "2031-03-01T10:00:00Z",
          MicrosoftClickId: "ms-bad",
          ConversionValue: 10,
          ConversionCurrencyCode: "EUR",
        },
      ],
    });
    expect(await conversionOf(acct, good, "microsoft_ads")).toMatchObject({ status: "uploaded", clickIdType: "msclkid" });
    expect(await conversionOf(acct, bad, "microsoft_ads")).toMatchObject({
      status: "failed",
      reason: "OfflineConversionMicrosoftClickIdInvalid: The click id is invalid.",
    });
    at(T0 + 86_400_000);
    await alarm(acct);
    expect(ads.microsoftUploads()).toHaveLength(1);
  });
});

describe("the calls CSV for Google Ads' import", () => {
  it("format=google_ads is the template: time zone row, its five columns, qualifying calls with a gclid only", async () => {
    const { acct, voice } = await callWorld(2);
    await conversions(acct, { googleAds: GOOGLE_SETTINGS, rules: { value: 75, currency: "USD" } });
    mockPlatforms();
    await adCall(acct, voice, { gclid: "gclid-csv" });
    await adCall(acct, voice, { gclid: "gclid-short", talk: 10 });
    const res = await csv(acct, "?format=google_ads");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(res.text).toBe(
      [
        "Parameters:TimeZone=America/New_York",
        "Google Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency",
        "gclid-csv,Phone call (DNI),2031-03-01 05:00:00-05:00,75,USD",
        "",
      ].join("\r\n"),
    );
    // It opens as cells: a name with a comma and quotes stays one cell, as Google's template expects.
    const named = parseCsv((await csv(acct, `?format=google_ads&conversionName=${encodeURIComponent('Call, "tracked"')}`)).text);
    expect(named).toEqual([
      ["Parameters:TimeZone=America/New_York"],
      ["Google Click ID", "Conversion Name", "Conversion Time", "Conversion Value", "Conversion Currency"],
      ["gclid-csv", 'Call, "tracked"', "2031-03-01 05:00:00-05:00", "75", "USD"],
    ]);
    const full = await csv(acct);
    const [head, ...lines] = full.text.trim().split("\r\n");
    expect(head!.split(",").slice(-5)).toEqual(["Google Click ID", "Conversion Name", "Conversion Time", "Conversion Value", "Conversion Currency"]);
    expect(head!.split(",")).toEqual(expect.arrayContaining(["gbraid", "wbraid", "dclid", "ttclid", "li_fat_id", "ad_user_data_consent"]));
    expect(lines.map((l) => l.split(",").slice(-5).join(","))).toEqual(
      expect.arrayContaining(["gclid-csv,Phone call (DNI),2031-03-01 05:00:00-05:00,75,USD", ",,,,"]),
    );
  });
});
