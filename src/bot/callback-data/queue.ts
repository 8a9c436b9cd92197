import { createCallbackData } from "./codec.js";

/** A /queue page button: `v1:q:<page>` (pages count from 0). */
export const queuePageCallback = createCallbackData("q", { page: "number" });
