import { variableSchema } from "../config.js";
import type { Validation } from "./prompter.js";

/** The variables whose values are never shown: not typed back, not printed, not in an error message. */
export const SECRET_VARIABLES = [
  "TELEGRAM_BOT_TOKEN",
  "X_APP_KEY",
  "X_APP_SECRET",
  "X_ACCESS_TOKEN",
  "X_ACCESS_SECRET",
  "OPENAI_API_KEY",
] as const;

function schemaOf(variable: string) {
  const schema = variableSchema(variable);
  if (schema === undefined) throw new Error(`${variable} is not a configuration variable`);
  return schema;
}

/** Checks one answer with the bot's own schema of `variable`: true, or "VARIABLE <what is wrong>". */
export function checkValue(variable: string, value: string): Validation {
  const result = schemaOf(variable).safeParse(value);
  return result.success ? true : `${variable} ${result.error.issues[0]?.message ?? "is not valid"}`;
}

/** The default of `variable` as the bot's schema gives it when the variable is unset, written as text. */
export function defaultOf(variable: string): string {
  return String(schemaOf(variable).parse(undefined));
}
