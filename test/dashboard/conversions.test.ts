import { describe, expect, it } from "vitest";
import type { Call } from "../../dashboard/api";
import { conversionRows, renderConversions } from "../../dashboard/views/conversions";

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
