import { redactSecrets } from "../logger.js";
import type { CheckLine, CheckStatus } from "./check.js";

const MARKS: Record<CheckStatus, string> = { ok: "✓", warn: "!", fail: "✗", skip: "-" };

/**
 * One line of output: mark, name, detail and, for a failure or warning, what to do — with every configured secret
 * and any URL password masked, so a token inside an error message never reaches the terminal or a CI log.
 */
export function formatLine(line: CheckLine, secrets: readonly string[]): string {
  const text = `${MARKS[line.status]} ${line.name}: ${line.detail}${line.fix === undefined ? "" : ` — ${line.fix}`}`;
  return redactSecrets(text.replace(/\s*\n\s*/g, " "), secrets);
}

/** The closing line: how many checks passed, warned and failed. */
export function formatSummary(lines: readonly CheckLine[]): string {
  const count = (status: CheckStatus) => lines.filter((line) => line.status === status).length;
  const failed = count("fail");
  const warnings = count("warn");
  const verdict = failed > 0 ? "not ready" : warnings > 0 ? "ready, with warnings" : "ready";
  return `${verdict}: ${count("ok")} ok, ${warnings} warning${warnings === 1 ? "" : "s"}, ${failed} failed, ${count("skip")} not configured`;
}
