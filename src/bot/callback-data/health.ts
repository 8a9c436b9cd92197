import { createCallbackData } from "./codec.js";

/** The /health buttons: `v1:hr` refresh, `v1:br:<name>` reset that breaker (e.g. `v1:br:x:main`). */
export const healthCallbacks = {
  refresh: createCallbackData("hr", {}),
  breakerReset: createCallbackData("br", { name: "name" }),
} as const;
