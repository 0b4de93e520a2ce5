/** How figures read on the page. Pure: no DOM. */

/** A share 0..1 as a whole percentage: 0.3 → "30 %". */
export const pct = (share: number): string => `${Math.round(share * 100)} %`;

/** A moment in the viewer's locale, or "—" for never. */
export const when = (ms: number | null | undefined): string => (ms ? new Date(ms).toLocaleString() : "—");

/** A chart tick on the utilization axis: "Jan 5, 14:05" in the viewer's locale. */
export const shortDateTime = (ms: number): string => new Date(ms).toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });

/** A UTC day as the calls API keys it, e.g. "2031-01-05". */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** A UTC day as a tick: "01-05". */
export const monthDay = (ms: number): string => utcDay(ms).slice(5);

/** A count as a whole number. */
export const count = (n: number): string => String(Math.round(n));
