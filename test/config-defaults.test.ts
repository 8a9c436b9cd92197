import { readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { describe, expect, it } from "vitest";
import { CONFIG_VARIABLES, loadConfig } from "../src/config.js";

const minimal = { TELEGRAM_BOT_TOKEN: "123456:ABC-def_ghi", ADMIN_CHAT_ID: "4242" };

/** Every default of the schema, written out: changing one (a breaker threshold 5 → 6, say) fails this file. */
const DEFAULTS = {
  telegram: { token: minimal.TELEGRAM_BOT_TOKEN, apiRoot: "https://api.telegram.org", pollTimeoutSeconds: 30, downloadLimitMb: undefined },
  botMode: { mode: "polling" },
  adminChatId: 4242,
  adminUserIds: [4242],
  anonymousAdmins: false,
  database: { url: undefined, dataDir: "./data", leaderTakeoverSeconds: 10 },
  http: { host: "127.0.0.1", port: 8080, metricsToken: undefined, dashboardToken: undefined },
  logLevel: "info",
  gracefulShutdownTimeoutMs: 10_000,
  openai: { apiKey: undefined, baseUrl: "https://api.openai.com/v1", model: "gpt-4o-mini" },
  ai: { fallbackModels: [], maxShortenAttempts: 2, maxTokens: 400 },
  replyGuard: { allowNewLinks: false, allowNewMentions: false },
  x: { apiRoot: "https://api.x.com", accountStrategy: "round_robin", accounts: [] },
  xOAuth2: { client: undefined, clientSecret: undefined, missing: ["X_CLIENT_ID", "PUBLIC_URL"] },
  sessions: {
    encryptionKey: undefined,
    previousEncryptionKey: undefined,
    recovery: { enabled: true, startupDelayMs: 5_000, timeoutMs: 30_000, maxRetries: 3, retryDelayMs: 5_000 },
    preserveOnShutdown: true,
    health: { intervalSeconds: 60, failAfterSeconds: 600 },
  },
  discovery: { cron: "0 */5 * * * *", mentions: true },
  publishCron: "*/10 * * * * *",
  replyPolicy: "summoned",
  draftTtlHours: 24,
  drafting: { maxAttempts: 3, maxPerAuthorPerDay: 3, maxPerDay: 200 },
  publishLeaseSeconds: 120,
  publishConcurrency: 1,
  publishRetryBaseSeconds: 30,
  timeZone: "UTC",
  defaults: {
    persona:
      "You are a friendly, knowledgeable person replying on X. Be helpful and specific, add something of value, keep a light touch.",
    minDelayMinutes: 15,
    maxDelayMinutes: 120,
    jitterSeconds: 300,
    quietHours: "00:00-07:00",
    gapSeconds: { min: 30, max: 90 },
    maxPostsPerHour: 15,
    maxPostsPerDay: 50,
    gatekeeperEnabled: false,
    gatekeeperMinScore: 0.5,
  },
  resilience: {
    xRequestTimeoutMs: 15_000,
    aiRequestTimeoutMs: 20_000,
    maxAttempts: 3,
    baseDelayMs: 1_000,
    maxDelayMs: 10_000,
    breakers: {
      x: { threshold: 5, halfOpenSeconds: 120 },
      ai: { threshold: 3, halfOpenSeconds: 60 },
      db: { threshold: 3, halfOpenSeconds: 30 },
    },
  },
  deadLetters: { cron: "15 * * * * *", baseDelaySeconds: 60, backoffMultiplier: 2, maxRetries: 5 },
  alerts: {
    minLevel: "warning",
    dedupWindowSeconds: 300,
    cron: "*/5 * * * * *",
    webhookUrl: undefined,
    email: undefined,
    adminApiToken: undefined,
    digestCron: "0 0 9 * * *",
  },
};

/** The variables whose empty value means "off" rather than "unset": only leaving them out gives the default. */
const EMPTY_TURNS_OFF = { QUIET_HOURS: ["defaults", "quietHours"], HEALTH_DIGEST_CRON: ["alerts", "digestCron"] } as const;

const example = parseEnv(readFileSync(new URL("../.env.example", import.meta.url), "utf8"));

describe("config defaults", () => {
  it("are exactly the documented values", () => {
    expect(loadConfig(minimal)).toStrictEqual(DEFAULTS);
  });

  it("pin the values the resilience and publishing paths rely on", () => {
    const config = loadConfig(minimal);
    expect(config.resilience.breakers.x.threshold).toBe(5);
    expect(config.resilience.breakers.ai.threshold).toBe(3);
    expect(config.resilience.breakers.db.threshold).toBe(3);
    expect(config.alerts.dedupWindowSeconds).toBe(300);
    expect(config.deadLetters).toMatchObject({ baseDelaySeconds: 60, backoffMultiplier: 2, maxRetries: 5 });
    expect(config.publishLeaseSeconds).toBe(120);
  });

  it("apply to a variable set to an empty value, except where empty means off", () => {
    const variables = CONFIG_VARIABLES.filter((name) => !(name in minimal) && !(name in EMPTY_TURNS_OFF));
    expect(variables.length).toBeGreaterThan(50);
    for (const name of variables) {
      expect(loadConfig({ ...minimal, [name]: "" }), name).toStrictEqual(DEFAULTS);
    }
    const off = loadConfig({ ...minimal, QUIET_HOURS: "", HEALTH_DIGEST_CRON: "" });
    expect([off.defaults.quietHours, off.alerts.digestCron]).toEqual(["", ""]);
  });

  it("are what .env.example shows for every variable it sets", () => {
    expect(Object.keys(example).length).toBeGreaterThan(40);
    expect(loadConfig({ ...example, ...minimal })).toStrictEqual(DEFAULTS);
  });
});

describe("config variables", () => {
  it("are each read by one setting only", () => {
    expect(new Set(CONFIG_VARIABLES).size).toBe(CONFIG_VARIABLES.length);
  });

  it("are all in .env.example, and .env.example sets nothing the config does not read", () => {
    const listed = [...readFileSync(new URL("../.env.example", import.meta.url), "utf8").matchAll(/^(?:# )?([A-Z][A-Z0-9_]*)=/gm)]
      .map((match) => match[1]!)
      .filter((name) => name !== "ENV_FILE");
    expect([...new Set(listed)].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });
});
