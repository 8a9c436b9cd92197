/**
 * `POST <path of WEBHOOK_URL>`: where Telegram posts updates in webhook mode. Every request must carry the secret in
 * `X-Telegram-Bot-Api-Secret-Token` (checked before the body is read: 401 otherwise), and its body must be an update
 * (400 otherwise); then the update is handed over and the answer tells Telegram whether to deliver it again.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { HttpServer, RouteResult } from "./server.js";

const SECRET_HEADER = "x-telegram-bot-api-secret-token";

/** An update as far as this route checks it. */
export interface WebhookUpdate {
  readonly update_id: number;
}

/** Takes a validated update; resolves true when it was taken (200), false when Telegram should retry (503). */
export type WebhookReceiver = (update: WebhookUpdate) => Promise<boolean>;

// Hashing first gives both sides one length, so the comparison takes the same time whatever was sent.
const digest = (value: string) => createHash("sha256").update(value).digest();

/** Whether `sent` is the secret, compared in constant time. */
export function isWebhookSecret(sent: string | string[] | undefined, secret: string): boolean {
  return typeof sent === "string" && timingSafeEqual(digest(sent), digest(secret));
}

/** An object with a whole, non-negative `update_id` and at least one object field (the update's payload). */
export function isWebhookUpdate(body: unknown): body is WebhookUpdate {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return false;
  const { update_id: id, ...rest } = body as Record<string, unknown>;
  return (
    typeof id === "number" &&
    Number.isSafeInteger(id) &&
    id >= 0 &&
    Object.values(rest).some((value) => typeof value === "object" && value !== null && !Array.isArray(value))
  );
}

const UNAUTHORIZED: RouteResult = { status: 401, body: { error: "missing or wrong secret token" }, headers: { connection: "close" } };

/** Registers the webhook route at `path`. */
export function registerWebhookRoutes(http: HttpServer, deps: { path: string; secret: string; receive: WebhookReceiver }): void {
  http.route(
    "POST",
    deps.path,
    async (_request, context) => {
      if (!isWebhookUpdate(context.body)) return { status: 400, body: { error: "body is not a Telegram update", field: "body" } };
      const taken = await deps.receive(context.body);
      return taken ? { status: 200, body: { ok: true } } : { status: 503, body: { error: "update not handled; deliver it again" } };
    },
    undefined,
    (request) => (isWebhookSecret(request.headers[SECRET_HEADER], deps.secret) ? undefined : UNAUTHORIZED),
  );
}
