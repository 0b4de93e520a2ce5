import type { Pair, PhoneParts, PoolAllocation, WriteMode } from "./protocol";

/** A grouping's shape, the lengths of its groups: "2,4,4". */
const shape = (p: PhoneParts) => p.groups.map((g) => g.length).join();

/**
 * How the snippet writes a tracking number in place of its destination (snippet/format.ts): into
 * the original's digit places (0: the same country code, grouping and trunk prefix), in its own
 * groups with the original's prefix and separators (1: the same country code, another grouping or
 * trunk prefix), or its national form (2: another country code; ANY_NUMBER has none).
 */
export const writeMode = (destination: PhoneParts, tracking: PhoneParts): WriteMode =>
  destination.cc !== tracking.cc ? 2 : shape(destination) === shape(tracking) && destination.trunk === tracking.trunk ? 0 : 1;

/**
 * Which of a number's written forms a group of the pattern finds (shared/pattern.ts): every form
 * (none given), or one of a number split by the trunk prefix: "international" (after a country
 * code), "trunk" (national, with its country's trunk prefix), "bare" (national, without one).
 */
export type Form = "international" | "trunk" | "bare";
/** A destination as the pattern finds it. */
export type Finding = PhoneParts & { form?: Form };

/**
 * A number's trunk prefix as its country dials it: `p.trunk` (as its national form writes it), or
 * the country's where the national form leaves it out (worker/domain/trunk.ts: Brazil's `(11)`
 * numbers, dialled `(011)`).
 */
export type DialTrunk = (p: PhoneParts) => string;

/** The tracking number with its trunk prefix written before its first group (a national original). */
const withPrefix = (tracking: PhoneParts, trunk: string): PhoneParts =>
  trunk ? { ...tracking, groups: [trunk + tracking.groups[0], ...tracking.groups.slice(1)] } : tracking;

/**
 * What the snippet finds and what it writes, in one order: the pattern's numbers (one group each)
 * and the answer's pairs (each destination of each pool with its pool's number, how to write it and
 * the detail of the `dni:swap` event). Every pool's own destinations first, then the replaceAll
 * pools' ANY_NUMBER (whose "every number" would otherwise find a later pool's destination first, and
 * write that pool's visitors the replaceAll pool's number), and ANY_NUMBER's pair once more at the
 * end, for the pattern's last group (bare digits: shared/pattern.ts). Made by the worker so the
 * snippet carries no code for it.
 *
 * A tracking number whose trunk prefix is not its destination's (Australia's `1800 123 456` for
 * `(02) 9876 5432`, a Chinese mobile for a `010` number, a Brazilian `0800` for an `(11)` number) is
 * found in three groups, one per form, each with what the snippet writes for it: after a country code,
 * its own groups; written nationally, its own trunk prefix (none for the 1800 number, `0` for the
 * Sydney one) before them — the destination's as written is dropped (for the "trunk" form, the
 * destination's number is its prefix and nsn, so the snippet's prefix ends before the trunk).
 */
export const findings = (pools: readonly PoolAllocation[], source: string, dial: DialTrunk = (p) => p.trunk): { numbers: Finding[]; pairs: Pair[] } => {
  const own: [Finding, Pair][] = [];
  const every: [Finding, Pair][] = [];
  for (const pool of pools) {
    const tracking = pool.number;
    for (const d of pool.destinations) {
      const into = d.e164 === "*" ? every : own;
      // The pattern finds a number with its country's trunk prefix, written by its national form or not.
      const trunk = d.e164 === "*" ? "" : dial(d);
      const found: Finding = trunk === d.trunk ? d : { ...d, trunk };
      if (!tracking) {
        into.push([found, [d, null, 2]]);
        continue;
      }
      const mode = writeMode(d, tracking);
      const swap = { destination: d.e164, number: tracking.e164, source };
      // Written nationally without a trunk prefix: the tracking number's own national form's, if the
      // destination's national form writes none (else the original left out one it writes: so does the copy).
      const bare = d.trunk ? "" : tracking.trunk;
      // With a trunk prefix: the tracking number's national form's; where neither number's national form
      // writes it but the original did (Brazil's `(011)`), its country's.
      const dialled = tracking.trunk || (d.trunk ? "" : dial(tracking));
      if (mode !== 1 || (!bare && (!trunk || dialled === trunk))) {
        into.push([found, [d, tracking, mode, swap]]);
        continue;
      }
      into.push([{ ...found, form: "international" }, [d, tracking, 1, swap]]);
      if (trunk) into.push([{ ...found, form: "trunk" }, [{ ...d, nsn: trunk + d.nsn }, withPrefix(tracking, dialled), 1, swap]]);
      into.push([{ ...found, form: "bare" }, [d, withPrefix(tracking, bare), 1, swap]]);
    }
  }
  const all = [...own, ...every];
  const last = every[0];
  if (last) all.push(last);
  return { numbers: all.slice(0, last ? -1 : undefined).map(([f]) => f), pairs: all.map(([, p]) => p) };
};
