import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Five suites: the worker inside workerd (Vitest plugin), snippet and dashboard units in happy-dom,
// the voice providers' SDKs against our signature checks in Node, and end-to-end tests that drive
// Debian Chromium against a real `wrangler dev`.
export default defineConfig({
  test: {
    // Builds what the tests import if stale; stops any wrangler dev an e2e test left running.
    globalSetup: ["./test/global-setup.ts"],
    // Three files at a time, on CI's two cores too (vitest's default there is one): the worker suite's
    // files wait mostly on workerd, and ran in 93 s instead of 346 s. The e2e suite runs after the
    // others (groupOrder), one file at a time: each starts wrangler dev and Chromium, and waits on real time.
    maxWorkers: 3,
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            // SECRETS_KEY: two test keys (k2 seals, k1 still opens), so rotation is exercised too.
            miniflare: {
              bindings: {
                OPERATOR_TOKEN: "test-operator-token",
                DEMO: "0",
                SECRETS_KEY: "k2:dGVzdC1zZWNyZXRzLWtleS0yLTMyLWJ5dGVzLW9rISE=,k1:dGVzdC1zZWNyZXRzLWtleS0xLTMyLWJ5dGVzLW9rISE=",
              },
            },
          }),
        ],
        test: {
          name: "worker",
          include: ["test/worker/**/*.test.ts"],
          testTimeout: 30_000,
          // Each test file loads the worker afresh, module by module through Vite's runner: the
          // packages below, pre-bundled once (a module each instead of ~300: zod's and
          // libphonenumber's files), take ~30% off that (7 files loading the worker: 39 s of import → 27 s).
          deps: {
            optimizer: {
              ssr: {
                enabled: true,
                include: [
                  "zod",
                  "@hono/zod-openapi",
                  "libphonenumber-js/max",
                  "hono",
                  "hono/factory",
                  "hono/http-exception",
                  "hono/body-limit",
                  "hono/utils/http-status",
                  "hono/router/reg-exp-router",
                  "psl",
                  "isbot",
                  "fast-check",
                  "standardwebhooks",
                  "@xmldom/xmldom",
                ],
              },
            },
          },
        },
      },
      {
        test: { name: "snippet", environment: "happy-dom", include: ["test/snippet/**/*.test.ts"] },
      },
      {
        test: { name: "dashboard", environment: "happy-dom", include: ["test/dashboard/**/*.test.ts"] },
      },
      {
        // The voice providers' official SDKs (Node-only) as the independent check of our signature schemes.
        // testTimeout: property tests run each case through an SDK and our checks; 60 cases took 5.3 s
        // (over vitest's default 5 s) while the worker project ran beside them on 2 shared cores.
        test: { name: "providers", environment: "node", include: ["test/providers/**/*.test.ts"], testTimeout: 20_000 },
      },
      {
        test: {
          name: "e2e",
          environment: "node",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 90_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
