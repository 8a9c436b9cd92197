/** Prefix of every callback payload; bump it when the format changes so old buttons are recognised as stale. */
export const CALLBACK_VERSION = "v1";

/** Every button the bot draws, and what it carries. */
export type CallbackAction =
  | { readonly kind: "approve" | "reject" | "edit" | "regenerate"; readonly replyId: number; readonly version: number }
  | { readonly kind: "queue"; readonly page: number }
  | { readonly kind: "dlq_retry" | "dlq_discard"; readonly entryId: number }
  | { readonly kind: "health_refresh" }
  | { readonly kind: "breaker_reset"; readonly name: string };

/** Breaker names are short words like `x:main` or `ai:gpt-4o-mini`. */
const BREAKER_NAME = /^[\w.:-]{1,48}$/;

/** The dead-letter buttons: `v1:dr:<id>` retry now, `v1:dd:<id>` discard. */
const DLQ_CODES = { dlq_retry: "dr", dlq_discard: "dd" } as const satisfies Record<"dlq_retry" | "dlq_discard", string>;
const DLQ_KINDS: Record<string, "dlq_retry" | "dlq_discard" | undefined> = { dr: "dlq_retry", dd: "dlq_discard" };

const REVIEW_CODES = { approve: "a", reject: "r", edit: "e", regenerate: "g" } as const satisfies Record<
  "approve" | "reject" | "edit" | "regenerate",
  string
>;
const REVIEW_KINDS = Object.fromEntries(Object.entries(REVIEW_CODES).map(([kind, code]) => [code, kind])) as Record<
  string,
  "approve" | "reject" | "edit" | "regenerate" | undefined
>;

/** Telegram's limit on callback_data, in bytes. */
export const CALLBACK_DATA_MAX_BYTES = 64;

function serialise(action: CallbackAction): string {
  switch (action.kind) {
    case "queue":
      return `${CALLBACK_VERSION}:q:${action.page}`;
    case "dlq_retry":
    case "dlq_discard":
      return `${CALLBACK_VERSION}:${DLQ_CODES[action.kind]}:${action.entryId}`;
    case "health_refresh":
      return `${CALLBACK_VERSION}:hr`;
    case "breaker_reset":
      if (!BREAKER_NAME.test(action.name)) throw new Error(`not a breaker name: ${action.name}`);
      return `${CALLBACK_VERSION}:br:${action.name}`;
    default:
      return `${CALLBACK_VERSION}:${REVIEW_CODES[action.kind]}:${action.replyId}:${action.version}`;
  }
}

/**
 * Serialises a button action, e.g. `v1:a:42:3` (approve reply 42 as drawn at version 3), `v1:dr:7`
 * (retry dead letter 7), `v1:hr` (refresh /health), `v1:br:x:main` (reset that breaker).
 */
export function encodeCallback(action: CallbackAction): string {
  const data = serialise(action);
  if (Buffer.byteLength(data) > CALLBACK_DATA_MAX_BYTES) throw new Error(`callback data too long: ${data}`);
  return data;
}

const NUMBER = /^\d{1,10}$/;

/** Parses button data; undefined for anything malformed, foreign or from an older format. */
export function decodeCallback(data: string): CallbackAction | undefined {
  if (data === `${CALLBACK_VERSION}:hr`) return { kind: "health_refresh" };
  const breakerPrefix = `${CALLBACK_VERSION}:br:`;
  if (data.startsWith(breakerPrefix)) {
    const name = data.slice(breakerPrefix.length);
    return BREAKER_NAME.test(name) ? { kind: "breaker_reset", name } : undefined;
  }
  const [version, code, first, second, ...rest] = data.split(":");
  if (version !== CALLBACK_VERSION || code === undefined || first === undefined || !NUMBER.test(first)) return undefined;
  if (code === "q") {
    return second === undefined ? { kind: "queue", page: Number(first) } : undefined;
  }
  const dlq = DLQ_KINDS[code];
  if (dlq) return second === undefined ? { kind: dlq, entryId: Number(first) } : undefined;
  const kind = REVIEW_KINDS[code];
  if (!kind || second === undefined || !NUMBER.test(second) || rest.length > 0) return undefined;
  return { kind, replyId: Number(first), version: Number(second) };
}
