import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.js";

/**
 * The suite as Stryker runs it: in-process tests only. Process tests (`test/process`) run the bot as a child
 * process that never sees the active mutant, so they cannot kill one and would only slow every mutant run;
 * the rig tests exercise test support, not `src/`.
 */
export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: ["test/process/**", "test/rig/**", "**/node_modules/**"],
    },
  }),
);
