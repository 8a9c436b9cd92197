import { describe, expect, it } from "vitest";
import { cleanReplyText } from "../../src/text/clean-reply-text.js";

describe("cleanReplyText", () => {
  it("trims and leaves ordinary text alone", () => {
    expect(cleanReplyText("  Great point!  \n")).toBe("Great point!");
    expect(cleanReplyText("Nice to see @bob here.")).toBe("Nice to see @bob here.");
    expect(cleanReplyText("")).toBe("");
  });

  it.each([
    ['"Great point!"', "Great point!"],
    ["'Great point!'", "Great point!"],
    ["“Great point!”", "Great point!"],
    ["„Toller Punkt!“", "Toller Punkt!"],
    ["‘Great point!’", "Great point!"],
    ["«Très bien !»", "Très bien !"],
    ["「いいですね」", "いいですね"],
    ["`Great point!`", "Great point!"],
    ["```\nGreat point!\n```", "Great point!"],
    ["```text\nGreat point!\n```", "Great point!"],
    ["'I can't agree more'", "I can't agree more"],
  ])("strips wrapping quotes: %s", (raw, clean) => {
    expect(cleanReplyText(raw)).toBe(clean);
  });

  it("keeps quotes that do not wrap the whole reply", () => {
    expect(cleanReplyText('"Ship it" is the motto, "test it" the rule')).toBe('"Ship it" is the motto, "test it" the rule');
    expect(cleanReplyText('He said "hi"')).toBe('He said "hi"');
    expect(cleanReplyText("'tis true, 'twas said")).toBe("'tis true, 'twas said");
  });

  it("strips Reply:/Draft: labels, also combined with quotes", () => {
    expect(cleanReplyText("Reply: Great point!")).toBe("Great point!");
    expect(cleanReplyText("draft:Great point!")).toBe("Great point!");
    expect(cleanReplyText("**Reply:** Great point!")).toBe("Great point!");
    expect(cleanReplyText('Reply: "Great point!"')).toBe("Great point!");
    expect(cleanReplyText('"Reply: Great point!"')).toBe("Great point!");
    expect(cleanReplyText("Reply-guys are everywhere")).toBe("Reply-guys are everywhere");
  });

  it("removes leading @mentions only", () => {
    expect(cleanReplyText("@alice Great point!")).toBe("Great point!");
    expect(cleanReplyText("@alice @bob_2, great point, @carol agrees")).toBe("great point, @carol agrees");
    expect(cleanReplyText("＠alice すごい")).toBe("すごい");
    expect(cleanReplyText('"@alice Great point!"')).toBe("Great point!");
    expect(cleanReplyText("Reply: @alice Great")).toBe("Great");
    expect(cleanReplyText("@alice's point stands")).toBe("@alice's point stands");
    expect(cleanReplyText("@alice")).toBe("");
  });

  it("collapses 3+ newlines into one blank line and normalises CRLF", () => {
    expect(cleanReplyText("One.\n\n\n\nTwo.")).toBe("One.\n\nTwo.");
    expect(cleanReplyText("One.\r\n\r\n\r\nTwo.\r\nThree.")).toBe("One.\n\nTwo.\nThree.");
    expect(cleanReplyText("One.  \n   \n  \nTwo.")).toBe("One.\n\nTwo.");
    expect(cleanReplyText("One.\n\nTwo.")).toBe("One.\n\nTwo.");
  });
});
