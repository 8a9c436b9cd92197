import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

/**
 * The suite as Stryker runs it: in-process tests only. Process tests (`test/process`) run the bot as a child
 * process that never sees the active mutant, so they cannot kill one and would only slow every mutant run;
 * the rig tests exercise test support, not `src/`. `STRYKER_TESTS` (comma-separated files or folders) narrows
 * the run further, for a quick look at one module on a small machine.
 */
const only = (process.env.STRYKER_TESTS ?? "")
  .split(",")
  .map((entry) => entry.trim())
  .filter((entry) => entry !== "")
  .map((entry) => (entry.endsWith(".ts") ? entry : `${entry.replace(/\/+$/, "")}/**/*.test.ts`));

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: only.length > 0 ? only : (base.test?.include ?? ["test/**/*.test.ts"]),
    exclude: ["test/process/**", "test/rig/**", "**/node_modules/**"],
  },
});
