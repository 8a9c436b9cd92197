import type { BreakerView } from "../resilience/registry.js";
import type { RecoveryFindings } from "../workflow/recovery.js";
import { escapeHtml } from "../text/html.js";

/** Everything boot recovery found and did, for the one report in the admin chat. */
export interface RecoveryReport {
  readonly findings: RecoveryFindings;
  readonly releasedClaims: number;
  readonly cardsSynced: number;
  readonly breakers: readonly BreakerView[];
  /** Dead letters by status. */
  readonly deadLetters: Readonly<Record<string, number>>;
}

/** The recovery report as HTML: what was found, what was done, the DLQ summary. */
export function formatRecoveryReport(report: RecoveryReport): string {
  const { findings } = report;
  const found = [
    [findings.interruptedPublishes, "interrupted publish(es): released, X is checked before any new attempt"],
    [findings.cardsNeverSent, "card(s) never sent"],
    [findings.cardsOutdated, "card(s) showing an old state"],
    [findings.overdueApproved, "approved repl(ies) overdue: published in order, paced per account"],
    [findings.conversationsWaiting, "edit(s) waiting for an admin's text: they resume"],
  ] as const;
  const lines = found.filter(([n]) => n > 0).map(([n, what]) => `• ${n} ${what}`);
  if (report.cardsSynced > 0) lines.push(`• ${report.cardsSynced} card(s) sent or redrawn`);
  const open = report.breakers.filter((b) => b.state !== "closed");
  if (open.length > 0) {
    lines.push(`• breakers restored open: ${open.map((b) => escapeHtml(`${b.name} (${b.state})`)).join(", ")}`);
  }
  const dlq = Object.entries(report.deadLetters).filter(([, n]) => n > 0);
  const dlqLine = dlq.length > 0 ? dlq.map(([status, n]) => `${escapeHtml(status)} ${n}`).join(", ") : "empty";
  return [
    "♻️ <b>Recovery report</b>",
    lines.length > 0 ? lines.join("\n") : "Nothing was left half-done.",
    `Dead-letter queue: ${dlqLine}`,
  ].join("\n");
}
