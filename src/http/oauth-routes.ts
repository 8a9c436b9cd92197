/**
 * Where X sends the browser back after "Authorize app" (`GET PUBLIC_URL/oauth/x/callback?state=…&code=…`, or
 * `?state=…&error=access_denied`): finishes the connect and answers a small HTML page. The query holds a one-time
 * code, so neither the URL nor the query is ever logged.
 */
import type { FastifySchema } from "fastify";
import { X_OAUTH2_CALLBACK_PATH } from "../config/x-oauth2.js";
import type { Logger } from "../logger.js";
import { escapeHtml } from "../text/html.js";
import type { OAuth2Connect } from "../workflow/oauth2-connect.js";
import type { HttpServer, RouteResult } from "./server.js";

const CALLBACK_SCHEMA: FastifySchema = {
  querystring: {
    type: "object",
    properties: {
      state: { type: "string", minLength: 1, maxLength: 500 },
      code: { type: "string", minLength: 1, maxLength: 2000 },
      error: { type: "string", maxLength: 200 },
      error_description: { type: "string", maxLength: 2000 },
    },
    required: ["state"],
  },
};

function page(status: number, title: string, text: string): RouteResult {
  const body =
    `<!doctype html><html><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title></head>` +
    `<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>`;
  return { status, body, contentType: "text/html; charset=utf-8", headers: { "referrer-policy": "no-referrer" } };
}

/** Registers the OAuth 2.0 callback of `/accounts connect`. */
export function registerOAuthRoutes(http: HttpServer, connect: Pick<OAuth2Connect, "complete">, logger: Logger): void {
  http.route(
    "GET",
    X_OAUTH2_CALLBACK_PATH,
    async (request, context) => {
      if (context.invalidField !== undefined) return page(400, "Link not valid", "This link is incomplete. Ask the bot for a new one.");
      const query = request.query as { state: string; code?: string; error?: string };
      try {
        const outcome = await connect.complete({ state: query.state, code: query.code, error: query.error });
        if (!outcome.ok) return page(outcome.status, "Not connected", outcome.message);
        const done = outcome.reconnected ? "reconnected" : "connected";
        return page(200, "Connected", `@${outcome.username} is ${done} as ${outcome.label}. You can close this tab.`);
      } catch (error) {
        logger.error({ err: error }, "X account connect failed");
        return page(500, "Not connected", "Something went wrong on the bot's side; ask the bot for a new link.");
      }
    },
    CALLBACK_SCHEMA,
  );
}
