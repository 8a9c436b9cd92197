// @ts-check
/**
 * Mutation testing of the core modules (`npm run test:mutation`). Run a subset with
 * `npm run test:mutation -- --mutate "src/resilience/**\/*.ts"`. Results land in reports/ (gitignored), and the
 * incremental file there lets a rerun retest only mutants whose code or tests changed.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.stryker.config.ts", related: true },
  plugins: ["@stryker-mutator/vitest-runner"],
  mutate: [
    "src/workflow/**/*.ts",
    "src/resilience/**/*.ts",
    "src/alerts/**/*.ts",
    "src/health/**/*.ts",
    "src/bot/filters/**/*.ts",
    "src/bot/middlewares/**/*.ts",
    "src/config.ts",
    "src/config/**/*.ts",
  ],
  coverageAnalysis: "perTest",
  incremental: true,
  incrementalFile: "reports/stryker-incremental.json",
  concurrency: 1,
  timeoutMS: 20_000,
  timeoutFactor: 2,
  dryRunTimeoutMinutes: 15,
  // A static mutant (module-level code) reruns every related test: ~6 min each on 2 cores.
  ignoreStatic: true,
  reporters: ["clear-text", "html", "json", "progress"],
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};
