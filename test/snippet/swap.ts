/**
 * A page's text as the snippet writes it with the worker's answer: the worker's pattern and pairs
 * (shared/pattern.ts, shared/pairs.ts findings, with the worker's trunk prefixes) run through the
 * snippet's own find and write, with no DOM.
 */
import { findings } from "../../shared/pairs";
import { pattern } from "../../shared/pattern";
import { phoneParts } from "../../shared/phone";
import type { PoolAllocation } from "../../shared/protocol";
import { write } from "../../snippet/format";
import { find } from "../../snippet/match";
import { dialTrunk } from "../../worker/domain/trunk";

/** One pool of these destinations, its visitor's number `tracking` (none: null). */
export const pool = (destinations: string[], tracking: string | null): PoolAllocation[] => [
  { pool: "p", destinations: destinations.map(phoneParts), number: tracking ? phoneParts(tracking) : null, expiresAt: null, overflow: false },
];

/** The text as the snippet writes it with the answer for these pools. */
export const swapped = (pools: PoolAllocation[], text: string): string => {
  const { numbers, pairs } = findings(pools, "direct", dialTrunk);
  return find(text, RegExp(pattern(numbers), "g"), pairs, (written, [d, n, mode]) => (n ? write(written, d, n, mode) : written));
};

/** The text as the snippet writes it with `tracking` for one destination. */
export const swappedFor = (destination: string, tracking: string, text: string): string => swapped(pool([destination], tracking), text);
