import { createCallbackData } from "./codec.js";

/**
 * The bulk buttons of /queue: `v1:ba` Approve all, `v1:br` Reject all, `v1:bs` select, `v1:bt:<batch>:<reply>:<page>`
 * toggle a draft, `v1:bp:<batch>:<page>` turn a selection page, `v1:bo:<batch>` approve the selection, then on the
 * confirmation `v1:bc:<batch>` Confirm and `v1:bd:<batch>` Cancel, and on the progress message `v1:bx:<batch>` Cancel.
 */
export const bulkCallbacks = {
  approveAll: createCallbackData("ba", {}),
  rejectAll: createCallbackData("br", {}),
  select: createCallbackData("bs", {}),
  toggle: createCallbackData("bt", { batchId: "number", replyId: "number", page: "number" }),
  page: createCallbackData("bp", { batchId: "number", page: "number" }),
  approveSelected: createCallbackData("bo", { batchId: "number" }),
  confirm: createCallbackData("bc", { batchId: "number" }),
  dismiss: createCallbackData("bd", { batchId: "number" }),
  cancel: createCallbackData("bx", { batchId: "number" }),
} as const;
