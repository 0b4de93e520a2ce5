#!/usr/bin/env node
// `npm start`: builds the browser bundles, runs `wrangler dev` with the demo account and site, and
// rebuilds the bundles whenever their sources change (wrangler then reloads the worker, which
// serves them). Ctrl-C stops both.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, watch } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The local-only key `npm start` seals provider credentials with (never used by a deployment; test/e2e/harness.ts uses the same). */
const DEV_SECRETS_KEY = "dev:ex7Jdl54x/acNMpmBUy7yUrT5ebnPNOmQDeMihpHsA8=";
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const build = () => spawnSync(npm, ["run", "--silent", "build"], { cwd: root, stdio: "inherit" }).status === 0;

if (!build()) process.exit(1);

const wrangler = spawn(
  join(root, "node_modules/.bin/wrangler"),
  [
    "dev",
    "--var",
    "DEMO:1",
    "--var",
    "OPERATOR_TOKEN:dev-operator-token",
    "--var",
    `SECRETS_KEY:${DEV_SECRETS_KEY}`,
    "--assets",
    "examples",
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: "inherit", env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false" } },
);

// Rebuild on change, at most one build at a time, coalescing bursts of saves.
let timer = null;
let building = false;
let again = false;
const rebuild = () => {
  if (building) {
    again = true;
    return;
  }
  building = true;
  console.log("[dev] sources changed: rebuilding the bundles");
  build();
  building = false;
  if (again) {
    again = false;
    rebuild();
  }
};
const watchers = ["snippet", "shared", "dashboard"]
  .map((d) => join(root, d))
  .filter(existsSync)
  .map((dir) =>
    watch(dir, { recursive: true }, (_event, file) => {
      if (!file || file.includes("dist") || !/\.(ts|css|html)$/.test(file)) return;
      clearTimeout(timer);
      timer = setTimeout(rebuild, 150);
    }),
  );

const stop = () => {
  for (const w of watchers) w.close();
  if (wrangler.exitCode === null) wrangler.kill("SIGINT");
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
wrangler.on("exit", (code) => {
  for (const w of watchers) w.close();
  process.exit(code ?? 0);
});
