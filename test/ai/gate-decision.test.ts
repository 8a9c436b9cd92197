import { describe, expect, it } from "vitest";
import { AiError } from "../../src/ai/errors.js";
import { parseGateDecision } from "../../src/ai/gate-decision.js";

describe("parseGateDecision", () => {
  it.each([
    ['{"score":0.4,"reason":"ok"}', { score: 0.4, reason: "ok" }],
    ['```json\n{"score": 0.9, "reason": " fits "}\n```', { score: 0.9, reason: "fits" }],
    ['```\n{"score": 2}\n```', { score: 1, reason: "" }],
    ['Here you go: {"score": "0.25", "reason": "meh"} hope it helps', { score: 0.25, reason: "meh" }],
    ['{"score": -1, "reason": 5}', { score: 0, reason: "" }],
  ])("parses %s", (text, expected) => {
    expect(parseGateDecision(text)).toEqual(expected);
  });

  it.each(["", "yes", "[0.5]", '{"reason":"no score"}', '{"score":"NaN"}', '{"score": null}', "{not json}"])(
    "rejects %j as bad_response",
    (text) => {
      expect(() => parseGateDecision(text, "m")).toThrow(AiError);
      try {
        parseGateDecision(text, "m");
      } catch (error) {
        expect(error).toMatchObject({ kind: "bad_response", model: "m" });
      }
    },
  );
});
