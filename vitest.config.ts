import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    // Whole-system tests run afterwards, one at a time: vitest.system.config.ts.
    exclude: [
      "node_modules/**",
      "**/build/**",
      ".data/**",
      ".test-data/**",
      "tests/start.test.ts",
      "tests/system/**",
      "tests/e2e/**",
    ],
    globalSetup: ["tests/support/global-setup.ts"],
    // Each file gets its own database; two cores here, so a few files at once is plenty.
    pool: "forks",
    poolOptions: { forks: { maxForks: 3, minForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
