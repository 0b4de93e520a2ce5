/**
 * POST /v1/account/conversions/check: the connection test, with Google and Microsoft mocked at the
 * network edge (ad-platforms.ts, data-manager-fake.ts: every request checked against the platforms'
 * documented contracts and Google's protos). Google is asked with validateOnly and one event built
 * as a call's is; Microsoft with a token refresh and a read of its offline conversion goals. A
 * refusal reads as the uploads read it (the same reason), and nothing stored changes: no pause, no
 * resume, no alert, no conversion recorded at the platform.
 */
import { afterEach, describe, expect, it } from "vitest";
import { COMPLETED_SETTLE_MS } from "../../worker/account/call-outcome";
import { CHECK_PHONE } from "../../worker/account/conversion-check";
import { ALERT_HOOK, googleError, mockPlatforms, msAdApiFault, platformViolations } from "./ad-platforms";
import { at, callWorld, storage, T0 } from "./calls-helpers";
import { adCall, alarm, conversionOf, conversions, DM_SETTINGS, GOOGLE_SETTINGS, MS_SETTINGS } from "./conversions-helpers";
import { dmError } from "./data-manager-fake";
import { api, createAccount, useTestClock } from "./helpers";

useTestClock(T0, { silence: ["warn", "error"] });
afterEach(() => expect(platformViolations()).toEqual([]));

type Result = { platform: string; api?: string; ok: boolean; checked: string[]; error?: string; hint?: string; note?: string };
const check = async (acct: { adminKey: string }, body?: unknown) => {
  const r = await api("POST", "/v1/account/conversions/check", { key: acct.adminKey, ...(body === undefined ? {} : { body }) });
  return { ...r, results: (r.json?.results ?? []) as Result[] };
};
const authOf = async (acct: { adminKey: string }, field: "googleAds" | "microsoftAds") =>
  (await api("GET", "/v1/account/conversions", { key: acct.adminKey })).json[field].auth as { state: string; reason: string | null };
const sha256Hex = async (text: string) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))].map((b) => b.toString(16).padStart(2, "0")).join("");

describe("Google through the Data Manager API", () => {
  it("refreshes the token and validates one event built as a call's (validateOnly): ok, Google records nothing, nothing stored changes", async () => {
    const { acct, voice } = await callWorld(2);
    const settings = { ...DM_SETTINGS, loginCustomerId: "111-222-3333", enhancedConversions: true };
    await conversions(acct, { googleAds: settings, rules: { value: 50, currency: "EUR" } });
    const ads = mockPlatforms();
    const before = await storage(acct);
    const r = await check(acct);
    expect(r.status).toBe(200);
    expect(r.headers.get("Cache-Control")).toBe("no-store");
    expect(r.json).toMatchObject({ ok: true, checkedAt: T0 });
    expect(r.results).toHaveLength(1);
    const g = r.results[0]!;
    expect(g).toMatchObject({ platform: "google_ads", api: "data_manager", ok: true });
    expect(g.error).toBeUndefined();
    expect(g.checked).toHaveLength(2);
    expect(g.checked[0]).toContain("access token");
    expect(g.checked[1]).toContain("validateOnly");
    expect(g.note).toContain("made up");
    expect(ads.googleTokens()).toHaveLength(1);
    expect(ads.dataManagerUploads()).toHaveLength(1);
    expect(ads.dm.validated).toBe(1);
    expect(ads.dm.taken.size).toBe(0);
    const sent = JSON.parse(ads.dataManagerUploads()[0]!.body) as {
      validateOnly: boolean;
      destinations: unknown;
      events: Record<string, unknown>[];
      encoding: string;
    };
    expect(sent.validateOnly).toBe(true);
    expect(sent.events).toHaveLength(1);
    const event = sent.events[0]!;
    expect(event).toMatchObject({
      eventTimestamp: "2031-03-01T10:00:00Z",
      conversionValue: 50,
      currency: "EUR",
      consent: { adUserData: "CONSENT_GRANTED", adPersonalization: "CONSENT_GRANTED" },
      eventSource: "PHONE",
      userData: { userIdentifiers: [{ phoneNumber: await sha256Hex(CHECK_PHONE) }] },
    });
    expect(String(event.transactionId)).toMatch(/^dni-check-/);
    expect((event.adIdentifiers as { gclid: string }).gclid).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(await storage(acct)).toBe(before);

    // A real call's upload: the same destination, encoding and event fields, with its own click and order id.
    const id = await adCall(acct, voice, { gclid: "Cj0KCQ-real-call" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded" });
    const real = JSON.parse(ads.dataManagerUploads()[1]!.body) as typeof sent;
    expect(real).not.toHaveProperty("validateOnly");
    expect(sent.destinations).toEqual(real.destinations);
    expect(sent.encoding).toBe(real.encoding);
    expect(Object.keys(event).sort()).toEqual(Object.keys(real.events[0]!).sort());
    for (const k of ["conversionValue", "currency", "consent", "eventSource"]) expect(event[k], k).toEqual(real.events[0]![k]);

    // The upload used the access token the check cached; a check asks for a new one all the same,
    // so a refresh token revoked since shows at once, not when the cached access token expires.
    ads.revoked = true;
    const again = await check(acct);
    expect(again.results[0]).toMatchObject({ ok: false, error: "token refresh failed: invalid_grant" });
    expect(ads.googleTokens()).toHaveLength(2);
  });

  it("a refresh token Google refuses: the reason the uploads would record, a hint; the platform is not paused, no alert, nothing stored changes", async () => {
    const { acct, voice } = await callWorld(1);
    await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { alertWebhook: { url: ALERT_HOOK } } });
    await conversions(acct, { googleAds: DM_SETTINGS });
    const ads = mockPlatforms();
    ads.revoked = true;
    const before = await storage(acct);
    const r = await check(acct);
    expect(r.status).toBe(200);
    expect(r.json.ok).toBe(false);
    expect(r.results[0]).toMatchObject({ platform: "google_ads", ok: false, checked: [], error: "token refresh failed: invalid_grant" });
    expect(r.results[0]!.hint).toContain("googleAds.refreshToken");
    expect(ads.dataManagerUploads()).toHaveLength(0);
    expect(await storage(acct)).toBe(before);
    expect(await authOf(acct, "googleAds")).toMatchObject({ state: "ok", reason: null });
    await alarm(acct);
    expect(ads.alerts()).toHaveLength(0);
    // A real call's upload meets the same refusal, and records the same reason.
    await adCall(acct, voice, { gclid: "Cj0KCQ-revoked" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(await authOf(acct, "googleAds")).toMatchObject({ state: "auth_failed", reason: r.results[0]!.error });
  });

  it("a validation error in Google's validateOnly answer: not ok, with Google's words as an upload would store them", async () => {
    const acct = await createAccount();
    await conversions(acct, { googleAds: DM_SETTINGS, rules: { value: 10, currency: "USD" } });
    const ads = mockPlatforms();
    ads.dm.next.push(
      dmError(400, "INVALID_ARGUMENT", "There was a problem with the request.", {
        reason: "INVALID_ARGUMENT",
        violations: [{ field: "events.events[0].currency", description: "Currency code is not supported.", reason: "INVALID_CURRENCY_CODE" }],
      }),
    );
    const before = await storage(acct, []);
    const r = await check(acct);
    expect(r.status).toBe(200);
    const g = r.results[0]!;
    expect(g.ok).toBe(false);
    expect(g.checked).toHaveLength(1);
    expect(g.error).toBe("HTTP 400 INVALID_ARGUMENT: INVALID_CURRENCY_CODE: Currency code is not supported. (events.events[0].currency) [request t-err-400]");
    expect(g.hint).toContain("PATCH /v1/account/conversions");
    expect(await storage(acct, [])).toBe(before);
  });

  it("a refresh token without the datamanager scope: Google's reason and the scope hint, as the uploads give them", async () => {
    const acct = await createAccount();
    await conversions(acct, { googleAds: DM_SETTINGS });
    const ads = mockPlatforms();
    ads.dm.next.push(
      dmError(403, "PERMISSION_DENIED", "Request had insufficient authentication scopes.", {
        reason: "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
        domain: "googleapis.com",
      }),
    );
    const r = await check(acct);
    const g = r.results[0]!;
    expect(g.ok).toBe(false);
    expect(g.error).toContain("ACCESS_TOKEN_SCOPE_INSUFFICIENT");
    expect(g.hint).toBe("The refresh token lacks the https://www.googleapis.com/auth/datamanager scope: authorize again with it.");
    expect(await authOf(acct, "googleAds")).toMatchObject({ state: "ok" });
  });

  it("a platform paused by an earlier refusal is checked, and stays paused: the check resumes nothing", async () => {
    const { acct, voice } = await callWorld(1);
    await conversions(acct, { googleAds: DM_SETTINGS });
    const ads = mockPlatforms();
    ads.revoked = true;
    const id = await adCall(acct, voice, { gclid: "Cj0KCQ-paused" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(await authOf(acct, "googleAds")).toMatchObject({ state: "auth_failed" });
    ads.revoked = false;
    const before = await storage(acct);
    const r = await check(acct);
    expect(r.results[0]).toMatchObject({ ok: true });
    expect(r.results[0]!.note).toContain("paused");
    expect(await storage(acct)).toBe(before);
    expect(await authOf(acct, "googleAds")).toMatchObject({ state: "auth_failed" });
    await alarm(acct);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "pending", reason: expect.stringContaining("paused") });
  });
});

describe("Google through the Google Ads API", () => {
  it("uploadClickConversions with validateOnly and partialFailure: Google refusing only the made-up click id is ok; nothing recorded or stored", async () => {
    const acct = await createAccount();
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    const ads = mockPlatforms();
    ads.googleValidateErrors = [{ conversionUploadError: "UNPARSEABLE_GCLID" }];
    const before = await storage(acct, []);
    const r = await check(acct, {});
    expect(r.status).toBe(200);
    const g = r.results[0]!;
    expect(g).toMatchObject({ platform: "google_ads", api: "google_ads_api", ok: true });
    expect(g.checked[1]).toContain("UNPARSEABLE_GCLID");
    expect(ads.googleUploads()).toHaveLength(1);
    const req = ads.googleUploads()[0]!;
    expect(req.headers.get("developer-token")).toBe(GOOGLE_SETTINGS.developerToken);
    const body = JSON.parse(req.body) as { conversions: Record<string, unknown>[]; partialFailure: boolean; validateOnly: boolean };
    expect(body).toMatchObject({ partialFailure: true, validateOnly: true });
    expect(body.conversions).toHaveLength(1);
    expect(body.conversions[0]).toMatchObject({
      conversionAction: "customers/1234567890/conversionActions/987654321",
      conversionDateTime: "2031-03-01 05:00:00-05:00",
      consent: { adUserData: "GRANTED" },
    });
    expect(ads.googleAccepted.size).toBe(0);
    expect(await storage(acct, [])).toBe(before);
  });

  it("a conversion action Google cannot find: not ok, with the row's error", async () => {
    const acct = await createAccount();
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    const ads = mockPlatforms();
    ads.googleValidateErrors = [{ conversionUploadError: "UNPARSEABLE_GCLID" }, { conversionUploadError: "NO_CONVERSION_ACTION_FOUND" }];
    const g = (await check(acct)).results[0]!;
    expect(g.ok).toBe(false);
    // The settings' error (the action), with what to fix, over the row's own (a gclid of the check's).
    expect(g.error).toContain("conversionUploadError.NO_CONVERSION_ACTION_FOUND: Refused: NO_CONVERSION_ACTION_FOUND");
    expect(g.error).toContain("conversionActionId");
    expect(g.error).not.toContain("UNPARSEABLE_GCLID");
  });

  it("a developer token Google no longer takes offline conversions from: the uploads' reason, and the way to the Data Manager API; not paused", async () => {
    const acct = await createAccount();
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    const ads = mockPlatforms();
    ads.googleNext.push(
      googleError(400, "INVALID_ARGUMENT", "Customer is not allowlisted for accessing this feature.", {
        notAllowlistedError: "CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE",
      }),
    );
    const g = (await check(acct)).results[0]!;
    expect(g.ok).toBe(false);
    expect(g.error).toContain("notAllowlistedError.CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE");
    expect(g.error).toContain("Data Manager API");
    expect(g.hint).toContain('googleAds.api to "data_manager"');
    expect(await authOf(acct, "googleAds")).toMatchObject({ state: "ok" });
  });
});

describe("Microsoft Advertising", () => {
  it("refreshes the token and reads the offline conversion goal with the upload's headers; sends no conversion; keeps the rotated refresh token and nothing else", async () => {
    const acct = await createAccount();
    await conversions(acct, { microsoftAds: MS_SETTINGS });
    const ads = mockPlatforms();
    // Everything the account stores, but the sealed credentials and their hints.
    const masked = async () =>
      (await storage(acct, []))
        .split("\n")
        .map((part) =>
          JSON.stringify(
            (JSON.parse(part) as [string, Record<string, unknown>[]][]).map(([table, rows]) => [
              table,
              table === "conversion_settings" ? rows.map((row) => ({ ...row, sealed: "-", hints: "-" })) : rows,
            ]),
          ),
        )
        .join("\n");
    const before = await masked();
    const r = await check(acct);
    expect(r.status).toBe(200);
    const m = r.results[0]!;
    expect(m).toMatchObject({ platform: "microsoft_ads", ok: true });
    expect(m).not.toHaveProperty("api");
    expect(m.checked).toHaveLength(3);
    expect(m.checked[2]).toContain('"Phone call" (id 4000001): found, Active');
    expect(m.note).toContain("no conversion was sent");
    expect(ads.microsoftUploads()).toHaveLength(0);
    const read = ads.microsoftGoalReads()[0]!;
    expect(read.headers.get("DeveloperToken")).toBe(MS_SETTINGS.developerToken);
    expect(read.headers.get("CustomerId")).toBe(MS_SETTINGS.customerId);
    expect(read.headers.get("CustomerAccountId")).toBe(MS_SETTINGS.accountId);
    // Microsoft rotated the refresh token: kept, as the uploads keep it (the old one stops working later).
    const view = (await api("GET", "/v1/account/conversions", { key: acct.adminKey })).json.microsoftAds;
    expect(view.credentials.refreshToken).toBe("…sh-1");
    expect(view.auth.state).toBe("ok");
    expect(await masked()).toBe(before);
  });

  it("no goal of that name, or a paused one: not ok, with the goals the account has", async () => {
    const acct = await createAccount();
    await conversions(acct, { microsoftAds: { ...MS_SETTINGS, conversionName: "Phone calls" } });
    const ads = mockPlatforms();
    ads.msGoals.push(
      { Id: "4000002", Name: "Quote form", Status: "Active", Type: "OfflineConversion" },
      { Id: "9", Name: "Site", Status: "Active", Type: "Url" },
    );
    const missing = (await check(acct)).results[0]!;
    expect(missing.ok).toBe(false);
    expect(missing.error).toBe('no offline conversion goal named "Phone calls" in account 7770002');
    expect(missing.hint).toContain('"Phone call", "Quote form"');
    expect(missing.hint).not.toContain("Site");
    // The stored credentials kept (Microsoft rotated the refresh token at the check).
    await conversions(acct, { microsoftAds: { customerId: MS_SETTINGS.customerId, accountId: MS_SETTINGS.accountId, conversionName: "Quote form" } });
    ads.msGoals[1]!.Status = "Paused";
    const paused = (await check(acct)).results[0]!;
    expect(paused.ok).toBe(false);
    expect(paused.error).toBe('the offline conversion goal "Quote form" (id 4000002) is Paused, not Active');
  });

  it("a user without access to the account: Microsoft's fault as the uploads read it; not paused", async () => {
    const acct = await createAccount();
    await conversions(acct, { microsoftAds: MS_SETTINGS });
    const ads = mockPlatforms();
    ads.msNext.push(msAdApiFault(400, [{ Code: 106, ErrorCode: "UserIsNotAuthorized", Message: "The user is not authorized to perform this action." }]));
    const m = (await check(acct)).results[0]!;
    expect(m.ok).toBe(false);
    expect(m.error).toBe("HTTP 400: UserIsNotAuthorized: The user is not authorized to perform this action.");
    expect(m.hint).toContain("PATCH /v1/account/conversions");
    expect(await authOf(acct, "microsoftAds")).toMatchObject({ state: "ok" });
  });
});

describe("which platforms, and refusals", () => {
  it("every configured platform by default, or the one named", async () => {
    const acct = await createAccount();
    await conversions(acct, { googleAds: DM_SETTINGS, microsoftAds: MS_SETTINGS });
    const ads = mockPlatforms();
    const both = await check(acct);
    expect(both.results.map((x) => x.platform)).toEqual(["google_ads", "microsoft_ads"]);
    expect(both.json.ok).toBe(true);
    const one = await check(acct, { platform: "microsoft_ads" });
    expect(one.results.map((x) => x.platform)).toEqual(["microsoft_ads"]);
    expect(ads.dataManagerUploads()).toHaveLength(1);
    expect(ads.microsoftGoalReads()).toHaveLength(2);
  });

  it("409 when no platform is configured (or not the one named); 400 for a bad body; nothing sent, nothing stored", async () => {
    const acct = await createAccount();
    const ads = mockPlatforms();
    const before = await storage(acct, []);
    const none = await check(acct);
    expect(none.status).toBe(409);
    expect(none.json.error).toMatchObject({ code: "not_configured" });
    expect(none.json.error.message).toContain("PATCH /v1/account/conversions");
    expect(await storage(acct, [])).toBe(before);
    await conversions(acct, { googleAds: DM_SETTINGS });
    const afterSet = await storage(acct, []);
    const other = await check(acct, { platform: "microsoft_ads" });
    expect(other.status).toBe(409);
    expect(other.json.error.code).toBe("not_configured");
    for (const body of [{ platform: "facebook" }, { platform: "google_ads", extra: 1 }, ["google_ads"]]) {
      const bad = await check(acct, body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.json.error.code).toBe("invalid_request");
    }
    const notJson = await api("POST", "/v1/account/conversions/check", {
      key: acct.adminKey,
      raw: "{not json",
      headers: { "Content-Type": "application/json" },
    });
    expect(notJson.status).toBe(400);
    expect(notJson.json.error.code).toBe("invalid_json");
    expect(ads.seen).toHaveLength(0);
    expect(await storage(acct, [])).toBe(afterSet);
  });
});
