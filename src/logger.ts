import { pino, type Logger } from "pino";

export type { Logger } from "pino";

/** Paths that may carry credentials in structured log objects. */
const REDACTED_PATHS = [
  "token",
  "*.token",
  "apiKey",
  "*.apiKey",
  "accessToken",
  "*.accessToken",
  "accessSecret",
  "*.accessSecret",
  "appSecret",
  "*.appSecret",
  "authorization",
  "*.authorization",
  "*.headers.authorization",
  "config.telegram.token",
];

/** Replaces every occurrence of a secret in a string with a fixed mask. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length > 0) result = result.split(secret).join("[REDACTED]");
  }
  return result;
}

/**
 * Creates the one root logger of the process. Known credential fields are masked by path, and
 * every serialized line is scrubbed of the configured secret values (a token inside an error
 * message or URL would otherwise slip through path-based redaction).
 */
export function createLogger(options: {
  level: string;
  secrets: readonly string[];
  destination?: NodeJS.WritableStream;
}): Logger {
  const { secrets } = options;
  const sink = options.destination ?? process.stdout;
  const scrubbed = {
    write(line: string): boolean {
      return sink.write(redactSecrets(line, secrets));
    },
  };
  return pino(
    {
      level: options.level,
      redact: { paths: REDACTED_PATHS, censor: "[REDACTED]" },
      base: { service: "reply-guy-bot" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    scrubbed,
  );
}
