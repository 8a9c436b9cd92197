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

const MASK = "[REDACTED]";

/**
 * The userinfo of a URL (`scheme://user:password@host`). Anchored on `://` rather than the scheme so a long run of
 * letters cannot make the match quadratic; stops at whitespace and quotes, so a URL inside a JSON log line or a
 * sentence is matched on its own.
 */
const URL_USERINFO = /:\/\/([^\s/?#@:"'<>\\]*)(?::([^\s/?#@"'<>\\]*))?@/g;

/** Masks the password of every `scheme://user:password@` in the text, or the whole userinfo when it has no password (a token). */
export function redactUrlUserinfo(text: string): string {
  return text.replace(URL_USERINFO, (_match, user: string, password: string | undefined) =>
    password === undefined ? `://${MASK}@` : `://${user}:${MASK}@`,
  );
}

/** Replaces every occurrence of a secret in a string, and any URL userinfo, with a fixed mask. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length > 0) result = result.split(secret).join(MASK);
  }
  return redactUrlUserinfo(result);
}

/**
 * Creates the one root logger of the process. Known credential fields are masked by path, and
 * every serialized line is scrubbed of the configured secret values and of URL passwords (a token
 * inside an error message or URL would otherwise slip through path-based redaction).
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
