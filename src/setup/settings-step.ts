import type { Prompter } from "./prompter.js";
import type { SetupState } from "./setup-state.js";
import { checkValue, defaultOf } from "./variables.js";

/** What an operator types for "no quiet hours" (the variable itself is then empty). */
const NONE = "none";

/** The settings most operators look at, each with what it means; the rest keep their defaults (.env.example). */
const TEXT_SETTINGS = [
  { variable: "QUIET_HOURS", label: `nothing is published in this window, HH:MM-HH:MM in BOT_TIMEZONE, or "${NONE}"` },
  { variable: "BOT_TIMEZONE", label: "IANA time zone of quiet hours, /stats days and every time shown" },
  { variable: "MAX_POSTS_PER_HOUR", label: "most replies per account per hour" },
  { variable: "MAX_POSTS_PER_DAY", label: "most replies per account per day" },
] as const;

/** The value shown as the default: the current one, else the bot's default. */
function fallbackOf(state: SetupState, variable: string): string {
  if (variable === "QUIET_HOURS" && state.raw(variable)?.trim() === "") return NONE;
  return state.get(variable) ?? defaultOf(variable);
}

/** Offers the common settings (reply policy, quiet hours, time zone, posting limits), each defaulting to its current value. */
export async function settingsStep(prompter: Prompter, state: SetupState): Promise<void> {
  prompter.say("Settings: Enter keeps the value shown (all others: .env.example).");
  const policy = await prompter.choose(
    "REPLY_POLICY",
    [
      { name: "summoned: answer only posts whose author mentioned or quoted the account (X's rule for self-serve apps)", value: "summoned" },
      { name: "any: every post discovery finds (needs an X plan that allows it)", value: "any" },
    ],
    state.get("REPLY_POLICY") ?? defaultOf("REPLY_POLICY"),
  );
  state.set("REPLY_POLICY", policy);
  for (const { variable, label } of TEXT_SETTINGS) {
    const toValue = (answer: string): string => (variable === "QUIET_HOURS" && answer.trim().toLowerCase() === NONE ? "" : answer.trim());
    const answer = await prompter.text(`${variable}: ${label}`, {
      fallback: fallbackOf(state, variable),
      validate: (value) => checkValue(variable, toValue(value)),
    });
    state.set(variable, toValue(answer));
  }
}
