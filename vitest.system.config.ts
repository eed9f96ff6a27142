import { defineConfig } from "vitest/config";

/**
 * Tests that start the whole system (`npm start` as a user runs it, and the browser
 * journeys): one file at a time, after the unit suite, so that a start is never measured
 * while a dozen other test files compete for the machine's two cores.
 */
export default defineConfig({
  test: {
    include: [
      "tests/start.test.ts",
      "tests/system/**/*.test.ts",
      "tests/e2e/**/*.test.ts",
      "tests/faults/**/*.test.ts",
    ],
    exclude: ["node_modules/**"],
    globalSetup: ["tests/support/global-setup.ts"],
    pool: "forks",
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
