/**
 * The admin HTTP API of alert delivery, under `/api/v1/fallback/`, behind
 * `Authorization: Bearer <ADMIN_API_TOKEN>`:
 *
 * - `GET dead-letters` — alerts that could not be delivered.
 * - `POST dead-letters/:id/reprocess` — back in the queue and delivered now; optional body
 *   `{ "channels": ["webhook"] }` forces the channels. 200 delivered, 202 still pending.
 * - `GET retry-queue` — pending alerts in delivery order with their attempts.
 * - `GET statistics` — per channel attempts, successes, failures, success rate, mean latency.
 * - `POST rules/:level` `{ primary, fallbacks?, strategy? }` and `DELETE rules/:level` (default again).
 * - `POST global-channels` `{ channels: [...] }` — the channels alerts may use.
 *
 * Bad or missing token → 401; invalid body → 400 `{ error, field }`; unknown alert → 404.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { AlertAdmin } from "../alerts/admin.js";
import type { AlertRecord } from "../alerts/records.js";
import { defaultRule, validateChannelList, validateRule, type ValidationFailure } from "../alerts/rules.js";
import { ALERT_LEVELS, isAlertLevel, type AlertLevel } from "../alerts/types.js";
import { HttpError, type HttpServer, type RouteContext, type RouteHandler, type RouteResult } from "./server.js";

/** Where the API lives. */
export const ALERT_API_PREFIX = "/api/v1/fallback";

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** True when the request carries `Bearer <token>`; compared in constant time (hashes have equal length). */
export function hasBearerToken(request: IncomingMessage, token: string): boolean {
  const header = request.headers.authorization ?? "";
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  const given = match?.[1]?.trim() ?? "";
  return timingSafeEqual(digest(given), digest(token)) && given.length > 0;
}

function badRequest(failure: ValidationFailure): never {
  throw new HttpError(400, { error: `${failure.field} ${failure.error}`, field: failure.field });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An alert as the API shows it. */
export function alertJson(row: AlertRecord) {
  return {
    id: row.id,
    type: row.type,
    level: row.level,
    key: row.dedupKey,
    message: row.message,
    details: row.details,
    status: row.status,
    occurredAt: row.occurredAt.toISOString(),
    failedAttempts: row.failedAttempts,
    nextAttemptAt: row.status === "pending" ? row.nextAttemptAt.toISOString() : null,
    lastError: row.lastError,
    repeatCount: row.repeatCount,
    deliveredChannel: row.deliveredChannel,
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
    forcedChannels: row.forcedChannels,
  };
}

function levelParam(context: RouteContext): AlertLevel {
  const level = context.params.level;
  if (!isAlertLevel(level)) {
    throw new HttpError(400, { error: `level must be one of ${ALERT_LEVELS.join(", ")}`, field: "level" });
  }
  return level;
}

/** Registers the routes over the alert admin service; nothing at all when no token (ADMIN_API_TOKEN) is given. */
export function registerAlertRoutes(http: HttpServer, admin: AlertAdmin, token: string | undefined): void {
  if (!token) return;
  const guarded =
    (handler: (context: RouteContext) => Promise<RouteResult>): RouteHandler =>
    async (request, context) => {
      if (!hasBearerToken(request, token)) {
        return { status: 401, body: { error: "missing or wrong bearer token" }, headers: { "www-authenticate": "Bearer" } };
      }
      return handler(context);
    };

  http.route(
    "GET",
    `${ALERT_API_PREFIX}/dead-letters`,
    guarded(async () => {
      const rows = await admin.deadLetters();
      return { status: 200, body: { count: rows.length, deadLetters: rows.map(alertJson) } };
    }),
  );

  http.route(
    "POST",
    `${ALERT_API_PREFIX}/dead-letters/:id/reprocess`,
    guarded(async (context) => {
      const raw = context.params.id ?? "";
      if (!/^\d{1,9}$/.test(raw)) throw new HttpError(400, { error: "id must be a positive whole number", field: "id" });
      const body = await context.json();
      let channels;
      if (body !== undefined) {
        if (!isObject(body)) throw new HttpError(400, { error: "body must be a JSON object like {\"channels\":[\"webhook\"]}", field: "body" });
        const unknown = Object.keys(body).find((key) => key !== "channels");
        if (unknown !== undefined) throw new HttpError(400, { error: `${unknown} is not a field (channels)`, field: unknown });
        if (body.channels !== undefined) {
          const checked = validateChannelList(body.channels, "channels", admin.configuredChannels, false);
          if (!checked.ok) badRequest(checked);
          channels = checked.value;
        }
      }
      const result = await admin.reprocess(Number(raw), channels);
      if (!result.ok) return { status: result.status, body: { error: result.error } };
      return { status: result.alert.status === "delivered" ? 200 : 202, body: { alert: alertJson(result.alert) } };
    }),
  );

  http.route(
    "GET",
    `${ALERT_API_PREFIX}/retry-queue`,
    guarded(async () => {
      const rows = await admin.retryQueue();
      return {
        status: 200,
        body: { pending: rows.length, retrying: rows.filter((row) => row.failedAttempts > 0).length, alerts: rows.map(alertJson) },
      };
    }),
  );

  http.route(
    "GET",
    `${ALERT_API_PREFIX}/statistics`,
    guarded(async () => ({ status: 200, body: await admin.statistics() })),
  );

  http.route(
    "POST",
    `${ALERT_API_PREFIX}/rules/:level`,
    guarded(async (context) => {
      const level = levelParam(context);
      const checked = validateRule(await context.json(), admin.configuredChannels);
      if (!checked.ok) badRequest(checked);
      await admin.setRule(level, checked.value);
      return { status: 200, body: { level, rule: checked.value, custom: true } };
    }),
  );

  http.route(
    "DELETE",
    `${ALERT_API_PREFIX}/rules/:level`,
    guarded(async (context) => {
      const level = levelParam(context);
      const removed = await admin.resetRule(level);
      return { status: 200, body: { level, rule: defaultRule(admin.configuredChannels), custom: false, removed } };
    }),
  );

  http.route(
    "POST",
    `${ALERT_API_PREFIX}/global-channels`,
    guarded(async (context) => {
      const body = await context.json();
      if (!isObject(body)) throw new HttpError(400, { error: "body must be a JSON object like {\"channels\":[\"telegram\"]}", field: "body" });
      const unknown = Object.keys(body).find((key) => key !== "channels");
      if (unknown !== undefined) throw new HttpError(400, { error: `${unknown} is not a field (channels)`, field: unknown });
      if (body.channels === undefined) throw new HttpError(400, { error: "channels is required", field: "channels" });
      const checked = validateChannelList(body.channels, "channels", admin.configuredChannels, false);
      if (!checked.ok) badRequest(checked);
      await admin.setEnabledChannels(checked.value);
      return { status: 200, body: { channels: checked.value } };
    }),
  );
}
