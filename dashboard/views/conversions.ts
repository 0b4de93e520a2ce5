/**
 * Ad conversions of the range's recent calls: for each call a platform knows about, its click id type,
 * whether it was uploaded, is waiting, was skipped or refused, and why — what an agency checks
 * first when conversions are missing.
 */
import type { Call, ConversionsCheck } from "../api";
import { el } from "../dom";
import { when } from "../format";
import { callHref } from "./recent-calls";

const PLATFORM: Record<string, string> = { google_ads: "Google Ads", microsoft_ads: "Microsoft Ads" };

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
        el("td", { textContent: when(r.at) }),
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
