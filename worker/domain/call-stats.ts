/**
 * Call totals of several stores merged (the account's recent calls and each month's call log): per
 * day and source, and per group of `GET /v1/stats/calls?groupBy=`. Pure.
 */
import type { CallGroup, CallGrouping, CallStats } from "../schemas/calls";

/** Days of several stores merged (the same day and source summed), with their total. */
export function totalled(days: CallStats["days"]): CallStats {
  const merged = new Map<string, CallStats["days"][number]>();
  for (const d of days) {
    const key = `${d.day}\u0000${d.source ?? "\u0001"}`;
    const m = merged.get(key);
    if (!m) merged.set(key, { ...d });
    else {
      m.calls += d.calls;
      m.attributed += d.attributed;
      m.answered += d.answered;
      m.talkSeconds += d.talkSeconds;
    }
  }
  const out = [...merged.values()].sort((a, b) => (a.day === b.day ? (a.source ?? "").localeCompare(b.source ?? "") : a.day < b.day ? -1 : 1));
  const total = out.reduce(
    (t, d) => ({
      calls: t.calls + d.calls,
      attributed: t.attributed + d.attributed,
      answered: t.answered + d.answered,
      talkSeconds: t.talkSeconds + d.talkSeconds,
    }),
    { calls: 0, attributed: 0, answered: 0, talkSeconds: 0 },
  );
  return { days: out, total };
}

/** A landing URL as a page: without its query and fragment (the click ids and utm_* differ per visit). */
export function landingPage(url: string | null): string | null {
  if (url === null) return null;
  const end = url.search(/[?#]/);
  return end < 0 ? url : url.slice(0, end);
}

/** Group rows of several stores merged (the same key summed; landing URLs as pages), most calls first, then by key. */
export function grouped(rows: CallGroup[], by: CallGrouping): CallGroup[] {
  const merged = new Map<string | null, CallGroup>();
  for (const r of rows) {
    const key = by === "landing" ? landingPage(r.key) : r.key;
    const m = merged.get(key);
    if (!m) merged.set(key, { ...r, key });
    else {
      m.calls += r.calls;
      m.attributed += r.attributed;
      m.answered += r.answered;
      m.talkSeconds += r.talkSeconds;
    }
  }
  return [...merged.values()].sort((a, b) => b.calls - a.calls || (a.key ?? "\uffff").localeCompare(b.key ?? "\uffff"));
}
