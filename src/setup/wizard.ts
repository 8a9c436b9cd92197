import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError, loadConfig } from "../config.js";
import { readEnvironment } from "../env-file.js";
import { redactSecrets } from "../logger.js";
import { adminStep } from "./admin-step.js";
import { applyUpdates } from "./env-text.js";
import { modelStep } from "./model-step.js";
import type { Prompter } from "./prompter.js";
import { redactingPrompter } from "./redacting-prompter.js";
import { settingsStep } from "./settings-step.js";
import { SetupState } from "./setup-state.js";
import { telegramStep } from "./telegram-step.js";
import { SECRET_VARIABLES } from "./variables.js";
import { writeEnvFileAtomically } from "./write-env-file.js";
import { xStep } from "./x-step.js";

/** Where the wizard works. */
export interface WizardOptions {
  /** The process environment; its ENV_FILE (default .env) is the file written, as the bot reads it. */
  readonly env: NodeJS.ProcessEnv;
}

/**
 * The start of a new file. Only the answers follow it: a default written into the file would override the image's
 * own (the Dockerfile's DATA_DIR=/data and HTTP_HOST=0.0.0.0 lose to a `--env-file` that repeats .env.example).
 */
const NEW_FILE_HEADER = "# Written by `npm run setup`. Every other variable, with its default, is in .env.example.\n";

/** What the run ended with: the file written and, if the bot would refuse it, the first bad variable. */
export interface WizardResult {
  readonly path: string;
  readonly problem: string | undefined;
}

/**
 * Asks every step in order, writes the env file atomically (mode 0600) and checks it with the bot's own loadConfig,
 * reading it as the bot will (the environment still wins over the file).
 */
export async function runWizard(terminal: Prompter, options: WizardOptions): Promise<WizardResult> {
  const path = resolve(options.env.ENV_FILE ?? ".env");
  const existing = existsSync(path) ? readFileSync(path, "utf8") : undefined;
  const state = new SetupState(readEnvironment(options.env, path));
  const prompter = redactingPrompter(terminal, () => state.secrets(SECRET_VARIABLES));
  prompter.say(`reply-guy-bot setup writes ${path}${existing === undefined ? "" : " (its current values are the defaults)"}.`);
  prompter.say("Enter keeps the value shown; a secret is never shown, its default is \"keep current\".");

  try {
    const bot = await telegramStep(prompter, state);
    await adminStep(prompter, state, bot);
    await xStep(prompter, state);
    await modelStep(prompter, state);
    await settingsStep(prompter, state);
  } catch (error) {
    // A failure's message may quote what it failed with: scrubbed before anyone prints it.
    if (error instanceof Error && error.name !== "ExitPromptError") {
      error.message = redactSecrets(error.message, state.secrets(SECRET_VARIABLES));
    }
    throw error;
  }

  writeEnvFileAtomically(path, applyUpdates(existing ?? NEW_FILE_HEADER, state.updates));
  prompter.say(`✔ Wrote ${path} (mode 0600).`);
  try {
    loadConfig(readEnvironment(options.env, path));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const problem = error.problems[0] ?? error.message;
    prompter.say(`✖ The bot would refuse this configuration: ${problem}`);
    return { path, problem };
  }
  prompter.say("✔ The bot's configuration check passes. Next: npm run doctor, then npm start.");
  return { path, problem: undefined };
}
