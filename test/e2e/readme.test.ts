/**
 * Every shell command in the README runs, in the README's order, against a fresh `wrangler dev`
 * started as `npm start` starts it (demo account, dev secrets key). Only the two variable
 * definitions the README itself says to change are rewritten: `DNI` to this worker's URL and
 * `OPERATOR_TOKEN` to its token. `curl` fails the run on any HTTP error. The few lines that cannot
 * run here are listed below with the reason, and must still be in the README word for word.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPERATOR_TOKEN, type RunningWorker, startWorker } from "./harness";

const ROOT = resolve(import.meta.dirname, "../..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** Lines not run here, each with why. */
const NOT_RUN: Record<string, string> = {
  "npm install && npm start": "this test starts the worker the way `npm start` does",
  "npm test": "this test is part of it",
  "npx wrangler secret put OPERATOR_TOKEN": "needs a Cloudflare account",
  "npx wrangler secret put SECRETS_KEY": "needs a Cloudflare account",
  "npx wrangler r2 bucket create edge-dni-archive": "needs a Cloudflare account",
  "npm run deploy": "needs a Cloudflare account",
};

const command = (line: string) => line.replace(/\s+#.*$/, "").trim();

interface Block {
  line: number;
  text: string;
}

function shellBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== "```sh") continue;
    const start = i + 1;
    while (lines[++i] !== "```") if (i >= lines.length) throw new Error(`unclosed block at line ${start}`);
    blocks.push({ line: start, text: lines.slice(start, i).join("\n") });
  }
  return blocks;
}

function runBash(script: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const env = { ...process.env, PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH}` };
    execFile("bash", ["-c", script], { cwd, env, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let worker: RunningWorker;
beforeAll(async () => {
  worker = await startWorker({ demo: true });
});
afterAll(async () => worker?.stop());

describe("the README's commands", () => {
  const blocks = shellBlocks(README);

  it("finds the quick start, the first ten minutes and the provider examples", () => {
    expect(blocks.length).toBeGreaterThan(10);
    for (const line of Object.keys(NOT_RUN))
      expect(
        blocks.some((b) => b.text.split("\n").some((l) => command(l) === line)),
        line,
      ).toBe(true);
  });

  it("run as written against a fresh worker, and the call comes back attributed", async () => {
    const runnable = blocks.filter((b) => {
      const lines = b.text.split("\n").filter((l) => command(l) !== "");
      const skipped = lines.filter((l) => command(l) in NOT_RUN);
      if (skipped.length && skipped.length !== lines.length) throw new Error(`README line ${b.line}: a block mixes commands this test runs and ones it cannot`);
      return skipped.length === 0;
    });
    const script = [
      "set -euo pipefail",
      // Any HTTP error fails the run, with the body on stderr.
      'curl() { command curl --silent --show-error --fail-with-body "$@"; echo; }',
      ...runnable.map((b) =>
        [
          `echo "::block ${b.line}" >&2`,
          b.text.replace(/^DNI=.*$/m, `DNI=${worker.url}`).replace(/^OPERATOR_TOKEN=.*$/m, `OPERATOR_TOKEN=${OPERATOR_TOKEN}`),
        ].join("\n"),
      ),
    ].join("\n");
    const dir = mkdtempSync(join(tmpdir(), "dni-readme-"));
    const run = await runBash(script, dir);
    expect(run.code, `${run.stderr.slice(-3000)}\n${run.stdout.slice(-2000)}`).toBe(0);

    // Step 5: the TwiML forwards the visit's number to the pool's destination.
    expect(run.stdout).toMatch(/<Dial [^>]*><Number>\+14155550100<\/Number><\/Dial>/);
    // The answers the README shows (`# → …`) send the call's end where the worker's answers send it.
    const named = (text: string) =>
      new Set([...text.matchAll(/(?:action="|"eventUrl":\[")[^"]*\/(twilio|signalwire|telnyx|plivo|vonage)\/(\w+)/g)].map((m) => `${m[1]}/${m[2]}`));
    const shown = named(
      README.split("\n")
        .filter((l) => l.startsWith("# → "))
        .join("\n"),
    );
    expect(shown.size).toBeGreaterThan(0);
    expect([...shown].filter((url) => !named(run.stdout).has(url))).toEqual([]);
    // Step 6: read back with the keys the README's commands saved.
    const { adminKey } = JSON.parse(readFileSync(join(dir, "account.json"), "utf8"));
    const call = await (await fetch(`${worker.url}/v1/calls/CA00000000000000000000000000000001`, { headers: { Authorization: `Bearer ${adminKey}` } })).json();
    // The end is posted where the answer's <Dial action> points, so the attempt records who answered.
    expect(call).toMatchObject({ pool: "ads", attributed: true, outcome: "answered", talkSeconds: 42, route: { answeredBy: "+14155550100" } });
    expect(call.source).toMatchObject({ utm: { source: "google", medium: "cpc" }, clickIds: { gclid: "TeSt-gclid-1" } });
  }, 180_000);
});
