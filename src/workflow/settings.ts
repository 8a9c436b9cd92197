/**
 * Runtime settings: the environment gives the defaults, admins override them with /settings, and
 * every change is audited. Callers read {@link SettingsStore.current} whenever they need a value,
 * so a change applies without a restart.
 */
import { desc, eq, sql } from "drizzle-orm";
import type { RuntimeSettingsDefaults } from "../config.js";
import type { Database } from "../db/database.js";
import { settings, settingsAudit } from "../db/schema.js";
import { CachedRead } from "../kit/cached-read.js";
import { parseQuietHours } from "./schedule.js";

/** The settings in force: the environment's defaults overlaid with the admins' changes. */
export type RuntimeSettings = RuntimeSettingsDefaults;

/** The outcome of parsing an admin's text: a value, or one short line saying what is valid. */
export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/** How one setting is described, parsed from an admin's text, read back from the database and shown. */
export interface SettingDefinition<F extends keyof RuntimeSettings> {
  /** The field of {@link RuntimeSettings} it sets. */
  readonly field: F;
  readonly description: string;
  /** Parses an admin's text; the error names the valid form. */
  parse(raw: string): ParseResult<RuntimeSettings[F]>;
  /** The stored JSON value, or undefined when it is not a valid value (hand-edited row, older format). */
  decode(json: unknown): RuntimeSettings[F] | undefined;
  /** The value as an admin would type it. */
  format(value: RuntimeSettings[F]): string;
}

/** A definition of any setting. */
export type AnySettingDefinition = { [F in keyof RuntimeSettings]: SettingDefinition<F> }[keyof RuntimeSettings];

const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value });
const fail = (error: string): ParseResult<never> => ({ ok: false, error });

type NumericField = {
  [F in keyof RuntimeSettings]: RuntimeSettings[F] extends number ? F : never;
}[keyof RuntimeSettings];

function wholeNumberSetting<F extends NumericField>(
  key: string,
  field: F,
  unit: string,
  min: number,
  max: number,
  description: string,
): SettingDefinition<F> {
  const error = `${key} must be a whole number of ${unit} from ${min} to ${max}`;
  const inRange = (value: number) => Number.isSafeInteger(value) && value >= min && value <= max;
  return {
    field,
    description,
    parse(raw) {
      const text = raw.trim();
      const value = Number(text);
      return /^\d+$/.test(text) && inRange(value) ? ok(value) : fail(error);
    },
    decode: (json) => (typeof json === "number" && inRange(json) ? json : undefined),
    format: (value) => String(value),
  };
}

const PERSONA_MIN = 10;
const PERSONA_MAX = 2000;

const personaSetting: SettingDefinition<"persona"> = {
  field: "persona",
  description: "How the AI writes replies (system prompt)",
  parse(raw) {
    const text = raw.trim();
    return text.length >= PERSONA_MIN && text.length <= PERSONA_MAX
      ? ok(text)
      : fail(`persona must be ${PERSONA_MIN}–${PERSONA_MAX} characters of text`);
  },
  decode: (json) => (typeof json === "string" && json.length >= PERSONA_MIN && json.length <= PERSONA_MAX ? json : undefined),
  format: (value) => value,
};

const QUIET_HOURS_ERROR = "quiet_hours must be HH:MM-HH:MM (24 h, start ≠ end) or off";

function parseQuietHoursSetting(raw: string): ParseResult<string> {
  const text = raw.trim().toLowerCase();
  if (text === "off" || text === "none") return ok("");
  // Accept "7:00-22:30" and spaces around the dash; store the canonical zero-padded form.
  const match = /^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/.exec(text);
  if (!match) return fail(QUIET_HOURS_ERROR);
  const [, h1, m1, h2, m2] = match;
  const spec = `${h1!.padStart(2, "0")}:${m1}-${h2!.padStart(2, "0")}:${m2}`;
  try {
    return parseQuietHours(spec) === undefined ? fail(QUIET_HOURS_ERROR) : ok(spec);
  } catch {
    return fail(QUIET_HOURS_ERROR);
  }
}

const quietHoursSetting: SettingDefinition<"quietHours"> = {
  field: "quietHours",
  description: "No publishing in this local time window (HH:MM-HH:MM or off)",
  parse: parseQuietHoursSetting,
  decode: (json) => (typeof json === "string" && (json === "" || parseQuietHoursSetting(json).ok) ? json : undefined),
  format: (value) => (value === "" ? "off" : value),
};

const GAP_MAX = 3600;
const GAP_ERROR = `gap must be seconds N or a range N-M (min ≤ max ≤ ${GAP_MAX})`;

function parseGap(raw: string): ParseResult<RuntimeSettings["gapSeconds"]> {
  const match = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(raw.trim());
  if (!match) return fail(GAP_ERROR);
  const min = Number(match[1]);
  const max = match[2] === undefined ? min : Number(match[2]);
  return min <= max && max <= GAP_MAX ? ok({ min, max }) : fail(GAP_ERROR);
}

const gapSetting: SettingDefinition<"gapSeconds"> = {
  field: "gapSeconds",
  description: "Pause between two posts of one account, in seconds (N or N-M)",
  parse: parseGap,
  decode(json) {
    if (typeof json !== "object" || json === null) return undefined;
    const { min, max } = json as { min?: unknown; max?: unknown };
    if (typeof min !== "number" || typeof max !== "number") return undefined;
    const parsed = parseGap(`${min}-${max}`);
    return parsed.ok ? parsed.value : undefined;
  },
  format: ({ min, max }) => (min === max ? String(min) : `${min}-${max}`),
};

const gatekeeperSetting: SettingDefinition<"gatekeeperEnabled"> = {
  field: "gatekeeperEnabled",
  description: "Let the AI skip posts not worth a reply",
  parse(raw) {
    const text = raw.trim().toLowerCase();
    if (text === "on" || text === "true") return ok(true);
    if (text === "off" || text === "false") return ok(false);
    return fail("gatekeeper must be on or off");
  },
  decode: (json) => (typeof json === "boolean" ? json : undefined),
  format: (value) => (value ? "on" : "off"),
};

const gatekeeperMinScoreSetting: SettingDefinition<"gatekeeperMinScore"> = {
  field: "gatekeeperMinScore",
  description: "Lowest gatekeeper score (0–1) that still gets a draft",
  parse(raw) {
    const text = raw.trim();
    const value = Number(text);
    return /^(\d+(\.\d*)?|\.\d+)$/.test(text) && value >= 0 && value <= 1
      ? ok(value)
      : fail("gatekeeper_min_score must be a number from 0 to 1, e.g. 0.5");
  },
  decode: (json) => (typeof json === "number" && json >= 0 && json <= 1 ? json : undefined),
  format: (value) => String(value),
};

/** Every setting an admin can change, keyed by the name /settings uses, in display order. */
export const SETTING_DEFINITIONS = {
  persona: personaSetting,
  min_delay: wholeNumberSetting("min_delay", "minDelayMinutes", "minutes", 0, 1440, "Shortest wait from approval to publishing"),
  max_delay: wholeNumberSetting("max_delay", "maxDelayMinutes", "minutes", 0, 1440, "Longest wait from approval to publishing"),
  jitter: wholeNumberSetting("jitter", "jitterSeconds", "seconds", 0, 3600, "Random extra seconds added to each publish time"),
  quiet_hours: quietHoursSetting,
  gap: gapSetting,
  max_per_hour: wholeNumberSetting("max_per_hour", "maxPostsPerHour", "posts", 1, 1000, "Most replies published per hour"),
  max_per_day: wholeNumberSetting("max_per_day", "maxPostsPerDay", "posts", 1, 10_000, "Most replies published per local day"),
  gatekeeper: gatekeeperSetting,
  gatekeeper_min_score: gatekeeperMinScoreSetting,
} as const satisfies Record<string, AnySettingDefinition>;

/** The name of a setting as admins type it. */
export type SettingKey = keyof typeof SETTING_DEFINITIONS;

/** Every setting name, in display order. */
export const SETTING_KEYS = Object.keys(SETTING_DEFINITIONS) as SettingKey[];

/** True when `key` names a setting. */
export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTING_DEFINITIONS, key);
}

/** The definition of a setting (widened, so callers can pass values of its field generically). */
export function settingDefinition(key: SettingKey): AnySettingDefinition {
  return SETTING_DEFINITIONS[key];
}

/** A setting's current value as an admin would type it. */
export function formatSetting(key: SettingKey, values: RuntimeSettings): string {
  return formatField(settingDefinition(key), values);
}

function formatField<F extends keyof RuntimeSettings>(definition: SettingDefinition<F>, values: RuntimeSettings): string {
  return definition.format(values[definition.field]);
}

/** Renders a stored JSON value with its setting's format, falling back to JSON for anything unexpected. */
function formatStored(key: string, json: unknown): string {
  if (isSettingKey(key)) {
    const definition: SettingDefinition<keyof RuntimeSettings> = settingDefinition(key);
    const value = definition.decode(json);
    if (value !== undefined) return definition.format(value);
  }
  return JSON.stringify(json);
}

type MutableSettings = { -readonly [F in keyof RuntimeSettings]: RuntimeSettings[F] };

function withValue<F extends keyof RuntimeSettings>(
  values: RuntimeSettings,
  field: F,
  value: RuntimeSettings[F],
): RuntimeSettings {
  const next: MutableSettings = { ...values };
  next[field] = value;
  return next;
}

/** Defaults overlaid with the stored rows; rows of unknown keys or with invalid values are ignored. */
function overlay(defaults: RuntimeSettings, rows: readonly { key: string; value: unknown }[]): RuntimeSettings {
  let values = defaults;
  for (const row of rows) {
    if (!isSettingKey(row.key)) continue;
    const definition: SettingDefinition<keyof RuntimeSettings> = settingDefinition(row.key);
    const value = definition.decode(row.value);
    if (value !== undefined) values = withValue(values, definition.field, value);
  }
  return values;
}

/** The settings that must hold together, checked on every change; the error names both values. */
function crossFieldError(values: RuntimeSettings): string | undefined {
  if (values.minDelayMinutes > values.maxDelayMinutes) {
    return `min_delay (${values.minDelayMinutes}) must not exceed max_delay (${values.maxDelayMinutes})`;
  }
  return undefined;
}

/** One audited change, with its values as an admin would type them. */
export interface SettingChange {
  readonly id: number;
  readonly key: string;
  /** The value in force before the change (the default when it had not been changed). */
  readonly oldValue: string | undefined;
  readonly newValue: string;
  readonly changedBy: number;
  readonly changedAt: Date;
}

/** The outcome of {@link SettingsStore.set} and {@link SettingsStore.reset}: the settings now in force, or why nothing changed. */
export type SettingUpdateResult =
  | { readonly ok: true; readonly value: RuntimeSettings }
  | { readonly ok: false; readonly error: string };

/** Serialises changes across replicas (key of a transaction-scoped advisory lock). */
const SETTINGS_LOCK_KEY = 0x5e77_1265;

/**
 * Reads and changes the runtime settings; one instance per process (it caches what it read; a change another
 * replica makes reaches it through {@link SettingsStore.invalidate}).
 */
export class SettingsStore {
  private readonly cache = new CachedRead(() => this.load());

  constructor(
    private readonly db: Database,
    private readonly defaults: RuntimeSettingsDefaults,
    /** `onChange`: called after a change committed (other replicas must drop their cache). */
    private readonly hooks: { readonly onChange?: () => void } = {},
  ) {}

  /** Forgets what was read: another replica changed the settings, the next {@link current} reads them again. */
  invalidate(): void {
    this.cache.drop();
  }

  /** The settings in force; read from the database once, then from memory (a change made here refreshes it). */
  current(): Promise<RuntimeSettings> {
    return this.cache.get();
  }

  /** The environment's value of every setting. */
  defaultValues(): RuntimeSettings {
    return this.defaults;
  }

  /** Sets `key` from an admin's text; nothing is written when the key, the value or the combination is invalid. */
  async set(key: string, raw: string, changedBy: number): Promise<SettingUpdateResult> {
    if (!isSettingKey(key)) return unknownKey(key);
    const definition: SettingDefinition<keyof RuntimeSettings> = settingDefinition(key);
    const parsed = definition.parse(raw);
    if (!parsed.ok) return parsed;
    return this.change(key, definition, parsed.value, changedBy, false);
  }

  /** Puts `key` back to the environment's default (audited like any change). */
  async reset(key: string, changedBy: number): Promise<SettingUpdateResult> {
    if (!isSettingKey(key)) return unknownKey(key);
    const definition: SettingDefinition<keyof RuntimeSettings> = settingDefinition(key);
    return this.change(key, definition, this.defaults[definition.field], changedBy, true);
  }

  /** The latest changes, newest first. */
  async history(limit = 10): Promise<SettingChange[]> {
    const rows = await this.db.select().from(settingsAudit).orderBy(desc(settingsAudit.id)).limit(limit);
    return rows.map((row) => ({
      id: row.id,
      key: row.key,
      oldValue: row.oldValue === null ? undefined : formatStored(row.key, row.oldValue),
      newValue: formatStored(row.key, row.newValue),
      changedBy: row.changedBy,
      changedAt: row.changedAt,
    }));
  }

  private async load(): Promise<RuntimeSettings> {
    const rows = await this.db.select({ key: settings.key, value: settings.value }).from(settings);
    return overlay(this.defaults, rows);
  }

  private async change(
    key: SettingKey,
    definition: SettingDefinition<keyof RuntimeSettings>,
    value: RuntimeSettings[keyof RuntimeSettings],
    changedBy: number,
    backToDefault: boolean,
  ): Promise<SettingUpdateResult> {
    const result = await this.db.transaction(async (tx) => {
      // The cross-field check reads the other values inside the lock, so two admins changing
      // min_delay and max_delay at once (even on two replicas) cannot end up with min > max.
      await tx.execute(sql`select pg_advisory_xact_lock(${SETTINGS_LOCK_KEY})`);
      const rows = await tx.select({ key: settings.key, value: settings.value }).from(settings);
      const before = overlay(this.defaults, rows);
      const after = withValue(before, definition.field, value);
      const error = crossFieldError(after);
      if (error !== undefined) return { ok: false as const, error };

      if (backToDefault) {
        // Deleting the row (rather than storing the default) lets a later change of the environment apply.
        await tx.delete(settings).where(eq(settings.key, key));
      } else {
        await tx
          .insert(settings)
          .values({ key, value, updatedBy: changedBy })
          .onConflictDoUpdate({ target: settings.key, set: { value, updatedBy: changedBy, updatedAt: sql`now()` } });
      }
      await tx.insert(settingsAudit).values({ key, oldValue: before[definition.field], newValue: value, changedBy });
      return { ok: true as const, value: after };
    });
    if (result.ok) {
      this.cache.set(result.value);
      this.hooks.onChange?.();
    }
    return result;
  }
}

function unknownKey(key: string): SettingUpdateResult {
  return { ok: false, error: `Unknown setting "${key}". Keys: ${SETTING_KEYS.join(", ")}` };
}
