/** The dashboard page: a {@link DashboardSnapshot} as one server-rendered HTML document, every text escaped. */
import { redactSecrets } from "../../logger.js";
import { clipFlat } from "../../text/clip.js";
import { escapeAttribute, escapeHtml } from "../../text/html.js";
import { formatLocalClock, formatLocalTime, formatUptime, wallClock } from "../../text/time.js";
import type { AccountLine } from "../../workflow/accounts-view.js";
import { HOURLY_KINDS, type HourlyKind } from "../../workflow/stats-hourly.js";
import { renderBarChart } from "./chart.js";
import { badge, htmlDocument } from "./layout.js";
import type { DashboardSnapshot } from "./snapshot.js";

/** How often the page reloads itself. */
const REFRESH_SECONDS = 15;

/** How much of an alert's message the table shows. */
const ALERT_MESSAGE_CHARS = 160;

const SERIES: Readonly<Record<HourlyKind, { readonly title: string; readonly color: string }>> = {
  discovered: { title: "Discovered", color: "#2e90fa" },
  drafted: { title: "Drafted", color: "#7a5af8" },
  published: { title: "Published", color: "#12b76a" },
  failed: { title: "Failed", color: "#f04438" },
};

const QUEUES = [
  ["awaiting_approval", "awaiting approval"],
  ["approved", "approved (scheduled)"],
  ["publishing", "publishing"],
] as const;

const DEAD_LETTERS = [
  ["pending", "pending"],
  ["retrying", "retrying"],
  ["exhausted", "exhausted"],
  ["retried_successfully", "retried OK"],
  ["discarded", "discarded"],
] as const;

function tile(attribute: string, key: string, value: number, label: string): string {
  return `<div class="tile" ${attribute}="${escapeAttribute(key)}"><b>${value}</b><span>${escapeHtml(label)}</span></div>`;
}

function table(headings: readonly string[], rows: readonly string[], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  const head = headings.map((heading) => (heading.startsWith("#") ? `<th class="num">${escapeHtml(heading.slice(1))}</th>` : `<th>${escapeHtml(heading)}</th>`));
  return `<table><thead><tr>${head.join("")}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function header(snapshot: DashboardSnapshot): string {
  const { health, replica } = snapshot;
  const role = replica ? `replica ${replica.id}, ${replica.role === "leader" ? "leader" : "stand-by"}` : "single replica";
  const meta = [
    `version ${health.version}`,
    `up ${formatUptime(health.uptimeSeconds)}`,
    role,
    `polling ${snapshot.polling ? "yes" : "no"}`,
    `checked ${formatLocalClock(new Date(health.checkedAt), snapshot.timeZone, snapshot.at)}`,
    `refreshes every ${REFRESH_SECONDS} s`,
  ];
  return (
    `<header><h1>reply-guy-bot</h1>${badge(health.status, "overall")}` +
    `<p class="meta">${meta.map(escapeHtml).join(" · ")}</p>` +
    `<form class="inline" method="post" action="/dashboard/logout"><button type="submit">Sign out</button></form></header>`
  );
}

function components(snapshot: DashboardSnapshot): string {
  const rows = Object.entries(snapshot.health.components).map(
    ([name, component]) =>
      `<tr data-component="${escapeAttribute(name)}"><td>${escapeHtml(name)}</td><td>${badge(component.state)}</td>` +
      `<td class="detail">${escapeHtml(component.detail)}</td></tr>`,
  );
  return `<section class="wide" id="components"><h2>Components</h2>${table(["component", "state", "detail"], rows, "No components.")}</section>`;
}

function queues(snapshot: DashboardSnapshot): string {
  const replies = QUEUES.map(([status, label]) => tile("data-queue", status, snapshot.queues[status], label));
  const dlq = DEAD_LETTERS.map(([status, label]) => tile("data-dlq", status, snapshot.deadLetters[status], label));
  return (
    `<section id="queues"><h2>Reply queues</h2><div class="tiles">${replies.join("")}</div></section>` +
    `<section id="dead-letters"><h2>Dead letters (publishes)</h2><div class="tiles">${dlq.join("")}</div></section>`
  );
}

function charts(snapshot: DashboardSnapshot): string {
  const hourLabel = (start: Date) => String(wallClock(start.getTime(), snapshot.timeZone).hour).padStart(2, "0");
  const figures = HOURLY_KINDS.map((kind) =>
    renderBarChart({
      name: kind,
      title: SERIES[kind].title,
      color: SERIES[kind].color,
      bars: snapshot.hours.map((hour, i) => ({
        label: i % 4 === 0 || i === snapshot.hours.length - 1 ? hourLabel(hour.start) : "",
        value: hour.counts[kind],
        tooltip: `${formatLocalTime(hour.start, snapshot.timeZone, snapshot.at)}: ${hour.counts[kind]} ${kind}`,
      })),
    }),
  );
  return (
    `<section class="wide" id="charts"><h2>Last 24 hours, per hour (${escapeHtml(snapshot.timeZone)})</h2>` +
    `<div class="charts">${figures.join("")}</div></section>`
  );
}

function pacing(account: AccountLine, snapshot: DashboardSnapshot): string {
  const parts: string[] = [];
  if (account.rateLimitedUntil) parts.push(`rate limited until ${formatLocalTime(account.rateLimitedUntil, snapshot.timeZone, snapshot.at)}`);
  if (account.liveWindow) {
    const window = account.liveWindow;
    parts.push(`X window ${window.remaining}/${window.limit} left, resets ${formatLocalTime(window.resetAt, snapshot.timeZone, snapshot.at)}`);
  }
  return parts.length > 0 ? parts.join("; ") : "no rate limit seen";
}

function accounts(snapshot: DashboardSnapshot): string {
  const rows = snapshot.accounts.map((account) => {
    const who = account.username ? `${account.label} (@${account.username})` : account.label;
    const reason = account.status === "failed" && account.failureReason ? `<div class="detail">${escapeHtml(account.failureReason)}</div>` : "";
    const verified = account.lastVerifiedAt ? formatLocalTime(account.lastVerifiedAt, snapshot.timeZone, snapshot.at) : "not yet";
    return (
      `<tr data-account="${escapeAttribute(account.label)}"><td>${escapeHtml(who)}</td><td>${badge(account.status)}${reason}</td>` +
      `<td class="num" data-posts-hour="${account.postsLastHour}">${account.postsLastHour} / ${account.maxPerHour}</td>` +
      `<td class="num" data-posts-day="${account.postsLastDay}">${account.postsLastDay} / ${account.maxPerDay}</td>` +
      `<td class="detail">${escapeHtml(pacing(account, snapshot))}</td><td class="detail">${escapeHtml(verified)}</td></tr>`
    );
  });
  const headings = ["account", "status", "#last hour", "#last 24 h", "pacing", "verified"];
  return `<section class="wide" id="accounts"><h2>X accounts</h2>${table(headings, rows, "No X account is configured.")}</section>`;
}

function breakers(snapshot: DashboardSnapshot): string {
  const rows = snapshot.breakers.map((breaker) => {
    const since = breaker.openSince ? formatLocalTime(breaker.openSince, snapshot.timeZone, snapshot.at) : "";
    return (
      `<tr data-breaker="${escapeAttribute(breaker.name)}"><td>${escapeHtml(breaker.name)}</td><td>${escapeHtml(breaker.kind)}</td>` +
      `<td>${badge(breaker.state)}</td><td class="detail">${escapeHtml(since)}</td></tr>`
    );
  });
  return `<section id="breakers"><h2>Breakers</h2>${table(["breaker", "kind", "state", "open since"], rows, "No breaker created yet.")}</section>`;
}

function alerts(snapshot: DashboardSnapshot): string {
  const rows = snapshot.alerts.map((alert) => {
    const message = clipFlat(redactSecrets(alert.message, snapshot.secrets), ALERT_MESSAGE_CHARS);
    return (
      `<tr data-alert="${alert.id}"><td class="detail nowrap">${escapeHtml(formatLocalTime(alert.occurredAt, snapshot.timeZone, snapshot.at))}</td>` +
      `<td>${badge(alert.level)}</td><td>${escapeHtml(alert.type)}</td><td>${escapeHtml(message)}</td><td>${badge(alert.status)}</td></tr>`
    );
  });
  return `<section class="wide" id="alerts"><h2>Latest alerts</h2>${table(["time", "level", "type", "message", "status"], rows, "No alerts yet.")}</section>`;
}

/** The whole dashboard page. */
export function renderDashboardPage(snapshot: DashboardSnapshot): string {
  const body =
    header(snapshot) +
    `<main>${queues(snapshot)}${breakers(snapshot)}${charts(snapshot)}${components(snapshot)}${accounts(snapshot)}${alerts(snapshot)}</main>`;
  return htmlDocument(`reply-guy-bot · ${snapshot.health.status}`, body, REFRESH_SECONDS);
}
