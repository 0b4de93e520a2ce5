import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Four suites: the worker inside workerd (Vitest plugin), snippet and dashboard units in happy-dom,
// and end-to-end tests that drive Debian Chromium against a real `wrangler dev`.
export default defineConfig({
  test: {
    // Builds what the tests import if stale; stops any wrangler dev an e2e test left running.
    globalSetup: ["./test/global-setup.ts"],
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { OPERATOR_TOKEN: "test-operator-token", DEMO: "0" } },
          }),
        ],
        test: { name: "worker", include: ["test/worker/**/*.test.ts"], testTimeout: 30_000 },
      },
      {
        test: { name: "snippet", environment: "happy-dom", include: ["test/snippet/**/*.test.ts"] },
      },
      {
        test: { name: "dashboard", environment: "happy-dom", include: ["test/dashboard/**/*.test.ts"] },
      },
      {
        test: {
          name: "e2e",
          environment: "node",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 90_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
