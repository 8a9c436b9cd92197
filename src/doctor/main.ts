// `npm run doctor`: checks every dependency of the bot as the config describes it, one line each, and exits 1 when
// any is broken. Run it before `npm start`, as a container's pre-start step, or beside a running bot.
import { existsSync } from "node:fs";
import { ConfigError, loadConfig, secretsOf, type Config } from "../config.js";
import { readEnvironment } from "../env-file.js";
import { createLogger } from "../logger.js";
import { fail, ok } from "./check.js";
import { createDoctor } from "./checks.js";
import { formatLine, formatSummary } from "./printer.js";
import { exitCodeOf, runChecks } from "./runner.js";

/** Per-check time limit unless `--timeout-ms` says otherwise. */
const DEFAULT_TIMEOUT_MS = 10_000;

function timeoutFromArgs(args: readonly string[]): number {
  const index = args.findIndex((arg) => arg === "--timeout-ms" || arg.startsWith("--timeout-ms="));
  if (index === -1) return DEFAULT_TIMEOUT_MS;
  const arg = args[index]!;
  const value = Number(arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : args[index + 1]);
  if (!Number.isInteger(value) || value < 100 || value > 120_000) {
    console.error("doctor: --timeout-ms must be a whole number of milliseconds from 100 to 120000");
    process.exit(2);
  }
  return value;
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function main(): Promise<void> {
  // As the bot: whatever the doctor creates in DATA_DIR (the lock file) is the owner's only.
  process.umask(0o077);
  const timeoutMs = timeoutFromArgs(process.argv.slice(2));
  const envFile = process.env.ENV_FILE ?? ".env";
  let config: Config;
  try {
    config = loadConfig(readEnvironment(process.env));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    print(formatLine(fail("Configuration", error.problems.join("; "), "see .env.example for every variable and its default"), []));
    process.exit(1);
  }
  const secrets = secretsOf(config);
  const configured = ok("Configuration", `valid (${existsSync(envFile) ? `${envFile} and ` : ""}the environment)`);
  print(formatLine(configured, secrets));
  const doctor = createDoctor(config, { timeoutMs, secrets, logger: createLogger({ level: "silent", secrets }) });
  const lines = await runChecks(doctor.checks, { timeoutMs, print: (line) => print(formatLine(line, secrets)) });
  await doctor.close();
  print(formatSummary([configured, ...lines]));
  // Exit at once, once the output is out (a pipe may be asynchronous): a dependency that never answered may still
  // hold a socket open.
  await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
  process.exit(exitCodeOf(lines));
}

await main();
