import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // A worker runs file after file in one process: modules and PGlite's WebAssembly are loaded once per worker,
    // not once per file (half the suite's time on 2 cores). Tests keep no state in modules, so nothing leaks.
    isolate: false,
    restoreMocks: true,
  },
});
