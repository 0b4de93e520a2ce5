/** How figures read on the page. Pure: no DOM. */

/** A count as the viewer's locale writes it: 12345 → "12,345" (en-US), "12.345" (de). */
export const count = (n: number): string => n.toLocaleString();

/** A share 0..1 as a whole percentage: 0.3 → "30 %". */
export const pct = (share: number): string => `${Math.round(share * 100)} %`;

/** A moment in the viewer's locale, or "—" for never. */
export const when = (ms: number | null | undefined): string => (ms ? new Date(ms).toLocaleString() : "—");

/** A moment in short: "Dec 3, 7:32 AM" in the viewer's locale. */
export const shortWhen = (ms: number): string => new Date(ms).toLocaleString([], { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });

/** part / whole as a whole percentage, "—" when there is no whole. */
export const rate = (part: number, whole: number): string => (whole > 0 ? pct(part / whole) : "—");

/** A call's talk time: "0:42", "12:05", "1:02:09"; "—" when not reported. */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.max(0, Math.round(seconds));
  const mmss = `${Math.floor((s % 3600) / 60)}:${String(s % 60).padStart(2, "0")}`;
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mmss.padStart(5, "0")}` : mmss;
}

/** A total talk time: "42 s", "12 min", "3 h 05 min". */
export function talkTime(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  return min < 60 ? `${min} min` : `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, "0")} min`;
}
