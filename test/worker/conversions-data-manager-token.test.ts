/**
 * The Data Manager API's diagnostics (requestStatus:retrieve) with an access token Google refuses:
 * refreshed once and asked again, as uploads are (AdUploader.withToken); a token that cannot be had
 * leaves the request to be asked about later. Google mocked at the network edge (ad-platforms.ts).
 */
import { afterEach, describe, expect, it } from "vitest";
import { COMPLETED_SETTLE_MS } from "../../worker/account/call-outcome";
import { CHECK_DELAYS_MS } from "../../worker/account/dm-diagnostics";
import { platformViolations } from "./ad-platforms";
import { at, T0 } from "./calls-helpers";
import { adCall, alarm, conversionOf, dataManagerWorld } from "./conversions-helpers";
import { dmStatus } from "./data-manager-fake";
import { useTestClock } from "./helpers";

useTestClock(T0, { silence: ["warn", "error"] });
afterEach(() => expect(platformViolations()).toEqual([]));

const UPLOADED = T0 + COMPLETED_SETTLE_MS;

async function uploaded() {
  const w = await dataManagerWorld(1, false);
  const ads = w.ads;
  const id = await adCall(w.acct, w.voice, { gclid: "gclid-diag-token" });
  at(UPLOADED);
  await alarm(w.acct);
  ads.dm.diagnostics.set("dm-req-1", [dmStatus("FAILED", 1, { PROCESSING_ERROR_REASON_DENIED_CONSENT: 1 })]);
  return { ...w, ads, id };
}

describe("the diagnostics' access token", () => {
  it("refused (401): refreshed once, the diagnostics asked again with the new one, and Google's answer recorded", async () => {
    const { acct, ads, id } = await uploaded();
    const tokens = ads.googleTokens().length;
    ads.expireNextToken = true;
    at(UPLOADED + CHECK_DELAYS_MS[0]!);
    await alarm(acct);
    const checks = ads.dataManagerChecks();
    expect(checks).toHaveLength(2);
    expect(ads.googleTokens()).toHaveLength(tokens + 1);
    expect(checks[1]!.headers.get("Authorization")).toBe(`Bearer ${ads.issued.at(-1)}`);
    expect(checks[1]!.headers.get("Authorization")).not.toBe(checks[0]!.headers.get("Authorization"));
    expect(await conversionOf(acct, id)).toMatchObject({ status: "failed" });
  });

  it("no access token to be had (the refresh token revoked): nothing recorded, the request asked about at the next wait", async () => {
    const { acct, ads, id } = await uploaded();
    ads.revoked = true;
    ads.expireNextToken = true;
    let t = UPLOADED + CHECK_DELAYS_MS[0]!;
    at(t);
    await alarm(acct);
    expect(ads.dataManagerChecks()).toHaveLength(1);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "uploaded" });
    ads.revoked = false;
    t += CHECK_DELAYS_MS[1]!;
    at(t);
    await alarm(acct);
    expect(ads.dataManagerChecks()).toHaveLength(2);
    expect(await conversionOf(acct, id)).toMatchObject({ status: "failed" });
  });
});
