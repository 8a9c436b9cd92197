import { Composer } from "grammy";
import { formatLocalTime } from "../../text/time.js";
import {
  formatSetting,
  isSettingKey,
  SETTING_DEFINITIONS,
  SETTING_KEYS,
  type RuntimeSettings,
  type SettingChange,
  type SettingsStore,
} from "../../workflow/settings.js";
import type { BotContext } from "../context.js";
import { escapeHtml } from "../../text/html.js";
import { actorOf } from "../filters/actor.js";
import type { FeatureServices } from "./services.js";
import { clip } from "../../text/clip.js";

/** The command this feature adds to the menu and /help. */
export const SETTINGS_COMMANDS = [
  { command: "settings", description: "Show or change runtime settings (set, reset, history)" },
] as const satisfies readonly { command: string; description: string }[];

const KEYS = SETTING_KEYS.join(", ");
const USAGE = `Usage: /settings [set <key> <value> | reset <key> | history] — keys: ${KEYS}`;
const SET_USAGE = `Usage: /settings set <key> <value> — keys: ${KEYS}`;
const RESET_USAGE = `Usage: /settings reset <key> — keys: ${KEYS}`;
const HISTORY_USAGE = "Usage: /settings history";

/** Changes shown under the overview, and by /settings history. */
const OVERVIEW_CHANGES = 3;
const HISTORY_CHANGES = 10;
/** Long values (the persona) are cut in change lines so ten changes fit in one message. */
const CHANGE_VALUE_MAX = 80;

/** One audited change as an HTML line. */
function formatChange(change: SettingChange, timeZone: string, now: Date): string {
  const from = change.oldValue === undefined ? "" : `${escapeHtml(clip(change.oldValue, CHANGE_VALUE_MAX))} → `;
  const to = escapeHtml(clip(change.newValue, CHANGE_VALUE_MAX));
  const when = escapeHtml(formatLocalTime(change.changedAt, timeZone, now));
  return `• ${when}: <b>${escapeHtml(change.key)}</b> ${from}${to} (by ${change.changedBy})`;
}

/** The /settings overview: every setting with its value, a default marker and its description, then the latest changes. */
export async function renderSettingsOverview(store: SettingsStore, timeZone: string, now = new Date()): Promise<string> {
  const [values, changes] = await Promise.all([store.current(), store.history(OVERVIEW_CHANGES)]);
  const defaults = store.defaultValues();
  const lines = ["<b>Settings</b>", ""];
  for (const key of SETTING_KEYS) {
    const value = formatSetting(key, values);
    const marker = value === formatSetting(key, defaults) ? " <i>(default)</i>" : "";
    lines.push(`<b>${escapeHtml(key)}</b> = <code>${escapeHtml(value)}</code>${marker}`);
    lines.push(`    ${escapeHtml(SETTING_DEFINITIONS[key].description)}`);
  }
  lines.push("", "<b>Latest changes</b>");
  if (changes.length === 0) lines.push("none yet");
  for (const change of changes) lines.push(formatChange(change, timeZone, now));
  lines.push("", escapeHtml("Change with /settings set <key> <value>, undo with /settings reset <key>."));
  return lines.join("\n");
}

/** Splits "word rest…" at the first run of whitespace; the rest keeps its inner line breaks (a persona may have several). */
function splitFirst(text: string): [string, string] {
  const match = /^(\S+)\s*([\s\S]*)$/.exec(text.trim());
  return match ? [match[1] ?? "", match[2] ?? ""] : ["", ""];
}

/** /settings: view, change, reset and audit the runtime settings, which apply without a restart. */
export function createSettingsFeature(services: Pick<FeatureServices, "settings">): Composer<BotContext> {
  const store = services.settings;
  const feature = new Composer<BotContext>();

  feature.command("settings", async (ctx) => {
    const [action, rest] = splitFirst(ctx.match);
    // The audit needs an id: an anonymous admin is recorded as the admin chat the guard admitted them as.
    const changedBy = actorOf(ctx) ?? ctx.senderChat?.id;

    if (action === "") {
      await ctx.reply(await renderSettingsOverview(store, ctx.config.timeZone), { parse_mode: "HTML" });
      return;
    }
    if (action === "history") {
      if (rest !== "") {
        await ctx.reply(HISTORY_USAGE);
        return;
      }
      const changes = await store.history(HISTORY_CHANGES);
      const now = new Date();
      const lines = changes.map((change) => formatChange(change, ctx.config.timeZone, now));
      await ctx.reply(lines.length === 0 ? "No changes yet." : ["<b>Latest changes</b>", ...lines].join("\n"), {
        parse_mode: "HTML",
      });
      return;
    }
    if (action === "set") {
      const [rawKey, value] = splitFirst(rest);
      const key = rawKey.toLowerCase();
      if (key === "" || value === "" || changedBy === undefined) {
        await ctx.reply(SET_USAGE);
        return;
      }
      const result = await store.set(key, value, changedBy);
      await ctx.reply(result.ok ? confirmation(key, result.value) : `❌ ${result.error}`);
      return;
    }
    if (action === "reset") {
      const [rawKey, extra] = splitFirst(rest);
      const key = rawKey.toLowerCase();
      if (key === "" || extra !== "" || changedBy === undefined) {
        await ctx.reply(RESET_USAGE);
        return;
      }
      const result = await store.reset(key, changedBy);
      await ctx.reply(result.ok ? confirmation(key, result.value) : `❌ ${result.error}`);
      return;
    }
    await ctx.reply(USAGE);
  });

  return feature;
}

/** "✅ key = value" as plain text (no parse mode, so the value needs no escaping). */
function confirmation(key: string, values: RuntimeSettings): string {
  return isSettingKey(key) ? `✅ ${key} = ${formatSetting(key, values)}` : `✅ ${key}`;
}
