import { createCallbackData } from "./codec.js";

/** The dead-letter buttons: `v1:dr:<id>` retry now, `v1:dd:<id>` discard. */
export const dlqCallbacks = {
  retry: createCallbackData("dr", { entryId: "number" }),
  discard: createCallbackData("dd", { entryId: "number" }),
} as const;
