// The emulator's fixed bot identity and the polling options that suit it.
import type { RunOptions } from "@grammyjs/runner";
import type { Update, UserFromGetMe } from "grammy/types";

/** The only bot token the emulator accepts. */
export const TOKEN = "123456:ABC-test";

/** The fixed bot identity of the emulator, usable as grammY `botInfo` (no getMe call). */
export const BOT_INFO: UserFromGetMe = {
  id: 123456,
  is_bot: true,
  first_name: "Reply Guy Test",
  username: "reply_guy_test_bot",
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
  can_manage_bots: false,
  supports_join_request_queries: false,
};

/**
 * Runner options for `run(bot, EMULATOR_RUNNER_OPTIONS)` against the emulator.
 *
 * The emulator implements real long polling, so the runner keeps one `getUpdates` open
 * (`fetch.timeout` 10 s) and gets each update as soon as it is queued: measured latency
 * sendText → bot handler ≈ 1–5 ms, with no CPU spinning (an idle bot makes one request per
 * 10 s). `handle.stop()` aborts the open poll immediately, so shutdown is instant.
 * `retryInterval: 50` (constant) lets a bot recover ~50 ms after `setDown(false)` instead of
 * the default exponential backoff (which can reach seconds); `silent` keeps the runner from
 * logging every failed getUpdates while the emulator is down.
 *
 * (The alternative `fetch: { timeout: 0 }` + `source: { maxDelayMilliseconds: 50,
 * speedTrafficBalance: 0.2 }` also works — the emulator answers timeout-0 polls at once — but
 * polls ~20×/s and adds up to 50 ms latency.)
 */
export const EMULATOR_RUNNER_OPTIONS = {
  runner: { fetch: { timeout: 10 }, retryInterval: 50, silent: true },
} satisfies RunOptions<Update>;

/** Polling options for grammY's built-in `bot.start(...)` against the emulator (long polling, 10 s). */
export const EMULATOR_POLLING_OPTIONS = { timeout: 10 } as const;
