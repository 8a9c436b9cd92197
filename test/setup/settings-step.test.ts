import { describe, expect, it } from "vitest";
import { redactingPrompter } from "../../src/setup/redacting-prompter.js";
import { settingsStep } from "../../src/setup/settings-step.js";
import { SetupState } from "../../src/setup/setup-state.js";
import { scriptedPrompter } from "../support/scripted-prompter.js";

describe("setup: the common settings", () => {
  it("offers the bot's defaults on a first run, and takes \"none\" as no quiet hours", async () => {
    const state = new SetupState({});
    const prompter = scriptedPrompter([
      { asks: "REPLY_POLICY", answer: "any" },
      { asks: "QUIET_HOURS", answer: "none" },
      { asks: "BOT_TIMEZONE", answer: "" },
      { asks: "MAX_POSTS_PER_HOUR", answer: "" },
      { asks: "MAX_POSTS_PER_DAY", answer: "" },
    ]);
    await settingsStep(prompter, state);
    expect(Object.fromEntries(state.updates)).toEqual({
      REPLY_POLICY: "any",
      QUIET_HOURS: "",
      BOT_TIMEZONE: "UTC",
      MAX_POSTS_PER_HOUR: "15",
      MAX_POSTS_PER_DAY: "50",
    });
  });

  it("keeps an explicit \"no quiet hours\" on a re-run instead of bringing the default window back", async () => {
    const state = new SetupState({ QUIET_HOURS: "", BOT_TIMEZONE: "Asia/Tokyo" });
    await settingsStep(
      scriptedPrompter([
        { asks: "REPLY_POLICY", answer: "summoned" },
        { asks: "QUIET_HOURS", answer: "" },
        { asks: "BOT_TIMEZONE", answer: "" },
        { asks: "MAX_POSTS_PER_HOUR", answer: "" },
        { asks: "MAX_POSTS_PER_DAY", answer: "" },
      ]),
      state,
    );
    expect([state.raw("QUIET_HOURS"), state.get("BOT_TIMEZONE")]).toEqual(["", "Asia/Tokyo"]);
  });

  it("refuses what the bot's schema refuses", async () => {
    const run = (asks: string, answer: string) =>
      settingsStep(
        scriptedPrompter([
          { asks: "REPLY_POLICY", answer: "summoned" },
          ...(asks === "QUIET_HOURS" ? [] : [{ asks: "QUIET_HOURS", answer: "" }]),
          { asks, answer },
        ]),
        new SetupState({}),
      );
    await expect(run("QUIET_HOURS", "25:00-07:00")).rejects.toThrow(/QUIET_HOURS must be HH:MM-HH:MM/);
    await expect(run("BOT_TIMEZONE", "Mars/Olympus")).rejects.toThrow(/BOT_TIMEZONE must be an IANA time zone/);
  });
});

describe("setup: what the wizard prints", () => {
  it("scrubs every known secret from printed lines and questions", async () => {
    const inner = scriptedPrompter([{ asks: "Retry with [REDACTED]?", answer: true }]);
    const prompter = redactingPrompter(inner, () => ["123456:SECRET-token"]);
    prompter.say("getMe failed for https://api.telegram.org/bot123456:SECRET-token/getMe");
    expect(await prompter.confirm("Retry with 123456:SECRET-token?", false)).toBe(true);
    expect(inner.transcript.join("\n")).not.toContain("SECRET");
  });
});
