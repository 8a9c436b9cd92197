import { describe, expect, it } from "vitest";
import { AI_SPENT_SKIP_REASONS, SKIP_REASONS, skipReasonLabel } from "../../src/workflow/skip-reasons.js";

describe("skip reasons", () => {
  it("labels a known reason as itself and anything else, or none, as other", () => {
    for (const reason of SKIP_REASONS) expect(skipReasonLabel(reason)).toBe(reason);
    expect(skipReasonLabel("draft_timeout")).toBe("other");
    expect(skipReasonLabel("")).toBe("other");
    expect(skipReasonLabel(null)).toBe("other");
  });

  it("counts towards the spend caps only the reasons given after the AI saw the post", () => {
    expect(AI_SPENT_SKIP_REASONS).toEqual(SKIP_REASONS.filter((reason) => reason === "gatekeeper" || reason.startsWith("draft_")));
  });
});
