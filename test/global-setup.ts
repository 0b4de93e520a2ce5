/**
 * Once per `vitest run`: builds what the tests import when it is missing or older than its
 * sources (the snippet, dashboard and API reference bundles the worker serves), and afterwards stops every `wrangler dev` the
 * end-to-end harness started and did not stop — also when a test failed or timed out.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TestProject } from "vitest/node";

const ROOT = resolve(import.meta.dirname, "..");

declare module "vitest" {
  export interface ProvidedContext {
    /** Where the e2e harness records the process groups it starts. */
    processGroups: string;
  }
}

const newest = (dir: string): number =>
  Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));

function buildIfStale(): void {
  const outputs = ["snippet.ts", "dashboard.ts", "api-reference.js.gz"].map((f) => join(ROOT, "worker/generated", f));
  const sources = Math.max(...["snippet", "shared", "dashboard"].map((d) => newest(join(ROOT, d))));
  if (outputs.every((f) => existsSync(f) && statSync(f).mtimeMs >= sources)) return;
  execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: "inherit" });
}

/** Kill every recorded process group (its wrangler and workerd), and forget them. */
export function killRecorded(dir: string): void {
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    try {
      process.kill(-Number(name), "SIGKILL");
    } catch {
      /* already gone */
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

export default function setup(project: TestProject) {
  buildIfStale();
  const dir = mkdtempSync(join(tmpdir(), "dni-groups-"));
  project.provide("processGroups", dir);
  return () => killRecorded(dir);
}
