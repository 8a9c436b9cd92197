/**
 * The upload category each kind of attachment is sent to X with (issue 8 mutants): X refuses an upload whose
 * `media_category` does not match the file, so these names are X's, not ours.
 */
import { describe, expect, it } from "vitest";
import { validateMedia, X_CATEGORY } from "../../src/workflow/media/validate.js";

describe("X upload categories", () => {
  it.each([
    ["image/png", "tweet_image"],
    ["image/gif", "tweet_gif"],
    ["video/mp4", "tweet_video"],
  ] as const)("a checked %s attachment is uploaded as %s", (mimeType, category) => {
    const checked = validateMedia({ fileId: "f", mimeType, bytes: 1_000, durationSeconds: undefined }, { downloadLimitBytes: 20 * 1024 * 1024 });
    if (!checked.ok) throw new Error(checked.message);
    expect(X_CATEGORY[checked.media.kind]).toBe(category);
  });
});
