/** What the side-by-side benches share (bench/ab.ts, bench/snippet-ab.ts, bench/allocate.ts): a ref's tree, and the statistics of their rounds. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");

/** A git ref's files in a new temporary directory, with this tree's node_modules; the caller removes it. */
export function checkout(ref: string, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  execFileSync("sh", ["-c", `git archive "$1" | tar -x -C "$2"`, "sh", ref, dir], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** min–max. */
export const spread = (xs: number[], digits: number) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;

/** A ratio's median (min–max) over rounds. */
export const summary = (xs: number[]) => `${median(xs).toFixed(3)} (${spread(xs, 3)})`;
