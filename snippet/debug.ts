/**
 * Debug mode (dni-debug.js: `?dni_debug=1` in the page's URL, or data-debug on the script tag): the
 * console says what the snippet found, which rule matched, which pool it asked and why anything was
 * not swapped. Every call site is guarded by DEBUG, so the other builds carry none of it.
 */
import type { Cached } from "./main";
import type { Pair } from "./match";

export const debug = { on: false };

/** One line of the report: console.info("dni:", …). */
export const trace = (...parts: unknown[]) => debug.on && console.info("dni:", ...parts);

/** Phone-like texts (a rough look: 7+ digits with separators), for the report of what was left alone. */
const CANDIDATE = /\+?\(?\d[\d\s()./-]{5,}\d/g;

/**
 * After an allocation was taken into use: which destinations were swapped, which were not on the
 * page, and which phone-like texts are no destination of the pools asked (so they stay).
 */
export const report = (answer: Cached, pairs: Pair[], seen: Record<string, unknown>) => {
  if (!debug.on) return;
  // Malformed source rules (skipped by the worker; the others applied).
  for (const warning of answer.warnings || []) trace(`data-sources: ${warning}: skipped, the other rules apply`);
  if (!answer.pools.length)
    return trace(`source "${answer.source}": no source rule matched and there is no data-pool, so nothing is tracked and the original numbers stay`);
  trace(`source "${answer.source}" (the source rule that matched, or direct/referral)`);
  for (const pool of answer.pools)
    trace(
      `pool ${pool.pool}:`,
      pool.number
        ? `number ${pool.number.e164}${pool.overflow ? " (the shared overflow number)" : ""}`
        : "no number (pool exhausted, or policy none): the originals stay",
      "for",
      pool.destinations.map((d) => (d.e164 == "*" ? "every phone number (replaceAll)" : d.e164)).join(", "),
    );
  // Each destination told once: a replaceAll pool's pair is repeated last (its bare digits' group),
  // and a destination written otherwise nationally than internationally has a pair per form (shared/pairs.ts).
  // (Not a replaceAll pool's pair of what it leaves alone, an IBAN, a long id: it has no number.)
  const told = pairs.filter((p) => p[0].e164 != "*" || p[1]);
  for (const [destination, number] of told.filter((p, i) => told.findIndex((q) => q[0].e164 == p[0].e164) == i))
    if (seen[destination.e164])
      trace(
        destination.e164 == "*"
          ? `found other numbers: swapped for ${number!.e164} (replaceAll)`
          : `found ${destination.e164} on the page: swapped for ${number!.e164}`,
      );
    else if (number && destination.e164 != "*")
      trace(`destination ${destination.e164} (${destination.national}) not found on this page (yet): nothing to swap`);
  // biome-ignore lint/performance/useDomNodeTextContent: innerText, as shown: blocks apart, no <script> text (debug only).
  const text = document.body ? document.body.innerText || document.body.textContent || "" : "";
  const destinations = RegExp(answer.pattern);
  for (const candidate of new Set(text.match(CANDIDATE) || []))
    if (!destinations.test(candidate.trim()) && !pairs.some(([, number]) => number && candidate.replace(/\D/g, "").endsWith(number.nsn)))
      trace(`"${candidate.trim()}" looks like a phone number but is no destination of the pools asked: left alone`);
};
