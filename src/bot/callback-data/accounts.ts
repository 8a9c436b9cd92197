import { createCallbackData } from "./codec.js";

/** The answers to `/accounts remove`: `v1:<code>:<account id>`. */
export const accountsCallbacks = {
  /** Remove it and cancel the waiting replies bound to it. */
  removeCancelBound: createCallbackData("xc", { accountId: "number" }),
  /** Remove it and leave its bound replies waiting for it to be added again. */
  removeKeepBound: createCallbackData("xk", { accountId: "number" }),
  /** Do not remove it. */
  keep: createCallbackData("xn", { accountId: "number" }),
};
