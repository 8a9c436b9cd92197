/** Prefix of every callback payload; bump it when the format changes so old buttons are recognised as stale. */
export const CALLBACK_VERSION = "v1";

/** Telegram's limit on callback_data, in bytes. */
export const CALLBACK_DATA_MAX_BYTES = 64;

/** What a field may hold: a non-negative id that fits a PostgreSQL `integer`, or a breaker-style name like `x:main`. */
export type CallbackFieldKind = "number" | "name";

/** The largest value of a PostgreSQL `integer` column (ids, versions, pages). */
export const MAX_CALLBACK_NUMBER = 2 ** 31 - 1;

/**
 * A regex source matching exactly the decimal numbers 0…max without leading zeros, so an id too big for the
 * column never matches a filter and never reaches SQL: every shorter length, then each digit of max lowered.
 */
export function decimalUpTo(max: number): string {
  const digits = String(max);
  const alternatives = ["0"];
  if (digits.length > 1) alternatives.push(`[1-9]\\d{0,${digits.length - 2}}`);
  for (let index = 0; index < digits.length; index++) {
    const lowest = index === 0 ? 1 : 0;
    const highest = Number(digits[index]) - 1;
    if (highest < lowest) continue;
    alternatives.push(`${digits.slice(0, index)}[${lowest}-${highest}]\\d{${digits.length - index - 1}}`);
  }
  alternatives.push(digits);
  return `(?:${[...new Set(alternatives)].join("|")})`;
}

/** Numbers fit an `integer` column; names are short words that may contain `:` (so a name field must come last). */
const FIELD_PATTERNS = {
  number: decimalUpTo(MAX_CALLBACK_NUMBER),
  name: "[\\w.:-]{1,48}",
} as const satisfies Record<CallbackFieldKind, string>;

/** The values a payload carries, typed from its field kinds. */
export type CallbackValues<F extends Record<string, CallbackFieldKind>> = {
  readonly [K in keyof F]: F[K] extends "number" ? number : string;
};

/** One kind of button: how its payload is built, recognised and read. */
export interface CallbackData<F extends Record<string, CallbackFieldKind>> {
  /** Matches exactly this kind's payloads (for `composer.callbackQuery(data.filter, …)`). */
  readonly filter: RegExp;
  /** Builds the payload; throws if a value does not fit its field or the payload exceeds 64 bytes. */
  pack(values: CallbackValues<F>): string;
  /**
   * Reads a payload that matched {@link filter}; throws for anything else (malformed, foreign or
   * from an older format), which a handler routed by the filter never sees.
   */
  unpack(data: string): CallbackValues<F>;
}

/**
 * Defines the payload `v1:<code>[:<field>…]`, e.g. `createCallbackData("a", { replyId: "number",
 * version: "number" })` packs `v1:a:42:3`. Parsing is strict: the whole payload must match.
 */
export function createCallbackData<const F extends Record<string, CallbackFieldKind>>(code: string, fields: F): CallbackData<F> {
  const entries = Object.entries(fields) as [keyof F & string, CallbackFieldKind][];
  const filter = new RegExp(`^${CALLBACK_VERSION}:${code}${entries.map(([, kind]) => `:(${FIELD_PATTERNS[kind]})`).join("")}$`);
  return {
    filter,
    pack(values) {
      const data = [CALLBACK_VERSION, code, ...entries.map(([name]) => String(values[name]))].join(":");
      if (!filter.test(data)) throw new Error(`callback values do not fit ${code}: ${data}`);
      if (Buffer.byteLength(data) > CALLBACK_DATA_MAX_BYTES) throw new Error(`callback data too long: ${data}`);
      return data;
    },
    unpack(data) {
      const match = filter.exec(data);
      if (!match) throw new Error(`not a ${code} callback: ${data}`);
      const values = entries.map(([name, kind], index) => {
        const raw = match[index + 1] ?? "";
        return [name, kind === "number" ? Number(raw) : raw];
      });
      return Object.fromEntries(values) as CallbackValues<F>;
    },
  };
}
