import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SetupState } from "../../src/setup/setup-state.js";
import { xStep } from "../../src/setup/x-step.js";
import { startFakeX, type FakeX } from "../support/fake-x/index.js";
import { scriptedPrompter, type ScriptedAnswer } from "../support/scripted-prompter.js";

const credentials = (accessToken: string): ScriptedAnswer[] => [
  { asks: "X_APP_KEY", answer: "app-key" },
  { asks: "X_APP_SECRET", answer: "app-secret" },
  { asks: "X_ACCESS_TOKEN", answer: accessToken },
  { asks: "X_ACCESS_SECRET", answer: "access-secret" },
];

describe("setup: the X account", () => {
  let x: FakeX;
  beforeAll(async () => {
    x = await startFakeX();
    x.addUser({ username: "replyguy", name: "Reply Guy", accessToken: "good-access-token" });
  });
  afterAll(() => x.close());

  it("says X refused wrong credentials, asks again, and shows the handle of the right ones", async () => {
    const state = new SetupState({ X_API_ROOT: x.baseUrl });
    const prompter = scriptedPrompter([
      { asks: "X account", answer: "set" },
      ...credentials("revoked-access-token"),
      { asks: "What now?", answer: "again" },
      ...credentials("good-access-token"),
    ]);
    await xStep(prompter, state);
    expect(prompter.transcript).toContain(
      '✖ X refused these credentials (401): check the four values under "Keys and tokens" of your app in the X developer portal (the access token needs Read and Write).',
    );
    expect(prompter.transcript).toContain("✔ X account: @replyguy (Reply Guy).");
    expect(state.get("X_ACCESS_TOKEN")).toBe("good-access-token");
    expect(prompter.transcript.join("\n")).not.toMatch(/revoked-access-token|good-access-token|app-secret/);
  });

  it("keeps each current credential on Enter and checks them; leaves X out when the operator gives up", async () => {
    const current = { X_API_ROOT: x.baseUrl, X_APP_KEY: "k", X_APP_SECRET: "s", X_ACCESS_TOKEN: "good-access-token", X_ACCESS_SECRET: "t" };
    const kept = new SetupState(current);
    await xStep(
      scriptedPrompter([{ asks: "X account", answer: "set" }, ...["X_APP_KEY", "X_APP_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_SECRET"].map((v) => ({ asks: `${v}: `, answer: "" }))]),
      kept,
    );
    expect(Object.fromEntries(kept.updates)).toEqual(current);

    const abandoned = new SetupState(current);
    await xStep(
      scriptedPrompter([
        { asks: "X account", answer: "set" },
        ...credentials("unknown-token"),
        { asks: "What now?", answer: "skip" },
      ]),
      abandoned,
    );
    expect(abandoned.get("X_APP_KEY")).toBeUndefined();
    expect(abandoned.updates.has("X_ACCESS_SECRET")).toBe(true);
  });
});
