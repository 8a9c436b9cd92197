import { describe, expect, it } from "vitest";
import { parsePostRef } from "../../src/text/post-ref.js";

const ID = "1800000000000000001";

describe("a post id from /trace's argument", () => {
  it.each([
    ID,
    ` ${ID} `,
    `https://x.com/alice/status/${ID}`,
    `https://x.com/alice/status/${ID}?s=20&t=abc`,
    `https://x.com/alice/status/${ID}/photo/1`,
    `https://x.com/alice/status/${ID}#top`,
    `http://www.x.com/alice/status/${ID}/`,
    `x.com/alice/status/${ID}`,
    `https://twitter.com/alice/status/${ID}`,
    `https://mobile.twitter.com/alice/statuses/${ID}?lang=en`,
    `https://X.COM/alice/status/${ID}`,
    `https://x.com/i/web/status/${ID}`,
  ])("reads %s", (argument) => {
    expect(parsePostRef(argument)).toBe(ID);
  });

  it.each([
    "",
    "abc",
    "-1",
    "1".repeat(21),
    `https://example.com/alice/status/${ID}`,
    `https://x.com.evil.example/alice/status/${ID}`,
    `https://x.com/alice/${ID}`,
    `https://x.com/status/${ID}`,
    "https://x.com/alice/status/abc",
    `https://x.com/alice/status/${ID}abc`,
    "https://x.com/alice",
    "not a url at all",
  ])("refuses %j", (argument) => {
    expect(parsePostRef(argument)).toBeUndefined();
  });
});
