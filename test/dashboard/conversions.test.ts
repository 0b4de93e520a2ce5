import { describe, expect, it } from "vitest";
import type { Call, Conversions } from "../../dashboard/api";
import { when } from "../../dashboard/format";
import { conversionRows, platformStatus, renderConversionCheck, renderConversions, renderPlatformStatus } from "../../dashboard/views/conversions";

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
    // The call is linked from the time as well as its id (the id's column is hidden on a phone).
    const [atLink, idLink] = [...body.querySelectorAll("tr")[0]!.querySelectorAll("a")];
    expect(atLink!.closest("td")?.classList.contains("wide")).toBe(false);
    expect(atLink!.getAttribute("href")).toBe(idLink!.getAttribute("href"));
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

describe("each ad platform's setting", () => {
  const rules: Conversions["rules"] = { minSeconds: 60, value: null, currency: null, consent: "granted", pools: {} };
  const ok = { state: "ok", reason: null, since: null } as const;
  const google = (over: Partial<NonNullable<Conversions["googleAds"]>> = {}): NonNullable<Conversions["googleAds"]> => ({
    api: "data_manager",
    customerId: "1234567890",
    conversionActionId: "987654321",
    conversionName: null,
    loginCustomerId: null,
    timeZone: null,
    enhancedConversions: false,
    credentials: { clientId: "1234", refreshToken: "wxyz" },
    auth: ok,
    diagnostics: { waiting: 0, lastError: null },
    ...over,
  });
  const microsoft: NonNullable<Conversions["microsoftAds"]> = {
    customerId: "5550001",
    accountId: "7770002",
    conversionName: "Phone call",
    enhancedConversions: false,
    credentials: {},
    auth: ok,
  };
  const since = Date.UTC(2031, 0, 5, 9, 30);
  const list = (settings: Conversions) => {
    const ul = document.createElement("ul");
    renderPlatformStatus(ul, settings);
    return [...ul.querySelectorAll("li")].map((li) => ({
      platform: li.dataset.platform,
      className: li.className,
      name: li.querySelector("strong")?.textContent,
      lines: [...li.querySelectorAll("div")].map((d) => d.textContent),
      text: li.textContent,
    }));
  };

  it("uploading: its name and API, and Google's diagnostics pending", () => {
    const items = list({ googleAds: google({ diagnostics: { waiting: 3, lastError: null } }), microsoftAds: microsoft, rules });
    expect(items).toEqual([
      {
        platform: "google_ads",
        className: "ok",
        name: "Google Ads (Data Manager API): ",
        lines: ["Diagnostics pending for 3 upload requests."],
        text: "Google Ads (Data Manager API): uploadingDiagnostics pending for 3 upload requests.",
      },
      { platform: "microsoft_ads", className: "ok", name: "Microsoft Ads: ", lines: [], text: "Microsoft Ads: uploading" },
    ]);
    expect(list({ googleAds: google({ diagnostics: { waiting: 1, lastError: null } }), microsoftAds: null, rules })[0]!.lines).toEqual([
      "Diagnostics pending for 1 upload request.",
    ]);
    expect(list({ googleAds: google(), microsoftAds: null, rules })[0]!.lines).toEqual(["No diagnostics pending."]);
  });

  it("the last diagnostics error, as text", () => {
    const [g] = list({
      googleAds: google({
        diagnostics: { waiting: 2, lastError: { requestId: "req-<1>", error: "HTTP 403: <b>insufficient scope</b>", checks: 4 } },
      }),
      microsoftAds: null,
      rules,
    });
    expect(g!.lines).toEqual([
      "Diagnostics pending for 2 upload requests.",
      "Last diagnostics error: HTTP 403: <b>insufficient scope</b> (request req-<1>, after 4 checks).",
    ]);
  });

  it("auth_failed: uploads paused since when, why, and what to do; the Google Ads API without diagnostics", () => {
    const paused = { state: "auth_failed", reason: "token refresh failed: <i>invalid_grant</i>", since } as const;
    const items = list({ googleAds: google({ api: "google_ads_api", auth: paused }), microsoftAds: { ...microsoft, auth: paused }, rules });
    const words = `uploads paused since ${when(since)}: token refresh failed: <i>invalid_grant</i> — set new credentials to resume`;
    expect(items.map((i) => [i.className, i.text])).toEqual([
      ["bad", `Google Ads (Google Ads API): ${words}`],
      ["bad", `Microsoft Ads: ${words}`],
    ]);
  });

  it("not set up: a platform with no setting", () => {
    expect(list({ googleAds: null, microsoftAds: null, rules }).map((i) => [i.platform, i.className, i.text])).toEqual([
      ["google_ads", "off", "Google Ads: not set up"],
      ["microsoft_ads", "off", "Microsoft Ads: not set up"],
    ]);
    expect(platformStatus({ googleAds: null, microsoftAds: microsoft, rules }).map((p) => p.state)).toEqual(["off", "ok"]);
  });

  it("draws afresh (the minute's reload), and never as markup", () => {
    const ul = document.createElement("ul");
    const hostile = { state: "auth_failed", reason: "<img src=x onerror=alert(1)>", since } as const;
    renderPlatformStatus(ul, { googleAds: google({ auth: hostile }), microsoftAds: null, rules });
    expect(ul.querySelector("img")).toBeNull();
    expect(ul.querySelector("li.bad")?.textContent).toContain("<img src=x onerror=alert(1)>");
    renderPlatformStatus(ul, { googleAds: google(), microsoftAds: null, rules });
    expect([...ul.querySelectorAll("li")].map((li) => li.className)).toEqual(["ok", "off"]);
  });
});
