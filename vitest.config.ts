import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "**/build/**", ".data/**", ".test-data/**", "tests/e2e/**"],
    globalSetup: ["tests/support/global-setup.ts"],
    // Each file gets its own database; two cores here, so a few files at once is plenty.
    pool: "forks",
    poolOptions: { forks: { maxForks: 3, minForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
