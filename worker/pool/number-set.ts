/**
 * Which numbers a pool shard has: the account's pushes add and remove them (a leased one retires
 * when its lease ends), moved numbers' holds, the overflow number. Each number's parts are made
 * here, when it is added (libphonenumber: not on the allocation path).
 */
import { phoneParts } from "../../shared/phone";
import type { NumberSpec } from "./protocol";

export class NumberSet {
  constructor(private readonly sql: SqlStorage) {}

  /** Make the shard's numbers exactly `all`: the others retire (gone at once when free). */
  replaceNumbers(all: readonly NumberSpec[]): void {
    const wanted = new Set(all.map((n) => n.number));
    const have = new Set(
      this.sql
        .exec<{ number: string }>("SELECT number FROM numbers")
        .toArray()
        .map((r) => r.number),
    );
    this.removeNumbers([...have].filter((n) => !wanted.has(n)));
    this.addNumbers(all, have);
  }

  /**
   * Add numbers (a retiring one is taken back into use, its live lease kept). Numbers not in
   * `have` (default: all of them) get their parts made here.
   */
  addNumbers(add: readonly NumberSpec[], have?: ReadonlySet<string>): void {
    for (const n of add) {
      this.sql.exec(
        `INSERT INTO numbers (number, released_at, parts) VALUES (?, ?, ?)
         ON CONFLICT (number) DO UPDATE SET retiring = 0`,
        n.number,
        n.heldUntil ?? 0,
        have?.has(n.number) ? null : partsJson(n.number),
      );
    }
  }

  /** Remove numbers: a free one goes at once, a leased one retires when its lease ends (never extended). */
  removeNumbers(remove: readonly string[]): void {
    for (const number of remove) {
      this.sql.exec("DELETE FROM numbers WHERE number = ? AND session IS NULL", number);
      this.sql.exec("UPDATE numbers SET retiring = 1 WHERE number = ?", number);
    }
  }

  /** Retiring numbers a lease still holds, free elsewhere from its end + grace (the last push's answer). */
  departing(graceMs: number): { number: string; until: number }[] {
    return this.sql
      .exec<{ number: string; expires_at: number }>("SELECT number, expires_at FROM numbers WHERE retiring = 1 AND session IS NOT NULL")
      .toArray()
      .map((r) => ({ number: r.number, until: r.expires_at + graceMs }));
  }

  /** Bring holds of moved-in numbers down to `heldUntil` (0 or past: free now); a hold is never raised. */
  lowerHolds(holds: readonly NumberSpec[], now: number): void {
    for (const h of holds) {
      const until = Math.max(h.heldUntil ?? 0, now);
      this.sql.exec("UPDATE numbers SET released_at = ? WHERE number = ? AND session IS NULL AND released_at > ?", until, h.number, until);
    }
  }

  /** Mark the overflow number (only one, only with policy overflow). */
  setOverflow(number: string | null): void {
    this.sql.exec("UPDATE numbers SET overflow = (number IS ?)", number);
  }
}

/** A number's parts as stored (JSON); null if it does not parse (then made, and refused, when leased). */
function partsJson(number: string): string | null {
  try {
    return JSON.stringify(phoneParts(number));
  } catch {
    return null;
  }
}
