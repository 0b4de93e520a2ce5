/**
 * Ad conversions of the range's recent calls: for each call a platform knows about, its click id type,
 * whether it was uploaded, is waiting, was skipped or refused, and why — what an agency checks
 * first when conversions are missing.
 */
import type { Call } from "../api";
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
