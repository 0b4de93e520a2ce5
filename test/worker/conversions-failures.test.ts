/**
 * Ad uploads when the platforms say no, with Google Ads and Microsoft Advertising mocked at the
 * network edge from their documented error shapes: a whole-request 400 is final (Google's reason
 * stored on each call, never retried); 5xx / 429 / 409 and Microsoft's CallRateExceeded are retried
 * on the outbox's backoff until the platform takes them; Microsoft BatchErrors sink only their rows;
 * a redelivered upload carries the same order id, so the conversion counts once; and credentials
 * and access tokens never reach the logs, the stored reasons or the API.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { COMPLETED_SETTLE_MS } from "../../worker/account/call-outcome";
import { JITTER, retryDelayMs } from "../../worker/account/outbox";
import { ALERT_HOOK, googleError, mockPlatforms, msAdApiFault, msFault, platformViolations } from "./ad-platforms";
import { at, callWorld, getCall, T0 } from "./calls-helpers";
import { adCall, alarm, conversionOf, conversions, GOOGLE_SETTINGS, MS_SETTINGS } from "./conversions-helpers";
import { accountStub, api, dump, useTestClock } from "./helpers";
import { holdRequests } from "./network-gates";

/** Everything written to the console while a test runs, as text. */
let logged: string[] = [];
const text = (v: unknown): string => {
  if (v instanceof Error) return `${v.name}: ${v.message} ${v.stack ?? ""}`;
  if (typeof v === "string") return v;
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
};

useTestClock(T0);
beforeEach(() => {
  logged = [];
  for (const level of ["log", "info", "warn", "error", "debug"] as const)
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged.push(`${level}: ${args.map(text).join(" ")}`);
    });
});
afterEach(() => expect(platformViolations()).toEqual([]));

const upload = (ads: ReturnType<typeof mockPlatforms>, i: number) => JSON.parse(ads.googleUploads()[i]!.body) as { conversions: Record<string, unknown>[] };
const deliveryOf = async (acct: Parameters<typeof getCall>[0], id: string, kind = "google_ads") =>
  (
    (await getCall(acct, id)).json.deliveries as { id: string; kind: string; status: string; attempts: number; lastStatus: number | null; lastError: string }[]
  ).find((d) => d.kind === kind)!;

describe("Google Ads: the whole request refused", () => {
  it("a 400 is final: every call in it stores Google's reason, its delivery is dead, and it is never sent again", async () => {
    const { acct, voice } = await callWorld(2);
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    const ads = mockPlatforms();
    ads.googleNext.push(googleError(400, "INVALID_ARGUMENT", "Request contains an invalid argument.", { requestError: "INVALID_CUSTOMER_ID" }));
    const a = await adCall(acct, voice, { gclid: "gclid-400-a" });
    const b = await adCall(acct, voice, { gclid: "gclid-400-b" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(ads.googleUploads()).toHaveLength(1);
    const reason = "HTTP 400 INVALID_ARGUMENT: requestError.INVALID_CUSTOMER_ID: Request contains an invalid argument.";
    for (const id of [a, b]) {
      expect(await conversionOf(acct, id)).toMatchObject({ status: "failed", reason });
      expect(await deliveryOf(acct, id)).toMatchObject({ status: "dead", attempts: 1, lastStatus: 400, lastError: reason });
    }
    // Far past every retry delay: nothing goes out again.
    for (const t of [1, 6, 80]) {
      at(T0 + COMPLETED_SETTLE_MS + t * 3_600_000);
      await alarm(acct);
    }
    expect(ads.googleUploads()).toHaveLength(1);
  });

  it("a 403 that asks for the manager account (USER_PERMISSION_DENIED) pauses; a PATCH setting loginCustomerId alone resumes", async () => {
    const { acct, voice } = await callWorld(1);
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    const ads = mockPlatforms();
    ads.googleNext.push(
      googleError(
        403,
        "PERMISSION_DENIED",
        "User doesn't have permission to access customer. Note: If you're accessing a client customer, the manager's customer id must be set in the 'login-customer-id' header.",
        { authorizationError: "USER_PERMISSION_DENIED" },
      ),
    );
    const id = await adCall(acct, voice, { gclid: "gclid-403-login" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(ads.googleUploads()).toHaveLength(1);
    expect((await api("GET", "/v1/account/conversions", { key: acct.adminKey })).json.googleAds.auth.state).toBe("auth_failed");
    // The same settings again change nothing: still paused.
    const { developerToken: _d, clientId: _c, clientSecret: _s, refreshToken: _r, ...settings } = GOOGLE_SETTINGS;
    expect((await conversions(acct, { googleAds: settings })).status).toBe(200);
    at(T0 + COMPLETED_SETTLE_MS + 60_000);
    await alarm(acct);
    expect(ads.googleUploads()).toHaveLength(1);
    // The fix Google's answer names: the manager account, no credential.
    expect((await conversions(acct, { googleAds: { ...settings, loginCustomerId: "111-222-3333" } })).status).toBe(200);
    at(T0 + COMPLETED_SETTLE_MS + 120_000);
    await alarm(acct);
    expect((await api("GET", "/v1/account/conversions", { key: acct.adminKey })).json.googleAds.auth.state).toBe("ok");
    expect(ads.googleUploads()).toHaveLength(2);
    expect(ads.googleUploads()[1]!.headers.get("login-customer-id")).toBe("1112223333");
    expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded" });
  });

  it("503, 429 and 409 are retried on the backoff with the same body, the calls pending meanwhile, until Google takes them", async () => {
    const { acct, voice } = await callWorld(1);
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    const ads = mockPlatforms();
    ads.googleNext.push(
      googleError(503, "UNAVAILABLE", "The service is currently unavailable."),
      googleError(429, "RESOURCE_EXHAUSTED", "Too many requests.", { quotaError: "RESOURCE_EXHAUSTED" }),
      googleError(409, "ABORTED", "Multiple requests were attempting to modify the same resource at once.", { databaseError: "CONCURRENT_MODIFICATION" }),
    );
    const id = await adCall(acct, voice, { gclid: "gclid-later" });
    let t = T0 + COMPLETED_SETTLE_MS;
    at(t);
    await alarm(acct);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "pending", reason: "HTTP 503 UNAVAILABLE: The service is currently unavailable." });
    const reasons = [
      "HTTP 429 RESOURCE_EXHAUSTED: quotaError.RESOURCE_EXHAUSTED: Too many requests.",
      "HTTP 409 ABORTED: databaseError.CONCURRENT_MODIFICATION: ",
    ];
    for (const [i, reason] of reasons.entries()) {
      // Not before the wait after attempt i + 1 (jitter only lengthens it)…
      at(t + retryDelayMs(i + 1) - 1000);
      await alarm(acct);
      expect(ads.googleUploads()).toHaveLength(i + 1);
      // …and once it has passed.
      t += Math.ceil(retryDelayMs(i + 1) * (1 + JITTER));
      at(t);
      await alarm(acct);
      expect(ads.googleUploads()).toHaveLength(i + 2);
      expect((await conversionOf(acct, id))?.reason).toContain(reason);
      expect(await deliveryOf(acct, id)).toMatchObject({ status: "pending", attempts: i + 2 });
    }
    t += Math.ceil(retryDelayMs(3) * (1 + JITTER));
    at(t);
    await alarm(acct);
    expect(ads.googleUploads()).toHaveLength(4);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded", reason: null });
    expect(await deliveryOf(acct, id)).toMatchObject({ status: "delivered", attempts: 4 });
    // One conversion, the same order id every time.
    const bodies = ads.googleUploads().map((u) => u.body);
    expect(new Set(bodies).size).toBe(1);
    expect(upload(ads, 0).conversions[0]!.orderId).toBe(`dni-${id}`);
  });
});

describe("Microsoft Advertising faults", () => {
  it("CallRateExceeded is retried; BatchErrors sink only their rows (the rest go again); an account fault is final", async () => {
    const { acct, voice } = await callWorld(3);
    await conversions(acct, { microsoftAds: MS_SETTINGS });
    const ads = mockPlatforms();
    const rate = "You have exceeded the number of calls that you are allowed to make in a minute.";
    ads.msNext.push(
      msFault(400, { OperationErrors: [{ Code: 117, ErrorCode: "CallRateExceeded", Message: rate }] }),
      // The rows' order in a retry follows their (jittered) due times: the fault names ms-bad wherever it is.
      (body) =>
        msFault(400, {
          BatchErrors: [
            {
              Code: 5604,
              ErrorCode: "OfflineConversionMicrosoftClickIdInvalid",
              Message: "The click id is invalid.",
              Index: body.OfflineConversions.findIndex((c) => c.MicrosoftClickId === "ms-bad"),
            },
          ],
        }),
    );
    const good = await adCall(acct, voice, { gclid: "g-1", msclkid: "ms-good" });
    const bad = await adCall(acct, voice, { gclid: "g-2", msclkid: "ms-bad" });
    let t = T0 + COMPLETED_SETTLE_MS;
    at(t);
    await alarm(acct);
    expect(await conversionOf(acct, good, "microsoft_ads")).toMatchObject({ status: "pending", reason: `HTTP 400: CallRateExceeded: ${rate}` });
    t += Math.ceil(retryDelayMs(1) * (1 + JITTER));
    at(t);
    await alarm(acct);
    expect(await conversionOf(acct, bad, "microsoft_ads")).toMatchObject({
      status: "failed",
      reason: "HTTP 400: OfflineConversionMicrosoftClickIdInvalid: The click id is invalid.",
    });
    expect(await conversionOf(acct, good, "microsoft_ads")).toMatchObject({ status: "pending" });
    t += Math.ceil(retryDelayMs(2) * (1 + JITTER));
    at(t);
    await alarm(acct);
    const sent = ads
      .microsoftUploads()
      .map((u) => (JSON.parse(u.body).OfflineConversions as { MicrosoftClickId: string }[]).map((c) => c.MicrosoftClickId).sort());
    expect(sent).toEqual([["ms-bad", "ms-good"], ["ms-bad", "ms-good"], ["ms-good"]]);
    // Every attempt is the same conversion (Microsoft ignores a repeat of click id and conversion time).
    const goodRows = ads
      .microsoftUploads()
      .map((u) => (JSON.parse(u.body).OfflineConversions as { MicrosoftClickId: string }[]).find((c) => c.MicrosoftClickId === "ms-good"));
    expect(new Set(goodRows.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(await conversionOf(acct, good, "microsoft_ads")).toMatchObject({ status: "uploaded", reason: null });

    // A fault about the account itself: final, with Microsoft's words, never retried.
    ads.msNext.push(
      msFault(400, { OperationErrors: [{ Code: 1102, ErrorCode: "CampaignServiceInvalidAccountId", Message: "The account identifier is not valid." }] }),
    );
    const third = await adCall(acct, voice, { gclid: "g-3", msclkid: "ms-third" });
    t += COMPLETED_SETTLE_MS;
    at(t);
    await alarm(acct);
    expect(await conversionOf(acct, third, "microsoft_ads")).toMatchObject({
      status: "failed",
      reason: "HTTP 400: CampaignServiceInvalidAccountId: The account identifier is not valid.",
    });
    at(t + 86_400_000);
    await alarm(acct);
    expect(ads.microsoftUploads()).toHaveLength(4);
  });

  it("InvalidCredentials refreshes the access token once and sends again", async () => {
    const { acct, voice } = await callWorld(1);
    await conversions(acct, { microsoftAds: MS_SETTINGS });
    const ads = mockPlatforms();
    ads.msNext.push(msAdApiFault(401, [{ Code: 105, ErrorCode: "InvalidCredentials", Message: "Authentication failed." }]));
    const id = await adCall(acct, voice, { gclid: "g", msclkid: "ms-reauth" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(ads.microsoftTokens()).toHaveLength(2);
    expect(ads.microsoftUploads().map((u) => u.headers.get("Authorization"))).toEqual(["Bearer ya29.token-1", "Bearer ya29.token-2"]);
    expect(await conversionOf(acct, id, "microsoft_ads")).toMatchObject({ status: "uploaded" });
    // The retry's refresh used the refresh token the first one gave in its place.
    expect(ads.microsoftTokens().map((t) => new URLSearchParams(t.body).get("refresh_token"))).toEqual([MS_SETTINGS.refreshToken, ads.msRefreshIssued[0]]);
  });

  it("Microsoft rotates the refresh token at every use: the new one is stored (its hint shown) and used by the next run", async () => {
    const { acct, voice } = await callWorld(2);
    await conversions(acct, { microsoftAds: MS_SETTINGS });
    const ads = mockPlatforms();
    const a = await adCall(acct, voice, { gclid: "g", msclkid: "ms-rot-a" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(await conversionOf(acct, a, "microsoft_ads")).toMatchObject({ status: "uploaded" });
    const rotated = ads.msRefreshIssued[0]!;
    const view = (await api("GET", "/v1/account/conversions", { key: acct.adminKey })).json;
    expect(view.microsoftAds.credentials.refreshToken).toBe(`…${rotated.slice(-4)}`);
    // An hour on, the access token has expired: the next run refreshes from the stored, rotated token.
    at(T0 + 3_600_000);
    const b = await adCall(acct, voice, { gclid: "g", msclkid: "ms-rot-b" });
    at(T0 + 3_600_000 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(await conversionOf(acct, b, "microsoft_ads")).toMatchObject({ status: "uploaded" });
    expect(ads.microsoftTokens().map((t) => new URLSearchParams(t.body).get("refresh_token"))).toEqual([MS_SETTINGS.refreshToken, rotated]);
    expect(JSON.stringify(await dump(accountStub(acct.accountId)))).not.toContain(rotated);
  });
});

describe("redeliveries", () => {
  it("a redelivered upload is the same conversion (same order id): Google keeps one, the call stays uploaded", async () => {
    const { acct, voice } = await callWorld(1);
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    const ads = mockPlatforms();
    const id = await adCall(acct, voice, { gclid: "gclid-once" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    const delivery = await deliveryOf(acct, id);
    expect(delivery).toMatchObject({ status: "delivered", attempts: 1 });
    const again = await api("POST", `/v1/deliveries/${delivery.id}/redeliver`, { key: acct.adminKey });
    expect(again.status).toBe(202);
    await alarm(acct);
    expect(ads.googleUploads()).toHaveLength(2);
    expect(ads.googleUploads()[1]!.body).toBe(ads.googleUploads()[0]!.body);
    // Google recorded the conversion once (by order id and by click and time); its duplicate answer counts as uploaded.
    expect([...ads.googleAccepted]).toHaveLength(2);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded", reason: null });
    expect(await deliveryOf(acct, id)).toMatchObject({ status: "delivered" });
  });
});

describe("a redelivered upload that fails", () => {
  it("is tried once: the call's conversion says failed with Google's reason, as its delivery is dead (it said pending for ever)", async () => {
    const { acct, voice } = await callWorld(1);
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    const ads = mockPlatforms();
    const id = await adCall(acct, voice, { gclid: "gclid-again" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    const delivery = await deliveryOf(acct, id);
    expect(delivery).toMatchObject({ status: "delivered" });
    expect((await api("POST", `/v1/deliveries/${delivery.id}/redeliver`, { key: acct.adminKey })).status).toBe(202);
    ads.googleNext.push(googleError(503, "UNAVAILABLE", "The service is currently unavailable."));
    await alarm(acct);
    expect(await deliveryOf(acct, id)).toMatchObject({ status: "dead" });
    expect(await conversionOf(acct, id)).toMatchObject({ status: "failed", reason: "HTTP 503 UNAVAILABLE: The service is currently unavailable." });
  });
});

describe("the stopped platform's alert", () => {
  it("reaches the alert email too (with no alert webhook), once, saying what to do", async () => {
    const { acct, voice } = await callWorld(2);
    const email = { apiKey: "re_test_0123456789abcdef", from: "DNI Alerts <alerts@shop.example>", to: ["ops@shop.example"] };
    expect((await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { alertEmail: email } })).status).toBe(200);
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    const ads = mockPlatforms();
    ads.revoked = true;
    await adCall(acct, voice, { gclid: "gclid-a" });
    await adCall(acct, voice, { gclid: "gclid-b" });
    at(T0 + COMPLETED_SETTLE_MS);
    for (const t of [0, 1, 2]) {
      at(T0 + COMPLETED_SETTLE_MS + t * 3_600_000);
      await alarm(acct);
    }
    const emails = ads.seen.filter((s) => s.url.href === "https://api.resend.com/emails").map((s) => JSON.parse(s.body) as { subject: string; text: string });
    expect(emails).toHaveLength(1);
    expect(emails[0]!.subject).toContain("Ad conversion uploads stopped");
    expect(emails[0]!.text).toContain("Google Ads refused the stored credentials or account settings (token refresh failed: invalid_grant)");
    expect(emails[0]!.text).toContain("PATCH /v1/account/conversions");
    expect(emails[0]!.text).not.toContain(GOOGLE_SETTINGS.refreshToken);
    expect(ads.googleTokens()).toHaveLength(1);
  });
});

describe("secrets stay secret", () => {
  it("credentials and access tokens never appear in the logs, the stored reasons, the alert or the API", async () => {
    const { acct, voice } = await callWorld(4);
    await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { alertWebhook: { url: ALERT_HOOK } } });
    expect((await conversions(acct, { googleAds: GOOGLE_SETTINGS, microsoftAds: MS_SETTINGS })).status).toBe(200);
    const ads = mockPlatforms();
    ads.googleErrors.set("gclid-refused", { conversionUploadError: "UNPARSEABLE_GCLID" });
    ads.msErrors.set("ms-refused", { Code: 5604, ErrorCode: "OfflineConversionMicrosoftClickIdInvalid", Message: "The click id is invalid." });
    const calls = [
      await adCall(acct, voice, { gclid: "gclid-fine", msclkid: "ms-fine" }),
      await adCall(acct, voice, { gclid: "gclid-refused", msclkid: "ms-refused" }),
    ];
    let t = T0 + COMPLETED_SETTLE_MS;
    at(t);
    // An expired access token (refreshed), then a whole-request failure, then a revoked refresh token.
    ads.expireNextToken = true;
    await alarm(acct);
    calls.push(await adCall(acct, voice, { gclid: "gclid-503", msclkid: "ms-503" }));
    ads.googleNext.push(googleError(503, "UNAVAILABLE", "The service is currently unavailable."));
    ads.msNext.push(msFault(500, { OperationErrors: [{ Code: 0, ErrorCode: "InternalError", Message: "An internal error has occurred." }] }));
    t += COMPLETED_SETTLE_MS;
    at(t);
    await alarm(acct);
    ads.revoked = true;
    ads.expireNextToken = true;
    t += Math.ceil(retryDelayMs(1) * (1 + JITTER));
    at(t);
    await alarm(acct);
    await alarm(acct); // sends the alert queued by the one before

    // The scenario really ran and really logged: refusals, retries and the stopped platform.
    expect(ads.issued.length).toBeGreaterThanOrEqual(3);
    expect(ads.alerts()).toHaveLength(1);
    expect(logged.some((l) => l.includes("credentials no longer work"))).toBe(true);
    expect(logged.some((l) => l.includes("UNPARSEABLE_GCLID"))).toBe(true);

    const views = [
      ...(await Promise.all(calls.map(async (id) => JSON.stringify((await getCall(acct, id)).json)))),
      JSON.stringify((await api("GET", "/v1/account/conversions", { key: acct.adminKey })).json),
      JSON.stringify((await api("GET", "/v1/deliveries?status=all", { key: acct.adminKey })).json),
      ...ads.alerts().map((a) => a.body),
      // What the account object keeps: credentials sealed, access tokens in memory only.
      await dump(accountStub(acct.accountId)),
    ];
    expect(views.join("\n")).toContain("UNPARSEABLE_GCLID");
    const secrets = [
      GOOGLE_SETTINGS.developerToken,
      GOOGLE_SETTINGS.clientSecret,
      GOOGLE_SETTINGS.refreshToken,
      MS_SETTINGS.developerToken,
      MS_SETTINGS.refreshToken,
      ...ads.issued,
      ...ads.msRefreshIssued,
    ];
    for (const place of [logged.join("\n"), ...views])
      for (const secret of secrets) expect(place.includes(secret), `${secret} leaked into: ${place.slice(0, 200)}`).toBe(false);
    expect(logged.join("\n")).not.toMatch(/ya29\.|Bearer /);
  });
});

describe("uploads that wait for days", () => {
  const DAY = 86_400_000;
  /** One table's rows from a dump of an object's storage. */
  const tableOf = (dumped: string, name: string) =>
    ((JSON.parse(dumped) as [string, Record<string, unknown>[]][]).find(([t]) => t === name)?.[1] ?? []) as Record<string, unknown>[];

  it("resumed after the call moved to its month's log: the call shows the upload as uploaded, not paused", async () => {
    const { acct, voice } = await callWorld(1);
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    const ads = mockPlatforms();
    ads.revoked = true;
    const id = await adCall(acct, voice, { gclid: "gclid-late-resume" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "pending", reason: expect.stringContaining("paused") });
    // Five days on, the daily upkeep has moved the call to its month's log; new credentials resume the upload.
    at(T0 + 5 * DAY);
    await alarm(acct);
    expect(tableOf(await dump(accountStub(acct.accountId)), "calls")).toEqual([]);
    ads.revoked = false;
    expect((await conversions(acct, { googleAds: GOOGLE_SETTINGS })).status).toBe(200);
    at(T0 + 5 * DAY + 60_000);
    await alarm(acct);
    expect(ads.googleUploads()).toHaveLength(1);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded", reason: null });
    expect(await deliveryOf(acct, id)).toMatchObject({ status: "delivered" });
  });

  it("paused past the platforms' 90-day window: given up with the reason, and its payload (click id, caller) pruned later", async () => {
    const { acct, voice } = await callWorld(1);
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    const ads = mockPlatforms();
    ads.revoked = true;
    const id = await adCall(acct, voice, { gclid: "gclid-never-resumed" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    // The daily upkeep, day by day: still waiting on day 89.
    for (let day = 1; day <= 89; day += 4) {
      at(T0 + day * DAY);
      await alarm(acct);
    }
    expect(await deliveryOf(acct, id)).toMatchObject({ status: "pending" });
    at(T0 + 91 * DAY);
    await alarm(acct);
    const reason = "not uploaded within 90 days of the call: the ad platforms take no conversion for a click that old";
    expect(await conversionOf(acct, id)).toMatchObject({ status: "failed", reason });
    expect(await deliveryOf(acct, id)).toMatchObject({ status: "dead", lastError: reason });
    // New credentials now send nothing: no platform would take it.
    ads.revoked = false;
    expect((await conversions(acct, { googleAds: GOOGLE_SETTINGS })).status).toBe(200);
    at(T0 + 91 * DAY + 60_000);
    await alarm(acct);
    expect(ads.googleUploads()).toHaveLength(0);
    // Two weeks on, the given-up row is pruned with what it held.
    at(T0 + 106 * DAY);
    await alarm(acct);
    const outbox = tableOf(await dump(accountStub(acct.accountId)), "outbox");
    expect(outbox.filter((r) => r.call_id === id)).toEqual([]);
    expect(JSON.stringify(outbox)).not.toContain("gclid-never-resumed");
  });
});

describe("a slow ad platform", () => {
  it("does not hold up the webhooks: a call's webhook goes out while Google's upload is still waiting for its answer", async () => {
    const { acct, voice } = await callWorld(2);
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    const hook = "https://hooks.example/calls";
    expect((await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { webhook: { url: hook } } })).status).toBe(200);
    const ads = mockPlatforms();
    await adCall(acct, voice, { gclid: "gclid-slow" });
    await alarm(acct);
    at(T0 + COMPLETED_SETTLE_MS);
    // Google's upload is due now; a new call's webhook becomes due beside it.
    const slow = holdRequests((u) => u.hostname === "googleads.googleapis.com");
    const late = await adCall(acct, voice, { gclid: "gclid-late" });
    const run = alarm(acct);
    await slow.waiting;
    await vi.waitFor(() => expect(ads.seen.some((s) => s.url.href === hook && JSON.parse(s.body).call?.id === late)).toBe(true), { timeout: 5_000 });
    expect(ads.googleUploads()).toHaveLength(0);
    slow.release();
    await run;
    expect(ads.googleUploads()).toHaveLength(1);
  });
});
