import { describe, expect, it } from "vitest";
import type { Call } from "../../dashboard/api";
import { conversionRows, renderConversionCheck, renderConversions } from "../../dashboard/views/conversions";

const call = (id: string, conversions: Call["conversions"]): Call => ({ id, startedAt: Date.UTC(2031, 0, 5, 10), conversions }) as unknown as Call;

describe("ad conversions view", () => {
  const calls = [
    call("CA1", [
      {
        platform: "google_ads",
        status: "failed",
        clickIdType: "gclid",
        orderId: "dni-CA1",
        reason: "conversionUploadError.UNPARSEABLE_GCLID: bad",
        updatedAt: 1,
      },
      { platform: "microsoft_ads", status: "uploaded", clickIdType: "msclkid", orderId: "dni-CA1", reason: null, updatedAt: 1 },
    ]),
    call("CA2", []),
    call("CA3", [
      { platform: "google_ads", status: "skipped", clickIdType: null, orderId: null, reason: "talk time 30 s is under the minimum of 60 s", updatedAt: 1 },
    ]),
  ];

  it("one row per call and platform, with the status and the reason; calls without uploads left out", () => {
    expect(conversionRows(calls).map((r) => [r.call, r.platform, r.status, r.clickId, r.reason])).toEqual([
      ["CA1", "Google Ads", "failed", "gclid", "conversionUploadError.UNPARSEABLE_GCLID: bad"],
      ["CA1", "Microsoft Ads", "uploaded", "msclkid", ""],
      ["CA3", "Google Ads", "skipped", "—", "talk time 30 s is under the minimum of 60 s"],
    ]);
  });

  it("renders as text (never markup), and says so when there is nothing", () => {
    const body = document.createElement("table").createTBody();
    const empty = document.createElement("p");
    renderConversions(body, empty, [
      call("<b>x</b>", [{ platform: "google_ads", status: "pending", clickIdType: "gbraid", orderId: "o", reason: "<img src=x>", updatedAt: 1 }]),
    ]);
    expect(empty.hidden).toBe(true);
    const cells = [...body.querySelectorAll("td")].map((td) => td.textContent);
    expect(cells.slice(1)).toEqual(["<b>x</b>", "Google Ads", "pending", "gbraid", "<img src=x>"]);
    expect(body.querySelector("img, b")).toBeNull();
    expect(body.querySelector(".st.pending")).not.toBeNull();
    renderConversions(body, empty, []);
    expect(body.querySelectorAll("tr")).toHaveLength(0);
    expect(empty.hidden).toBe(false);
  });
});

describe("the connection check", () => {
  it("one item per platform: connected or the platform's reason, the hint, what passed; all as text", () => {
    const list = document.createElement("ul");
    list.hidden = true;
    renderConversionCheck(list, {
      ok: false,
      checkedAt: 1,
      results: [
        { platform: "google_ads", api: "data_manager", ok: true, checked: ["access token", "events:ingest validateOnly"], note: "made-up click" },
        { platform: "microsoft_ads", ok: false, checked: [], error: "token refresh failed: <b>invalid_grant</b>", hint: "Authorize again." },
      ],
    });
    expect(list.hidden).toBe(false);
    const items = [...list.querySelectorAll("li")];
    expect(items.map((li) => [li.className, li.dataset.platform])).toEqual([
      ["ok", "google_ads"],
      ["bad", "microsoft_ads"],
    ]);
    expect(items[0]!.textContent).toBe("Google Ads (Data Manager API): connectedChecked: access token; events:ingest validateOnly.made-up click");
    expect(items[1]!.textContent).toBe("Microsoft Ads: not working: token refresh failed: <b>invalid_grant</b>Authorize again.Checked: nothing got through.");
    expect(list.querySelector("b")).toBeNull();
  });

  it("the API's refusal (nothing configured) in its own words", () => {
    const list = document.createElement("ul");
    renderConversionCheck(list, { failure: "No ad platform is configured for this account" });
    expect([...list.querySelectorAll("li.bad")].map((li) => li.textContent)).toEqual(["No ad platform is configured for this account"]);
  });
});
