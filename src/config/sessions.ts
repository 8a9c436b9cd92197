import { z } from "zod";
import { boolean, emptyToUndefined, integer } from "./fields.js";
import { group, setting } from "./group.js";

/** Bytes of an ENCRYPTION_KEY (AES-256). */
const KEY_BYTES = 32;

/** A base64 AES-256 key that may be unset; kept as written (the secret box decodes it). */
const encryptionKey = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .trim()
    .refine(
      (value) => /^[A-Za-z0-9+/_-]+={0,2}$/.test(value) && Buffer.from(value, "base64").length === KEY_BYTES,
      `must be ${KEY_BYTES} bytes in base64 (make one with: openssl rand -base64 32)`,
    )
    .optional(),
);

/**
 * The X account sessions: their encryption at rest, their recovery at boot, their health checks and their
 * preservation at shutdown.
 */
export const sessionsConfig = group(
  {
    sessions: {
      /** Seals stored account credentials; unset on PGlite = a key generated once into DATA_DIR. */
      encryptionKey: setting("ENCRYPTION_KEY", encryptionKey),
      /** The key before a rotation: secrets it sealed are read and sealed again with ENCRYPTION_KEY at boot. */
      previousEncryptionKey: setting("ENCRYPTION_KEY_PREVIOUS", encryptionKey),
      recovery: {
        enabled: setting("SESSION_RECOVERY_ENABLED", boolean(true)),
        startupDelayMs: setting("SESSION_RECOVERY_STARTUP_DELAY", integer(5_000, 0, 600_000)),
        timeoutMs: setting("SESSION_RECOVERY_TIMEOUT", integer(30_000, 100, 600_000)),
        maxRetries: setting("SESSION_RECOVERY_MAX_RETRIES", integer(3, 0, 20)),
        retryDelayMs: setting("SESSION_RECOVERY_RETRY_DELAY", integer(5_000, 0, 600_000)),
      },
      preserveOnShutdown: setting("SESSION_PRESERVE_ON_SHUTDOWN", boolean(true)),
      health: {
        /** How often the health monitor checks each account (users/me) and rechecks the failed ones. */
        intervalSeconds: setting("ACCOUNT_HEALTH_INTERVAL_SECONDS", integer(60, 5, 3_600)),
        /** How long an account's X breaker may stay open before the account is failed out of the pool. */
        failAfterSeconds: setting("ACCOUNT_FAIL_AFTER_SECONDS", integer(600, 10, 86_400)),
      },
    },
  },
  {
    check(env, ctx) {
      if (env.ENCRYPTION_KEY_PREVIOUS !== undefined && env.ENCRYPTION_KEY === undefined) {
        ctx.addIssue({ code: "custom", path: ["ENCRYPTION_KEY"], message: "is required with ENCRYPTION_KEY_PREVIOUS (the key it rotates to)" });
      }
    },
  },
);
