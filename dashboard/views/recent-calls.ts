/** The range's latest calls: when, source, campaign, pool, outcome and talk time, each linking to its detail. */
import type { Call } from "../api";
import { el, keepingFocus } from "../dom";
import { duration, shortWhen } from "../format";
import { isRecorded } from "./call-detail";

/** The link to a call's detail (the page reads it back from the URL's fragment). */
export const callHref = (id: string): string => `#call/${encodeURIComponent(id)}`;
/** The call id a fragment names, or null. */
export function callOfHash(hash: string): string | null {
  const m = /^#call\/(.+)$/.exec(hash);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return null;
  }
}

export interface CallLine {
  id: string;
  href: string;
  started: string;
  source: string;
  campaign: string;
  pool: string;
  outcome: string;
  /** "recorded" when the call has a recording (a voicemail left after a no-answer), else "". */
  recorded: string;
  duration: string;
}

/** How a call reads in the table. */
export function callLine(c: Call): CallLine {
  return {
    id: c.id,
    href: callHref(c.id),
    started: shortWhen(c.startedAt),
    source: c.source?.name ?? (c.attributed ? "(no source name)" : "(unattributed)"),
    campaign: c.source?.utm.campaign ?? "—",
    pool: c.pool ?? "—",
    outcome: c.outcome ?? "in progress",
    recorded: isRecorded(c) ? "recorded" : "",
    duration: duration(c.talkSeconds),
  };
}

export function renderRecentCalls(body: HTMLTableSectionElement, empty: HTMLElement, calls: Call[]): void {
  empty.hidden = calls.length > 0;
  keepingFocus(body, () => redrawCalls(body, calls));
}

function redrawCalls(body: HTMLTableSectionElement, calls: Call[]): void {
  body.replaceChildren(
    ...calls
      .map(callLine)
      .map((l) =>
        el(
          "tr",
          {},
          el("td", {}, el("a", { href: l.href, textContent: l.started })),
          el("td", { textContent: l.source }),
          el("td", { textContent: l.campaign }),
          el("td", { className: "wide", textContent: l.pool }),
          el(
            "td",
            {},
            el("span", { className: `st ${l.outcome.replace(/\s+/g, "-")}`, textContent: l.outcome }),
            ...(l.recorded ? [el("span", { className: "small", textContent: ` · ${l.recorded}` })] : []),
          ),
          el("td", { className: "num", textContent: l.duration }),
        ),
      ),
  );
}
