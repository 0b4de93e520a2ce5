/**
 * Ad conversions: each platform's setting (uploading, or paused since its credentials were refused;
 * Google's diagnostics still asked for), then the range's recent calls: for each call a platform
 * knows about, its click id type, whether it was uploaded, is waiting, was skipped or refused, and
 * why — what an agency checks first when conversions are missing.
 */
import type { Call, Conversions, ConversionsCheck } from "../api";
import { el } from "../dom";
import { when } from "../format";
import { callHref } from "./recent-calls";

const PLATFORM: Record<string, string> = { google_ads: "Google Ads", microsoft_ads: "Microsoft Ads" };
const GOOGLE_API: Record<string, string> = { data_manager: "Data Manager API", google_ads_api: "Google Ads API" };

/** One ad platform's setting in words: "Google Ads (Data Manager API)", its state, and what Google's diagnostics say. */
export interface PlatformStatus {
  platform: "google_ads" | "microsoft_ads";
  /** off: no setting; ok: uploading; paused: the credentials were refused (auth_failed). */
  state: "off" | "ok" | "paused";
  name: string;
  status: string;
  /** Google's after-upload diagnostics (the Data Manager API): how many are still asked for, the last failure to read one. */
  notes: { text: string; error?: boolean }[];
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Each platform's setting (GET /v1/account/conversions), Google first; "not set up" for one with none. */
export function platformStatus(settings: Conversions): PlatformStatus[] {
  const auth = (a: NonNullable<Conversions["microsoftAds"]>["auth"]): Pick<PlatformStatus, "state" | "status"> =>
    a.state === "auth_failed"
      ? { state: "paused", status: `uploads paused since ${when(a.since)}: ${a.reason ?? "the credentials were refused"} — set new credentials to resume` }
      : { state: "ok", status: "uploading" };
  const g = settings.googleAds;
  const m = settings.microsoftAds;
  const notes: PlatformStatus["notes"] = [];
  if (g && (g.api === "data_manager" || g.diagnostics.waiting > 0 || g.diagnostics.lastError)) {
    const { waiting, lastError } = g.diagnostics;
    notes.push({ text: waiting ? `Diagnostics pending for ${plural(waiting, "upload request", "upload requests")}.` : "No diagnostics pending." });
    if (lastError)
      notes.push({
        text: `Last diagnostics error: ${lastError.error} (request ${lastError.requestId}, after ${plural(lastError.checks, "check", "checks")}).`,
        error: true,
      });
  }
  return [
    g
      ? { platform: "google_ads", name: `Google Ads (${GOOGLE_API[g.api] ?? g.api})`, ...auth(g.auth), notes }
      : { platform: "google_ads", name: "Google Ads", state: "off", status: "not set up", notes: [] },
    m
      ? { platform: "microsoft_ads", name: "Microsoft Ads", ...auth(m.auth), notes: [] }
      : { platform: "microsoft_ads", name: "Microsoft Ads", state: "off", status: "not set up", notes: [] },
  ];
}

/** The platforms' settings as a list, one item each: its name, its state in words, Google's diagnostics under it. All text. */
export function renderPlatformStatus(list: HTMLUListElement, settings: Conversions): void {
  list.textContent = "";
  list.append(
    ...platformStatus(settings).map((p) =>
      el(
        "li",
        { className: p.state === "paused" ? "bad" : p.state, dataset: { platform: p.platform } },
        el("strong", { textContent: `${p.name}: ` }),
        p.status,
        ...p.notes.map((n) => el("div", { className: n.error ? "small" : "muted small", textContent: n.text })),
      ),
    ),
  );
}

/** One row per call and platform, newest call first; calls without uploads configured are left out. */
export function conversionRows(calls: Call[]): { at: number; call: string; platform: string; status: string; clickId: string; reason: string }[] {
  return calls.flatMap((c) =>
    c.conversions.map((v) => ({
      at: c.startedAt,
      call: c.id,
      platform: PLATFORM[v.platform] ?? v.platform,
      status: v.status,
      clickId: v.clickIdType ?? "—",
      reason: v.reason ?? "",
    })),
  );
}

export function renderConversions(body: HTMLTableSectionElement, empty: HTMLElement, calls: Call[]): void {
  const rows = conversionRows(calls);
  body.textContent = "";
  empty.hidden = rows.length > 0;
  body.append(
    ...rows.map((r) =>
      el(
        "tr",
        {},
        // The time links to the call too: the call id's column is hidden on a phone's narrow screen.
        el("td", {}, el("a", { href: callHref(r.call), textContent: when(r.at) })),
        el("td", { className: "wide" }, el("a", { href: callHref(r.call), textContent: r.call })),
        el("td", { textContent: r.platform }),
        el("td", {}, el("span", { className: `st ${r.status}`, textContent: r.status })),
        el("td", { className: "wide", textContent: r.clickId }),
        el("td", { textContent: r.reason }),
      ),
    ),
  );
}

/**
 * The connection check's answer, one item per platform: ok or not, what passed, and on a failure
 * the platform's reason and what to do; `failure` (the API's refusal, e.g. nothing configured) instead.
 */
export function renderConversionCheck(list: HTMLUListElement, answer: ConversionsCheck | { failure: string }): void {
  list.textContent = "";
  list.hidden = false;
  if ("failure" in answer) {
    list.append(el("li", { className: "bad", textContent: answer.failure }));
    return;
  }
  list.append(
    ...answer.results.map((r) =>
      el(
        "li",
        { className: r.ok ? "ok" : "bad", dataset: { platform: r.platform } },
        el("strong", {
          textContent: `${PLATFORM[r.platform] ?? r.platform}${r.api ? ` (${r.api === "data_manager" ? "Data Manager API" : "Google Ads API"})` : ""}: `,
        }),
        r.ok ? "connected" : `not working: ${r.error ?? "no answer"}`,
        ...(r.hint ? [el("div", { className: "small", textContent: r.hint })] : []),
        el("div", { className: "muted small", textContent: `Checked: ${r.checked.length ? r.checked.join("; ") : "nothing got through"}.` }),
        ...(r.note ? [el("div", { className: "muted small", textContent: r.note })] : []),
      ),
    ),
  );
}
