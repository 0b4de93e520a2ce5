/**
 * End-to-end harness: a real `wrangler dev` (own process group, fresh local storage, free port),
 * a plain static site on another origin (the customer's website), and Debian Chromium driven by
 * playwright-core with a fresh profile and a normal desktop user agent.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Browser, type BrowserContext, chromium } from "playwright-core";
import { inject } from "vitest";
import { findChromium } from "../../scripts/chromium.mjs";

const ROOT = resolve(import.meta.dirname, "../..");
export const OPERATOR_TOKEN = "e2e-operator-token";
export const DESKTOP_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => ok(port));
    });
  });
}

export interface RunningWorker {
  url: string;
  port: number;
  stop(): Promise<void>;
  /**
   * Kill and start again on the same port and storage (a runtime restart); `vars`: these variables
   * set otherwise from then on (e.g. a deployment's SECRETS_KEY replaced).
   */
  restart(vars?: Record<string, string>): Promise<void>;
}

async function waitUp(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${log()}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`wrangler dev did not come up:\n${log()}`);
}

/**
 * Process groups this process started and has not stopped: killed when it exits however it exits,
 * and recorded for the test run's global teardown (test/global-setup.ts) in case it is killed.
 */
const groups = new Set<number>();
let recordDir: string | undefined;
try {
  recordDir = inject("processGroups");
} catch {
  recordDir = undefined; // not inside a vitest run (the benchmarks)
}
process.once("exit", () => {
  for (const g of groups) {
    try {
      process.kill(-g, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
});

function track(pgid: number, on: boolean): void {
  if (on) groups.add(pgid);
  else groups.delete(pgid);
  if (!recordDir) return;
  const file = join(recordDir, String(pgid));
  try {
    if (on) writeFileSync(file, "");
    else unlinkSync(file);
  } catch {
    /* the run's teardown already cleared it */
  }
}

/** The local-only key `npm start` seals provider credentials with (scripts/dev.mjs). */
export const DEV_SECRETS_KEY = "dev:ex7Jdl54x/acNMpmBUy7yUrT5ebnPNOmQDeMihpHsA8=";

/** Start the worker with `wrangler dev` exactly as `npm start` does, on its own port and storage. */
export async function startWorker(opts: { demo?: boolean; assets?: string; config?: string; vars?: Record<string, string> } = {}): Promise<RunningWorker> {
  const port = await freePort();
  const persist = mkdtempSync(join(tmpdir(), "dni-e2e-"));
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess;
  let output = "";
  let vars = { ...opts.vars };
  const launch = async () => {
    const args = [
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--persist-to",
      persist,
      "--log-level",
      "warn",
      "--var",
      `OPERATOR_TOKEN:${OPERATOR_TOKEN}`,
      "--var",
      `DEMO:${opts.demo ? 1 : 0}`,
      "--var",
      `SECRETS_KEY:${DEV_SECRETS_KEY}`,
    ];
    if (opts.assets) args.push("--assets", opts.assets);
    if (opts.config) args.push("--config", opts.config);
    // After the defaults: a variable given again here is the one wrangler sets.
    for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
    child = spawn(join(ROOT, "node_modules/.bin/wrangler"), args, {
      cwd: ROOT,
      detached: true,
      env: {
        ...process.env,
        PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH}`,
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
        WRANGLER_SEND_METRICS: "false",
        // wrangler dev's local observability (on by default): every invocation's trace, each SQL
        // statement and RPC a span, written to a SQLite store on disk with fsyncs. Nothing here
        // reads it; it cost more CPU per request than the benchmark's trivial object does in all
        // (bench/allocate.ts), and disk I/O that made timings noisy. Production has no such store.
        X_LOCAL_OBSERVABILITY: process.env.X_LOCAL_OBSERVABILITY ?? "false",
        CI: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    if (child.pid !== undefined) track(child.pid, true);
    child.stdout?.on("data", (d) => (output += d));
    child.stderr?.on("data", (d) => (output += d));
    await waitUp(url, child, () => output);
  };
  const kill = async () => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise((r) => child.once("exit", r));
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
    await exited;
    track(child.pid, false);
  };
  await launch();
  return {
    url,
    port,
    restart: async (changed?: Record<string, string>) => {
      await kill();
      vars = { ...vars, ...changed };
      await launch();
    },
    stop: async () => {
      await kill();
      rmSync(persist, { recursive: true, force: true });
    },
  };
}

/** A customer's website: static pages on their own origin. */
export async function startSite(pages: Record<string, string>): Promise<{ url: string; stop(): Promise<void>; server: Server }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const page = pages[path];
    if (page === undefined) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" }).end(page);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server, stop: () => new Promise((r) => server.close(() => r())) };
}

const CHROMIUM = {
  executablePath: findChromium() ?? "chromium (not found: see scripts/chromium.mjs)",
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
};

/**
 * One headless Debian Chromium for a whole file (a launch takes seconds); each newContext() is a
 * fresh visitor (its own storage, cache and cookies) with the same desktop user agent. `args`:
 * more command-line switches (e.g. --host-resolver-rules for a site on several host names).
 */
export async function launchChromium(args: string[] = []): Promise<{ browser: Browser; newContext(): Promise<BrowserContext>; close(): Promise<void> }> {
  const browser = await chromium.launch({ ...CHROMIUM, args: [...CHROMIUM.args, ...args] });
  return { browser, newContext: () => browser.newContext({ userAgent: DESKTOP_UA, locale: "en-US" }), close: () => browser.close() };
}

/** Operator + admin calls against a running worker. */
export async function adminCall(base: string, method: string, path: string, key: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

export async function createAccountWithPool(base: string, origin: string, pool: Record<string, unknown>) {
  const acct = await adminCall(base, "POST", "/v1/accounts", OPERATOR_TOKEN, { name: "E2E", allowedOrigins: [origin] });
  if (acct.status !== 201) throw new Error(JSON.stringify(acct.json));
  const p = await adminCall(base, "POST", "/v1/pools", acct.json.adminKey, pool);
  if (p.status !== 201) throw new Error(JSON.stringify(p.json));
  return { adminKey: acct.json.adminKey as string, siteKey: acct.json.siteKey as string, pool: p.json };
}
