/**
 * Debug mode (dni-debug.js: `?dni_debug=1` in the page's URL, or data-debug on the script tag): the
 * console says what the snippet found, which rule matched, which pool it asked and why anything was
 * not swapped. Every call site is guarded by DEBUG, so the other builds carry none of it.
 */
import type { Cached } from "./main";
import type { Pair } from "./match";

export const debug = { on: false };

/** One line of the report: console.info("dni:", …). */
export const trace = (...a: unknown[]) => debug.on && console.info("dni:", ...a);

/** Phone-like texts (a rough look: 7+ digits with separators), for the report of what was left alone. */
const CANDIDATE = /\+?\(?\d[\d\s()./-]{5,}\d/g;

/**
 * After an allocation was taken into use: which destinations were swapped, which were not on the
 * page, and which phone-like texts are no destination of the pools asked (so they stay).
 */
export const report = (r: Cached, pairs: Pair[], seen: Record<string, 1>) => {
  if (!debug.on) return;
  if (!r.pools.length)
    return trace(`source "${r.source}": no source rule matched and there is no data-pool, so nothing is tracked and the original numbers stay`);
  trace(`source "${r.source}" (the source rule that matched, or direct/referral)`);
  for (const a of r.pools)
    trace(
      `pool ${a.pool}:`,
      a.number
        ? `number ${a.number.e164}${a.overflow ? " (the shared overflow number)" : ""}`
        : "no number (pool exhausted, or policy none): the originals stay",
      "for",
      a.destinations.map((x) => (x.e164 == "*" ? "every phone number (replaceAll)" : x.e164)).join(", "),
    );
  // A replaceAll pool's pair is repeated last (its bare digits' group): told once.
  for (const [x, t] of pairs.filter((p, i) => i < pairs.length - 1 || p[0].e164 != "*"))
    if (seen[x.e164]) trace(x.e164 == "*" ? `found other numbers: swapped for ${t!.e164} (replaceAll)` : `found ${x.e164} on the page: swapped for ${t!.e164}`);
    else if (t && x.e164 != "*") trace(`destination ${x.e164} (${x.national}) not found on this page (yet): nothing to swap`);
  // biome-ignore lint/performance/useDomNodeTextContent: innerText, as shown: blocks apart, no <script> text (debug only).
  const text = document.body ? document.body.innerText || document.body.textContent || "" : "";
  const R = RegExp(r.pattern);
  for (const m of new Set(text.match(CANDIDATE) || []))
    if (!R.test(m.trim()) && !pairs.some(([, t]) => t && m.replace(/\D/g, "").endsWith(t.nsn)))
      trace(`"${m.trim()}" looks like a phone number but is no destination of the pools asked: left alone`);
};
