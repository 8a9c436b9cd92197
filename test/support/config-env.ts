import { ConfigError, loadConfig } from "../../src/config.js";

/** The two variables without a default: enough for a valid config. */
export const MINIMAL_ENV = { TELEGRAM_BOT_TOKEN: "123456:ABC-def_ghi", ADMIN_CHAT_ID: "4242" } as const;

/** The four OAuth 1.0a credentials of the main X account. */
export const X_CREDENTIALS_ENV = {
  X_APP_KEY: "app-key",
  X_APP_SECRET: "app-secret",
  X_ACCESS_TOKEN: "access-token",
  X_ACCESS_SECRET: "access-secret",
} as const;

/** The problems `loadConfig` names for an environment it must refuse; throws if it accepts it. */
export function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error("expected the config to be rejected");
}
