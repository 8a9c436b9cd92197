import { loadConfig, type Config } from "../../src/config.js";
import { startApp, type App, type AppOverrides } from "../../src/app.js";
import { createPgliteTestDatabase, type TestDatabase } from "./database.js";
import type { Logger } from "../../src/logger.js";
import { silentLogger } from "./logger.js";
import {
  EMULATOR_RUNNER_OPTIONS,
  type EmulatorChat,
  type EmulatorUser,
  type TelegramEmulator,
} from "./telegram-emulator/index.js";

/** The admin user of every test. */
export const ADMIN: EmulatorUser = { id: 1001, first_name: "Ada", username: "ada_admin" };
/** A second admin, for races between two admins. */
export const SECOND_ADMIN: EmulatorUser = { id: 1002, first_name: "Bob", username: "bob_admin" };
/** Someone who is not an admin. */
export const STRANGER: EmulatorUser = { id: 6666, first_name: "Eve", username: "eve" };
/** The admin group where cards and alerts go. */
export const ADMIN_CHAT: EmulatorChat = { id: -1_009, type: "group", title: "Reply Guy admins" };

/** Environment for a bot that talks to the emulator, on a free HTTP port. */
export function testEnvironment(tg: TelegramEmulator, extra: Record<string, string> = {}): Record<string, string> {
  return {
    TELEGRAM_BOT_TOKEN: tg.token,
    TELEGRAM_API_ROOT: tg.apiRoot,
    ADMIN_CHAT_ID: String(ADMIN_CHAT.id),
    ADMIN_USER_IDS: `${ADMIN.id},${SECOND_ADMIN.id}`,
    HTTP_PORT: "0",
    LOG_LEVEL: "silent",
    // The boot verification of the X accounts calls X in the background: off unless a test is about it.
    SESSION_RECOVERY_ENABLED: "false",
    // The default quiet hours (00:00-07:00) would hold every publish back when the suite runs at night.
    QUIET_HOURS: "",
    ...extra,
  };
}

/** A running in-process app wired to the emulator and a fresh test database. */
export interface TestApp {
  readonly app: App;
  readonly config: Config;
  readonly database: TestDatabase;
  /** `http://127.0.0.1:PORT` of the app's HTTP server. */
  readonly httpUrl: string;
  stop(): Promise<void>;
}

/** Starts the app in-process; pass `database` to reuse one across a simulated restart. */
export async function startTestApp(
  tg: TelegramEmulator,
  options: { env?: Record<string, string>; database?: TestDatabase; overrides?: AppOverrides; logger?: Logger } = {},
): Promise<TestApp> {
  const config = loadConfig(testEnvironment(tg, options.env));
  const database = options.database ?? (await createPgliteTestDatabase());
  const app = await startApp(
    config,
    options.logger ?? silentLogger(),
    (error) => {
      throw error;
    },
    { database: database.handle, botInfo: tg.botInfo, runnerOptions: EMULATOR_RUNNER_OPTIONS, ...options.overrides },
  );
  let stopped = false;
  return {
    app,
    config,
    database,
    httpUrl: `http://127.0.0.1:${app.httpAddress.port}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await app.stop();
      if (!options.database) await database.dispose();
    },
  };
}
