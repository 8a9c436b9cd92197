import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { clockSkewCheck } from "../../src/doctor/clock-skew.js";
import { DOCTOR_TEST_TIMEOUT_MS, doctorConfig, printedLine } from "../support/doctor.js";
import { startFakeX, type FakeX } from "../support/fake-x/index.js";
import { startTelegramEmulator, type TelegramEmulator } from "../support/telegram-emulator/index.js";

const WHY = "X refuses OAuth 1.0a signatures from a clock minutes off, and compares post times and rate-limit resets with it";

describe("doctor: clock skew against X's and Telegram's Date headers", () => {
  let tg: TelegramEmulator;
  let x: FakeX;
  const line = () =>
    printedLine(
      clockSkewCheck(
        doctorConfig({ TELEGRAM_BOT_TOKEN: tg.token, TELEGRAM_API_ROOT: tg.apiRoot, ADMIN_CHAT_ID: "4242", X_API_ROOT: x.baseUrl }),
        DOCTOR_TEST_TIMEOUT_MS,
      ),
    );

  beforeAll(async () => {
    [tg, x] = await Promise.all([startTelegramEmulator(), startFakeX()]);
  });
  afterEach(() => {
    tg.reset();
    x.reset();
  });
  afterAll(async () => {
    await Promise.all([tg.close(), x.close()]);
  });

  it("is in step with both when the clocks agree", async () => {
    expect(await line()).toBe("✓ Clock: in step with X, in step with Telegram");
  });

  it("warns over 30 s, saying which way and why it matters", async () => {
    x.setClockOffset(45_000);
    expect(await line()).toBe(`! Clock: 45 s behind X, in step with Telegram: off by more than 30 s — sync this machine's clock (NTP): ${WHY}`);
  });

  it("fails over 5 minutes", async () => {
    tg.setClockOffset(-10 * 60_000);
    expect(await line()).toBe(
      `✗ Clock: in step with X, 600 s ahead of Telegram: off by more than 5 min — sync this machine's clock (NTP, e.g. timedatectl set-ntp true): ${WHY}`,
    );
  });
});
