/**
 * Google uploads through its Data Manager API (the default for a new Google setting since Google
 * made it the API for offline conversion imports), with Google mocked at the network edge
 * (data-manager-fake.ts, every request checked against Google's protos): the exact request for a
 * qualifying call and none for the others; enhanced conversions and a manager account; 401 refreshes
 * the token once; 429 / 5xx are retried; fast-fail: a refused event's reason is stored and the rest
 * of its request goes again; a refusal of the settings or credentials pauses the platform with one
 * alert until a PATCH.
 */
import { afterEach, describe, expect, it } from "vitest";
import { COMPLETED_SETTLE_MS } from "../../worker/account/call-outcome";
import { JITTER, retryDelayMs } from "../../worker/account/outbox";
import { ALERT_HOOK, mockPlatforms, platformViolations } from "./ad-platforms";
import { at, callWorld, getCall, T0 } from "./calls-helpers";
import { adCall, alarm, conversionOf, conversions, DM_SETTINGS, GRANTED } from "./conversions-helpers";
import { dmError } from "./data-manager-fake";
import { api, useTestClock } from "./helpers";

useTestClock(T0, { silence: ["warn", "error"] });
afterEach(() => expect(platformViolations()).toEqual([]));

const body = (ads: ReturnType<typeof mockPlatforms>, i: number) => JSON.parse(ads.dataManagerUploads()[i]!.body) as { events: Record<string, unknown>[] };
const settingsView = async (acct: Parameters<typeof conversions>[0]) => (await api("GET", "/v1/account/conversions", { key: acct.adminKey })).json;
/** Past the wait after attempt `n` (jitter only lengthens it). */
const backoff = (n: number) => Math.ceil(retryDelayMs(n) * (1 + JITTER));
const sha256Hex = async (text: string) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))].map((b) => b.toString(16).padStart(2, "0")).join("");

describe("Google through the Data Manager API", () => {
  it("a new Google setting uses it: one events:ingest request, exactly as documented, for the qualifying call only; its request id is kept", async () => {
    const { acct, voice } = await callWorld(4);
    const set = await conversions(acct, { googleAds: DM_SETTINGS, rules: { value: 120.5, currency: "USD" } });
    expect(set.status).toBe(200);
    // No developer token asked for, none stored.
    expect(set.json.googleAds).toMatchObject({ api: "data_manager", credentials: { clientId: "….com", clientSecret: "…XYZW", refreshToken: "…wxyz" } });
    expect(set.json.googleAds.credentials).not.toHaveProperty("developerToken");
    const ads = mockPlatforms();
    const good = await adCall(acct, voice, { gclid: "Cj0KCQ-dm-good", talk: 95 });
    const short = await adCall(acct, voice, { gclid: "Cj0KCQ-dm-short", talk: 30 });
    const busy = await adCall(acct, voice, { gclid: "Cj0KCQ-dm-busy", outcome: "busy" });
    const noClick = await adCall(acct, voice, { clickIds: { msclkid: "ms-only" } });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(ads.googleUploads()).toHaveLength(0);
    expect(ads.dataManagerUploads()).toHaveLength(1);
    const req = ads.dataManagerUploads()[0]!;
    expect(req.method).toBe("POST");
    expect(req.url.href).toBe("https://datamanager.googleapis.com/v1/events:ingest");
    expect(req.headers.get("Authorization")).toBe("Bearer ya29.token-1");
    expect(req.headers.get("Content-Type")).toBe("application/json");
    expect(JSON.parse(req.body)).toEqual({
      destinations: [{ operatingAccount: { accountType: "GOOGLE_ADS", accountId: "1234567890" }, productDestinationId: "987654321" }],
      events: [
        {
          transactionId: `dni-${good}`,
          // T0 is 2031-03-01T10:00:00Z: the call's start, in UTC.
          eventTimestamp: "2031-03-01T10:00:00Z",
          adIdentifiers: { gclid: "Cj0KCQ-dm-good" },
          conversionValue: 120.5,
          currency: "USD",
          consent: { adUserData: "CONSENT_GRANTED", adPersonalization: "CONSENT_GRANTED" },
          eventSource: "PHONE",
        },
      ],
      encoding: "HEX",
    });
    expect(Object.fromEntries(new URLSearchParams(ads.googleTokens()[0]!.body))).toEqual({
      grant_type: "refresh_token",
      client_id: DM_SETTINGS.clientId,
      refresh_token: DM_SETTINGS.refreshToken,
      client_secret: DM_SETTINGS.clientSecret,
    });
    expect(await conversionOf(acct, good)).toMatchObject({ status: "uploaded", orderId: `dni-${good}`, reason: null, requestId: "dm-req-1" });
    expect(await conversionOf(acct, short)).toMatchObject({ status: "skipped", reason: "talk time 30 s is under the minimum of 60 s" });
    expect(await conversionOf(acct, busy)).toMatchObject({ status: "skipped", reason: "not answered (busy)" });
    expect(await conversionOf(acct, noClick)).toMatchObject({ status: "skipped", reason: "the visit had no gclid, gbraid or wbraid" });
    // Later alarms send nothing again; Google took the call once.
    at(T0 + 3_600_000);
    await alarm(acct);
    expect(ads.dataManagerUploads()).toHaveLength(1);
    expect([...ads.dm.taken]).toEqual([[`987654321 dni-${good}`, 1]]);
  });

  it("enhanced conversions send the caller's hashed number (hex, encoding HEX); a manager account is the login account; each consent signal as the visit had it", async () => {
    const { acct, voice } = await callWorld(1);
    await conversions(acct, { googleAds: { ...DM_SETTINGS, enhancedConversions: true, loginCustomerId: "111-222-3333" } });
    const ads = mockPlatforms();
    const id = await adCall(acct, voice, { clickIds: { wbraid: "wbraid-dm-1" }, consent: { ...GRANTED, adPersonalization: "denied" } });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    const caller = (await getCall(acct, id)).json.caller as string;
    const sent = JSON.parse(ads.dataManagerUploads()[0]!.body);
    expect(sent.destinations).toEqual([
      {
        operatingAccount: { accountType: "GOOGLE_ADS", accountId: "1234567890" },
        loginAccount: { accountType: "GOOGLE_ADS", accountId: "1112223333" },
        productDestinationId: "987654321",
      },
    ]);
    expect(sent.encoding).toBe("HEX");
    expect(sent.events[0]).toMatchObject({
      adIdentifiers: { wbraid: "wbraid-dm-1" },
      consent: { adUserData: "CONSENT_GRANTED", adPersonalization: "CONSENT_DENIED" },
      userData: { userIdentifiers: [{ phoneNumber: await sha256Hex(caller) }] },
    });
    expect(ads.dataManagerUploads()[0]!.body).not.toContain(caller);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded", clickIdType: "wbraid" });
  });

  it("a refused access token (401) is refreshed once and the same request sent again", async () => {
    const { acct, voice } = await callWorld(1);
    await conversions(acct, { googleAds: DM_SETTINGS });
    const ads = mockPlatforms();
    ads.expireNextToken = true;
    const id = await adCall(acct, voice, { gclid: "gclid-dm-401" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(ads.googleTokens()).toHaveLength(2);
    const [first, second] = ads.dataManagerUploads();
    expect(ads.dataManagerUploads()).toHaveLength(2);
    expect(first!.headers.get("Authorization")).toBe("Bearer ya29.token-1");
    expect(second!.headers.get("Authorization")).toBe("Bearer ya29.token-2");
    expect(second!.body).toBe(first!.body);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded" });
  });

  it("429 and 503 are retried on the backoff with the same request, the call pending with Google's words, until Google takes it", async () => {
    const { acct, voice } = await callWorld(1);
    await conversions(acct, { googleAds: DM_SETTINGS });
    const ads = mockPlatforms();
    ads.dm.next.push(
      dmError(429, "RESOURCE_EXHAUSTED", "Too many requests.", { reason: "RESOURCE_EXHAUSTED" }),
      dmError(503, "UNAVAILABLE", "The service is currently unavailable."),
    );
    const id = await adCall(acct, voice, { gclid: "gclid-dm-busy" });
    let t = T0 + COMPLETED_SETTLE_MS;
    at(t);
    await alarm(acct);
    expect(await conversionOf(acct, id)).toMatchObject({
      status: "pending",
      reason: "HTTP 429 RESOURCE_EXHAUSTED: Too many requests. [request t-err-429]",
    });
    t += backoff(1);
    at(t);
    await alarm(acct);
    expect(await conversionOf(acct, id)).toMatchObject({
      status: "pending",
      reason: "HTTP 503 UNAVAILABLE: The service is currently unavailable. [request t-err-503]",
    });
    t += backoff(2);
    at(t);
    await alarm(acct);
    const sent = ads.dataManagerUploads();
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((s) => s.body)).size).toBe(1);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded", requestId: "dm-req-3" });
  });

  it("fast-fail: the event Google names is final with its reason; the others were not processed and go again without it", async () => {
    const { acct, voice } = await callWorld(2);
    await conversions(acct, { googleAds: DM_SETTINGS });
    const ads = mockPlatforms();
    ads.dm.refuse.set("gclid-dm-bad", { reason: "INVALID_FORMAT", description: "Format is invalid." });
    const ok = await adCall(acct, voice, { gclid: "gclid-dm-ok" });
    const bad = await adCall(acct, voice, { gclid: "gclid-dm-bad" });
    let t = T0 + COMPLETED_SETTLE_MS;
    at(t);
    await alarm(acct);
    expect(body(ads, 0).events).toHaveLength(2);
    expect(ads.dm.taken.size).toBe(0);
    const i = body(ads, 0).events.findIndex((e) => (e.adIdentifiers as Record<string, string>).gclid === "gclid-dm-bad");
    expect(await conversionOf(acct, bad)).toMatchObject({
      status: "failed",
      reason: `HTTP 400 INVALID_ARGUMENT: INVALID_FORMAT: Format is invalid. (events.events[${i}].ad_identifiers.gclid) [request t-err-400]`,
    });
    expect(await conversionOf(acct, ok)).toMatchObject({ status: "pending" });
    expect((await conversionOf(acct, ok))?.reason).toContain("not processed: another event of the request was refused");
    t += backoff(1);
    at(t);
    await alarm(acct);
    expect(ads.dataManagerUploads()).toHaveLength(2);
    expect(body(ads, 1).events.map((e) => e.transactionId)).toEqual([`dni-${ok}`]);
    expect(await conversionOf(acct, ok)).toMatchObject({ status: "uploaded" });
    expect(await conversionOf(acct, bad)).toMatchObject({ status: "failed" });
  });

  it("a refusal of the credentials (a token without the datamanager scope) pauses Google with one alert naming the fix; new credentials resume", async () => {
    const { acct, voice } = await callWorld(2);
    await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { alertWebhook: { url: ALERT_HOOK } } });
    await conversions(acct, { googleAds: DM_SETTINGS });
    const ads = mockPlatforms();
    ads.dm.next.push(
      dmError(403, "PERMISSION_DENIED", "Request had insufficient authentication scopes.", {
        reason: "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
        domain: "googleapis.com",
      }),
    );
    const a = await adCall(acct, voice, { gclid: "gclid-dm-scope-a" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    const auth = (await settingsView(acct)).googleAds.auth;
    expect(auth.state).toBe("auth_failed");
    expect(auth.reason).toContain("https://www.googleapis.com/auth/datamanager");
    expect(auth.reason).toContain("HTTP 403 PERMISSION_DENIED");
    expect((await conversionOf(acct, a))?.reason).toContain("paused");
    // Paused: a second call and hours pass, nothing is sent, one alert in all.
    const b = await adCall(acct, voice, { gclid: "gclid-dm-scope-b" });
    for (const h of [1, 2]) {
      at(T0 + COMPLETED_SETTLE_MS + h * 3_600_000);
      await alarm(acct);
    }
    expect(ads.dataManagerUploads()).toHaveLength(1);
    expect(ads.alerts()).toHaveLength(1);
    expect(JSON.parse(ads.alerts()[0]!.body)).toMatchObject({ type: "conversions.auth_failed", platform: "google_ads" });
    // A refresh token with the scope: both go, in one request.
    const fixed = await conversions(acct, { googleAds: { ...DM_SETTINGS, refreshToken: "1//datamanager-scoped-token" } });
    expect(fixed.json.googleAds.auth).toEqual({ state: "ok", reason: null, since: null });
    await alarm(acct);
    expect(ads.dataManagerUploads()).toHaveLength(2);
    expect(body(ads, 1).events).toHaveLength(2);
    for (const id of [a, b]) expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded" });
  });

  it("a refusal of the destination (a wrong conversion action id) pauses too, rather than failing every call", async () => {
    const { acct, voice } = await callWorld(1);
    await conversions(acct, { googleAds: DM_SETTINGS });
    const ads = mockPlatforms();
    ads.dm.next.push(
      dmError(400, "INVALID_ARGUMENT", "There was a problem with the request.", {
        reason: "INVALID_ARGUMENT",
        violations: [
          { field: "destinations[0].product_destination_id", description: "Conversion action ID is not valid.", reason: "INVALID_CONVERSION_ACTION_ID" },
        ],
      }),
    );
    const id = await adCall(acct, voice, { gclid: "gclid-dm-action" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect((await settingsView(acct)).googleAds.auth).toMatchObject({
      state: "auth_failed",
      reason:
        "HTTP 400 INVALID_ARGUMENT: INVALID_CONVERSION_ACTION_ID: Conversion action ID is not valid. (destinations[0].product_destination_id) [request t-err-400]",
    });
    expect(await conversionOf(acct, id)).toMatchObject({ status: "pending" });
    expect((await conversionOf(acct, id))?.reason).toContain("paused");
    // The right action id resumes it.
    expect((await conversions(acct, { googleAds: { ...DM_SETTINGS, conversionActionId: "987654322" } })).status).toBe(200);
    await alarm(acct);
    expect(JSON.parse(ads.dataManagerUploads()[1]!.body).destinations[0].productDestinationId).toBe("987654322");
    expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded" });
  });

  it("a refusal named on every event but about what every event carries (the event source) pauses, rather than failing every call", async () => {
    const { acct, voice } = await callWorld(2);
    await conversions(acct, { googleAds: DM_SETTINGS });
    const ads = mockPlatforms();
    const violation = (i: number) => ({
      field: `events.events[${i}].event_source`,
      description: "The event source type does not match the destination type.",
      reason: "EVENT_SOURCE_AND_DESTINATION_MISMATCH",
    });
    ads.dm.next.push(
      dmError(400, "INVALID_ARGUMENT", "There was a problem with the request.", { reason: "INVALID_ARGUMENT", violations: [violation(0), violation(1)] }),
    );
    const a = await adCall(acct, voice, { gclid: "gclid-dm-source-a" });
    const b = await adCall(acct, voice, { gclid: "gclid-dm-source-b" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    const auth = (await settingsView(acct)).googleAds.auth;
    expect(auth.state).toBe("auth_failed");
    expect(auth.reason).toContain("EVENT_SOURCE_AND_DESTINATION_MISMATCH");
    expect(auth.reason).toContain("UPLOAD_CLICKS");
    for (const id of [a, b]) expect(await conversionOf(acct, id)).toMatchObject({ status: "pending" });
    // A PATCH of the settings resumes them (the events are built afresh when they go).
    await conversions(acct, { googleAds: { ...DM_SETTINGS, conversionActionId: "987654322" } });
    await alarm(acct);
    expect(ads.dataManagerUploads()).toHaveLength(2);
    for (const id of [a, b]) expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded" });
  });
});
