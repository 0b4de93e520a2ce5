/**
 * Which Google API a Google setting uploads through (googleAds.api): the Data Manager API for a new
 * setting, the Google Ads API for one that says google_ads_api and for every setting stored before
 * the choice existed (the migration that wakes them keeps them on the API their developer token
 * worked with); a PATCH that leaves `api` out keeps it; bad settings are refused with nothing stored.
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../worker/account/account";
import { ALARM_HEALTH_MIGRATION } from "../../worker/account/alarm-health";
import { COMPLETED_SETTLE_MS } from "../../worker/account/call-outcome";
import { CALLS_RECORDING_REF_MIGRATION, ROUTE_TURNS_LAST_MIGRATION } from "../../worker/account/call-schema";
import { CONVERSION_GOOGLE_API_MIGRATION } from "../../worker/account/conversion-settings";
import { DM_CHECKS_MIGRATION } from "../../worker/account/dm-diagnostics";
import { BUY_TRIES_MIGRATION, ORDER_IDEMPOTENCY_CHANGE_MIGRATION } from "../../worker/account/number-orders";
import { mockPlatforms, platformViolations } from "./ad-platforms";
import { at, callWorld, T0 } from "./calls-helpers";
import { adCall, alarm, conversionOf, conversions, DM_SETTINGS, GOOGLE_SETTINGS } from "./conversions-helpers";
import { accountStub, api, type Created, useTestClock } from "./helpers";

useTestClock(T0, { silence: ["warn", "error"] });
afterEach(() => expect(platformViolations()).toEqual([]));

const googleView = async (acct: Created) => (await api("GET", "/v1/account/conversions", { key: acct.adminKey })).json.googleAds;

describe("googleAds.api", () => {
  it("bad settings are refused with a clear 400 and nothing stored; a developer token is needed for google_ads_api only", async () => {
    const { acct } = await callWorld(1);
    const unknown = await conversions(acct, { googleAds: { ...DM_SETTINGS, api: "adwords" } });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.code).toBe("invalid_request");
    expect(JSON.stringify(unknown.json.error)).toContain("api");
    const noToken = await conversions(acct, { googleAds: { ...DM_SETTINGS, api: "google_ads_api" } });
    expect(noToken.status).toBe(400);
    expect(noToken.json.error).toMatchObject({ code: "missing_credentials", details: [{ value: "developerToken" }] });
    expect(noToken.json.error.message).toContain("google_ads (api google_ads_api) needs developerToken");
    const noRefresh = await conversions(acct, { googleAds: { ...DM_SETTINGS, refreshToken: undefined } });
    expect(noRefresh.status).toBe(400);
    expect(noRefresh.json.error).toMatchObject({ code: "missing_credentials", details: [{ value: "refreshToken" }] });
    expect(await googleView(acct)).toBeNull();

    // Without a developer token: the Data Manager API, the default.
    const set = await conversions(acct, { googleAds: DM_SETTINGS });
    expect(set.status).toBe(200);
    expect(set.json.googleAds).toMatchObject({ api: "data_manager", customerId: "1234567890" });
    // Switching to the Google Ads API without a developer token is refused; the stored setting stays.
    const { clientId: _c, clientSecret: _s, refreshToken: _r, ...config } = DM_SETTINGS;
    const switched = await conversions(acct, { googleAds: { ...config, api: "google_ads_api" } });
    expect(switched.status).toBe(400);
    expect(switched.json.error.code).toBe("missing_credentials");
    expect(await googleView(acct)).toEqual(set.json.googleAds);
    // With one it is taken, and a later PATCH that leaves `api` out keeps it.
    expect((await conversions(acct, { googleAds: { ...config, api: "google_ads_api", developerToken: "dev-token-BBBB2222" } })).status).toBe(200);
    const kept = await conversions(acct, { googleAds: { ...config, enhancedConversions: true } });
    expect(kept.json.googleAds).toMatchObject({ api: "google_ads_api", enhancedConversions: true, credentials: { developerToken: "…2222" } });
  });

  it("an account whose Google setting says google_ads_api keeps uploading through the Google Ads API", async () => {
    const { acct, voice } = await callWorld(1);
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    const ads = mockPlatforms();
    const id = await adCall(acct, voice, { gclid: "gclid-ads-api" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(ads.dataManagerUploads()).toHaveLength(0);
    expect(ads.googleUploads()).toHaveLength(1);
    expect(ads.googleUploads()[0]!.url.pathname).toBe("/v26/customers/1234567890:uploadClickConversions");
    expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded" });
  });

  it("a Google setting stored before the choice existed wakes up on the Google Ads API, and stays there", async () => {
    const { acct, voice } = await callWorld(1);
    const { api: _api, ...before } = GOOGLE_SETTINGS;
    expect((await conversions(acct, { googleAds: before })).status).toBe(200);
    // As the version before stored it: no `api` in the config, one migration short.
    await runInDurableObject(accountStub(acct.accountId), (_i, state) => {
      const sql = state.storage.sql;
      sql.exec("UPDATE conversion_settings SET config = json_remove(config, '$.api')");
      expect(sql.exec<{ config: string }>("SELECT config FROM conversion_settings").one().config).not.toContain("api");
      sql.exec("UPDATE meta SET value = ? WHERE key = 'schema_version'", String(MIGRATIONS.indexOf(CONVERSION_GOOGLE_API_MIGRATION)));
      // And the steps after it undone, as that version had none of them (each runs again on the wake:
      // a step added later is to be undone here too).
      expect(MIGRATIONS.slice(MIGRATIONS.indexOf(CONVERSION_GOOGLE_API_MIGRATION) + 1)).toEqual([
        DM_CHECKS_MIGRATION,
        ORDER_IDEMPOTENCY_CHANGE_MIGRATION,
        ROUTE_TURNS_LAST_MIGRATION,
        BUY_TRIES_MIGRATION,
        CALLS_RECORDING_REF_MIGRATION,
        ALARM_HEALTH_MIGRATION,
      ]);
      sql.exec("DROP TABLE dm_checks");
      sql.exec("ALTER TABLE number_orders DROP COLUMN idempotency_change");
      sql.exec("ALTER TABLE route_turns DROP COLUMN last");
      sql.exec("ALTER TABLE route_turns DROP COLUMN agents");
      sql.exec("DROP TABLE number_buy_tries");
      sql.exec("ALTER TABLE calls DROP COLUMN recording_ref");
      sql.exec("DROP TABLE alarm_failures");
    });
    await evictDurableObject(accountStub(acct.accountId));
    expect(await googleView(acct)).toMatchObject({ api: "google_ads_api", credentials: { developerToken: "…1111" } });
    // A PATCH that leaves `api` out (as every client of the version before does) keeps it.
    expect((await conversions(acct, { googleAds: { ...before, developerToken: undefined, loginCustomerId: "111-222-3333" } })).status).toBe(200);
    expect(await googleView(acct)).toMatchObject({ api: "google_ads_api", loginCustomerId: "1112223333" });
    const ads = mockPlatforms();
    const id = await adCall(acct, voice, { gclid: "gclid-stored-before" });
    at(T0 + COMPLETED_SETTLE_MS);
    await alarm(acct);
    expect(ads.googleUploads()).toHaveLength(1);
    expect(ads.googleUploads()[0]!.headers.get("developer-token")).toBe(GOOGLE_SETTINGS.developerToken);
    expect(ads.dataManagerUploads()).toHaveLength(0);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded" });
  });
});
