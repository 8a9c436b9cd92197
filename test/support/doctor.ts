import { loadConfig, type Config } from "../../src/config.js";
import type { DoctorCheck } from "../../src/doctor/check.js";
import { formatLine } from "../../src/doctor/printer.js";
import { runChecks } from "../../src/doctor/runner.js";

/** Short enough to keep a dead peer's test fast, long enough for a loaded machine's loopback. */
export const DOCTOR_TEST_TIMEOUT_MS = 3_000;

/** A config from exactly `env` (no .env file), as the doctor reads it. */
export function doctorConfig(env: Record<string, string>): Config {
  return loadConfig({ ...env });
}

/** Runs one check as `npm run doctor` does and returns its printed lines. */
export async function printedLines(check: DoctorCheck, secrets: readonly string[] = [], timeoutMs = DOCTOR_TEST_TIMEOUT_MS): Promise<string[]> {
  const lines = await runChecks([check], { timeoutMs, print: () => undefined });
  return lines.map((line) => formatLine(line, secrets));
}

/** The single printed line of a check that prints one. */
export async function printedLine(check: DoctorCheck, secrets: readonly string[] = [], timeoutMs = DOCTOR_TEST_TIMEOUT_MS): Promise<string> {
  const lines = await printedLines(check, secrets, timeoutMs);
  if (lines.length !== 1) throw new Error(`expected one line, got:\n${lines.join("\n")}`);
  return lines[0]!;
}
