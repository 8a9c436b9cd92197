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
    // Vitest's default is one worker fewer than the CPUs: a single worker on a 2-core CI machine, which runs the
    // suite file after file. Most files wait on child processes and sockets, so two workers use both cores.
    maxWorkers: 2,
    restoreMocks: true,
  },
});
