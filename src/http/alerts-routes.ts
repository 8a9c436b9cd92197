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
import type { AlertAdmin } from "../alerts/admin.js";
import type { AlertRecord } from "../alerts/records.js";
import { defaultRule, validateChannelList, validateRule, type ValidationFailure } from "../alerts/rules.js";
import { ALERT_LEVELS, isAlertLevel, type AlertLevel } from "../alerts/types.js";
import type { FastifySchema } from "fastify";
import { hasBearerToken } from "./bearer.js";
import { HttpError, type HttpServer, type RouteContext, type RouteHandler, type RouteResult } from "./server.js";

/** Where the API lives. */
export const ALERT_API_PREFIX = "/api/v1/fallback";

const LEVEL_ERROR = `level must be one of ${ALERT_LEVELS.join(", ")}`;
const ID_ERROR = "id must be a positive whole number";

/** Params and body shapes checked by Fastify before the handler; the semantic checks (known channels) stay in rules.ts. */
const REPROCESS_SCHEMA: FastifySchema = {
  params: { type: "object", properties: { id: { type: "string", pattern: "^\\d{1,9}$" } }, required: ["id"] },
};
const LEVEL_SCHEMA: FastifySchema = {
  params: { type: "object", properties: { level: { type: "string", enum: [...ALERT_LEVELS] } }, required: ["level"] },
};
const CHANNELS_SCHEMA: FastifySchema = { body: { type: "object" } };

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
  if (!isAlertLevel(level)) throw new HttpError(400, { error: LEVEL_ERROR, field: "level" });
  return level;
}

/** The 400 for a field the route's schema refused, worded as before the schemas existed. */
function refuse(field: string, example = '{"channels":["telegram"]}'): never {
  if (field === "id") throw new HttpError(400, { error: ID_ERROR, field });
  if (field === "level") throw new HttpError(400, { error: LEVEL_ERROR, field });
  throw new HttpError(400, { error: `body must be a JSON object like ${example}`, field: "body" });
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
      if (context.invalidField !== undefined) refuse(context.invalidField);
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
      const body = context.body;
      if (body !== undefined && !isObject(body)) refuse("body", '{"channels":["webhook"]}');
      let channels;
      if (body !== undefined) {
        const unknown = Object.keys(body).find((key) => key !== "channels");
        if (unknown !== undefined) throw new HttpError(400, { error: `${unknown} is not a field (channels)`, field: unknown });
        if (body.channels !== undefined) {
          const checked = validateChannelList(body.channels, "channels", admin.configuredChannels, false);
          if (!checked.ok) badRequest(checked);
          channels = checked.value;
        }
      }
      const result = await admin.reprocess(Number(context.params.id), channels);
      if (!result.ok) return { status: result.status, body: { error: result.error } };
      return { status: result.alert.status === "delivered" ? 200 : 202, body: { alert: alertJson(result.alert) } };
    }),
    REPROCESS_SCHEMA,
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
      const checked = validateRule(context.body, admin.configuredChannels);
      if (!checked.ok) badRequest(checked);
      await admin.setRule(level, checked.value);
      return { status: 200, body: { level, rule: checked.value, custom: true } };
    }),
    LEVEL_SCHEMA,
  );

  http.route(
    "DELETE",
    `${ALERT_API_PREFIX}/rules/:level`,
    guarded(async (context) => {
      const level = levelParam(context);
      const removed = await admin.resetRule(level);
      return { status: 200, body: { level, rule: defaultRule(admin.configuredChannels), custom: false, removed } };
    }),
    LEVEL_SCHEMA,
  );

  http.route(
    "POST",
    `${ALERT_API_PREFIX}/global-channels`,
    guarded(async (context) => {
      const body = context.body;
      if (!isObject(body)) refuse("body");
      const unknown = Object.keys(body).find((key) => key !== "channels");
      if (unknown !== undefined) throw new HttpError(400, { error: `${unknown} is not a field (channels)`, field: unknown });
      if (body.channels === undefined) throw new HttpError(400, { error: "channels is required", field: "channels" });
      const checked = validateChannelList(body.channels, "channels", admin.configuredChannels, false);
      if (!checked.ok) badRequest(checked);
      await admin.setEnabledChannels(checked.value);
      return { status: 200, body: { channels: checked.value } };
    }),
    CHANNELS_SCHEMA,
  );
}
