/**
 * googleAds.timeZone: only the Google Ads API (conversionDateTime) and the import CSV write local
 * times with an offset. A Data Manager API setting (UTC timestamps) may leave it out; a setting
 * that is or becomes google_ads_api without one is refused with nothing stored. A PATCH that leaves
 * it out keeps the stored zone; null removes it. The CSV without any zone is UTC.
 */
import { afterEach, describe, expect, it } from "vitest";
import { COMPLETED_SETTLE_MS } from "../../worker/account/call-outcome";
import { mockPlatforms, platformViolations } from "./ad-platforms";
import { at, callWorld, T0 } from "./calls-helpers";
import { adCall, alarm, conversionOf, conversions, csv, DM_SETTINGS, GOOGLE_SETTINGS, parseCsv } from "./conversions-helpers";
import { accountStub, api, type Created, dump, useTestClock } from "./helpers";

useTestClock(T0, { silence: ["warn", "error"] });
afterEach(() => expect(platformViolations()).toEqual([]));

const googleView = async (acct: Created) => (await api("GET", "/v1/account/conversions", { key: acct.adminKey })).json.googleAds;
const { timeZone: _tz, ...DM_NO_ZONE } = DM_SETTINGS;
const { timeZone: _gtz, ...GOOGLE_NO_ZONE } = GOOGLE_SETTINGS;
/** A PATCH's config without credentials (the stored ones are kept). */
const { clientId: _c, clientSecret: _s, refreshToken: _r, ...DM_CONFIG } = DM_NO_ZONE;
const HEADER = ["Google Click ID", "Conversion Name", "Conversion Time", "Conversion Value", "Conversion Currency"];

/** The refusal of a Google Ads API setting without a zone: 400, naming the field, as a schema error would. */
function expectZoneRequired(res: { status: number; json: { error: { code: string; message: string; details: unknown } } }) {
  expect(res.status).toBe(400);
  expect(res.json.error.code).toBe("invalid_request");
  expect(res.json.error.message).toContain("googleAds.timeZone: required with api google_ads_api");
  expect(res.json.error.details).toEqual([{ path: "googleAds.timeZone", message: expect.stringContaining("IANA time zone") }]);
}

describe("googleAds.timeZone with the Data Manager API", () => {
  it("is not needed: the setting is taken without one (null in the view), its calls upload in UTC, the import CSV is UTC", async () => {
    const { acct, voice } = await callWorld(2);
    const set = await conversions(acct, { googleAds: DM_NO_ZONE });
    expect(set.status).toBe(200);
    expect(set.json.googleAds).toMatchObject({ api: "data_manager", customerId: "1234567890", timeZone: null });
    expect(await googleView(acct)).toEqual(set.json.googleAds);

    const ads = mockPlatforms();
    const id = await adCall(acct, voice, { gclid: "Cj0KCQ-no-zone" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(ads.googleUploads()).toHaveLength(0);
    expect(ads.dataManagerUploads()).toHaveLength(1);
    // T0 is 2031-03-01T10:00:00Z.
    expect(JSON.parse(ads.dataManagerUploads()[0]!.body).events[0]).toMatchObject({
      adIdentifiers: { gclid: "Cj0KCQ-no-zone" },
      eventTimestamp: "2031-03-01T10:00:00Z",
    });
    expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded" });

    // The check goes through the same API, with nothing about a zone.
    const check = await api("POST", "/v1/account/conversions/check", { key: acct.adminKey, body: {} });
    expect(check.status).toBe(200);
    expect(check.json.results).toEqual([expect.objectContaining({ platform: "google_ads", api: "data_manager", ok: true })]);

    // No zone anywhere: the import template is UTC, its Parameters row in Google's GMT-offset form.
    expect(parseCsv((await csv(acct, "?format=google_ads")).text)).toEqual([
      ["Parameters:TimeZone=+0000"],
      HEADER,
      ["Cj0KCQ-no-zone", "Phone call (DNI)", "2031-03-01 10:00:00+00:00", "", ""],
    ]);
    // The full CSV's Google columns too.
    const full = parseCsv((await csv(acct)).text);
    expect(full[1]!.slice(-5)).toEqual(["Cj0KCQ-no-zone", "Phone call (DNI)", "2031-03-01 10:00:00+00:00", "", ""]);
    // The query's zone still wins.
    expect(parseCsv((await csv(acct, "?format=google_ads&timeZone=Europe/Paris")).text)).toEqual([
      ["Parameters:TimeZone=Europe/Paris"],
      HEADER,
      ["Cj0KCQ-no-zone", "Phone call (DNI)", "2031-03-01 11:00:00+01:00", "", ""],
    ]);
  });

  it("a PATCH that leaves it out keeps the stored zone (the CSV goes on using it); null removes it", async () => {
    const { acct, voice } = await callWorld(1);
    expect((await conversions(acct, { googleAds: DM_SETTINGS })).status).toBe(200);
    const kept = await conversions(acct, { googleAds: { ...DM_CONFIG, enhancedConversions: true } });
    expect(kept.status).toBe(200);
    expect(kept.json.googleAds).toMatchObject({ timeZone: "America/New_York", enhancedConversions: true, credentials: { refreshToken: "…wxyz" } });
    mockPlatforms();
    await adCall(acct, voice, { gclid: "gclid-kept-zone" });
    expect(parseCsv((await csv(acct, "?format=google_ads")).text)).toEqual([
      ["Parameters:TimeZone=America/New_York"],
      HEADER,
      ["gclid-kept-zone", "Phone call (DNI)", "2031-03-01 05:00:00-05:00", "", ""],
    ]);

    const removed = await conversions(acct, { googleAds: { ...DM_CONFIG, timeZone: null } });
    expect(removed.status).toBe(200);
    expect(removed.json.googleAds).toMatchObject({ api: "data_manager", timeZone: null });
    expect((await csv(acct, "?format=google_ads")).text.split("\r\n")[0]).toBe("Parameters:TimeZone=+0000");
    // An unknown zone is still refused.
    const bad = await conversions(acct, { googleAds: { ...DM_CONFIG, timeZone: "Mars/Olympus" } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe("invalid_request");
    expect(await googleView(acct)).toEqual(removed.json.googleAds);
  });

  it("so does a PATCH that leaves out the manager account, the action's name or enhanced conversions: kept; null removes the manager account", async () => {
    const acct = (await callWorld(1)).acct;
    const full = { ...DM_SETTINGS, loginCustomerId: "111-222-3333", conversionName: "Calls (DNI)", enhancedConversions: true };
    expect((await conversions(acct, { googleAds: full })).status).toBe(200);
    const { conversionName: _n, ...unnamed } = DM_CONFIG;
    const kept = await conversions(acct, { googleAds: { ...unnamed, conversionActionId: "555" } });
    expect(kept.status).toBe(200);
    expect(kept.json.googleAds).toMatchObject({
      conversionActionId: "555",
      loginCustomerId: "1112223333",
      conversionName: "Calls (DNI)",
      enhancedConversions: true,
    });
    const cleared = await conversions(acct, { googleAds: { ...unnamed, loginCustomerId: null, enhancedConversions: false } });
    expect(cleared.json.googleAds).toMatchObject({ loginCustomerId: null, conversionName: "Calls (DNI)", enhancedConversions: false });
  });
});

describe("googleAds.timeZone with the Google Ads API", () => {
  it("is required: a new google_ads_api setting without one (or with null) is refused 400, nothing stored", async () => {
    const { acct } = await callWorld(1);
    const before = await dump(accountStub(acct.accountId));
    expectZoneRequired(await conversions(acct, { googleAds: GOOGLE_NO_ZONE }));
    expectZoneRequired(await conversions(acct, { googleAds: { ...GOOGLE_SETTINGS, timeZone: null } }));
    // Not even the rules of the same PATCH.
    expectZoneRequired(await conversions(acct, { googleAds: GOOGLE_NO_ZONE, rules: { minSeconds: 30 } }));
    expect(await dump(accountStub(acct.accountId))).toBe(before);
    expect(await googleView(acct)).toBeNull();
  });

  it("switching a zoneless Data Manager setting to google_ads_api is refused until a zone is given; the stored setting stays and goes on uploading", async () => {
    const { acct, voice } = await callWorld(2);
    const set = await conversions(acct, { googleAds: DM_NO_ZONE });
    expect(set.status).toBe(200);
    const before = await dump(accountStub(acct.accountId));
    // Even with the developer token the Google Ads API needs: it is not stored either.
    expectZoneRequired(await conversions(acct, { googleAds: { ...DM_CONFIG, api: "google_ads_api", developerToken: "dev-token-CCCC3333" } }));
    expect(await dump(accountStub(acct.accountId))).toBe(before);
    expect(await googleView(acct)).toEqual(set.json.googleAds);

    const ads = mockPlatforms();
    const first = await adCall(acct, voice, { gclid: "gclid-still-dm" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(ads.dataManagerUploads()).toHaveLength(1);
    expect(ads.googleUploads()).toHaveLength(0);
    expect(await conversionOf(acct, first)).toMatchObject({ status: "uploaded" });

    // With a zone the switch is taken, and its conversion times are local to it.
    const switched = await conversions(acct, {
      googleAds: { ...DM_CONFIG, api: "google_ads_api", developerToken: "dev-token-CCCC3333", timeZone: "Europe/Berlin" },
    });
    expect(switched.status).toBe(200);
    expect(switched.json.googleAds).toMatchObject({ api: "google_ads_api", timeZone: "Europe/Berlin", credentials: { developerToken: "…3333" } });
    const second = await adCall(acct, voice, { gclid: "gclid-ads-api" });
    at(T0 + 2 * COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(ads.googleUploads()).toHaveLength(1);
    // The call started at T0 + COMPLETED_SETTLE_MS (the clock moved): Berlin is UTC+1 on 1 March.
    const startedAt = new Date(T0 + COMPLETED_SETTLE_MS);
    const local = new Date(startedAt.getTime() + 3_600_000).toISOString().slice(0, 19).replace("T", " ");
    expect(JSON.parse(ads.googleUploads()[0]!.body).conversions[0]).toMatchObject({ gclid: "gclid-ads-api", conversionDateTime: `${local}+01:00` });
    expect(await conversionOf(acct, second)).toMatchObject({ status: "uploaded" });

    // Now on the Google Ads API: a PATCH leaving the zone out keeps it; removing it is refused.
    const kept = await conversions(acct, { googleAds: { ...DM_CONFIG, loginCustomerId: "111-222-3333" } });
    expect(kept.status).toBe(200);
    expect(kept.json.googleAds).toMatchObject({ api: "google_ads_api", timeZone: "Europe/Berlin", loginCustomerId: "1112223333" });
    expectZoneRequired(await conversions(acct, { googleAds: { ...DM_CONFIG, timeZone: null } }));
    // Back to the Data Manager API the zone may go.
    const back = await conversions(acct, { googleAds: { ...DM_CONFIG, api: "data_manager", timeZone: null } });
    expect(back.status).toBe(200);
    expect(back.json.googleAds).toMatchObject({ api: "data_manager", timeZone: null, credentials: { developerToken: "…3333" } });
  });
});
