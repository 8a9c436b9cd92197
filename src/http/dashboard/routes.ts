/**
 * The health dashboard, behind `DASHBOARD_TOKEN`:
 *
 * - `GET /dashboard` — the page (200) with the bearer token or a session cookie; 401 and a pointer to the form otherwise.
 * - `GET /dashboard/login` — the form; `POST /dashboard/login` with `token=<DASHBOARD_TOKEN>` (form or JSON) sets the
 *   session cookie and sends the browser to the page (303), or shows the form again with 401.
 * - `POST /dashboard/logout` — clears the cookie (303 to the form).
 *
 * Without a token nothing is registered: every path answers 404, like the alert admin API without its token.
 */
import type { FastifyRequest } from "fastify";
import { sameSecret } from "../bearer.js";
import type { HttpServer, RouteResult } from "../server.js";
import { HTML_TYPE, PAGE_HEADERS } from "./layout.js";
import { renderLoginPage, renderSignInNeeded } from "./login-page.js";
import { renderDashboardPage } from "./page.js";
import { clearedSessionCookie, isSignedIn, sessionCookie } from "./session.js";
import { readDashboard, type DashboardSources } from "./snapshot.js";

/** Where the dashboard lives. */
const DASHBOARD_PATH = "/dashboard";

const LOGIN_PATH = `${DASHBOARD_PATH}/login`;

function page(status: number, html: string, headers: Readonly<Record<string, string>> = {}): RouteResult {
  return { status, body: html, contentType: HTML_TYPE, headers: { ...PAGE_HEADERS, ...headers } };
}

function redirect(location: string, cookie: string): RouteResult {
  return { status: 303, body: "", contentType: "text/plain; charset=utf-8", headers: { location, "set-cookie": cookie } };
}

/** The `token` field of a login form (urlencoded or JSON); empty when there is none. */
function submittedToken(body: unknown): string {
  if (typeof body !== "object" || body === null || !("token" in body)) return "";
  return typeof body.token === "string" ? body.token.trim() : "";
}

/** Registers the dashboard's routes; nothing at all when `token` (DASHBOARD_TOKEN) is unset. */
export function registerDashboardRoutes(http: HttpServer, token: string | undefined, sources: DashboardSources): void {
  if (!token) return;
  const now = sources.now ?? (() => new Date());
  const signedIn = (request: FastifyRequest) => isSignedIn(request, token, now().getTime());

  http.route("GET", DASHBOARD_PATH, async (request) => {
    if (!signedIn(request)) return page(401, renderSignInNeeded(), { "www-authenticate": 'Bearer realm="dashboard"' });
    return page(200, renderDashboardPage(await readDashboard(sources)));
  });

  http.route("GET", LOGIN_PATH, () => Promise.resolve(page(200, renderLoginPage())));

  http.route("POST", LOGIN_PATH, (request, context) =>
    Promise.resolve(
      sameSecret(submittedToken(context.body), token)
        ? redirect(DASHBOARD_PATH, sessionCookie(request, token, now().getTime()))
        : page(401, renderLoginPage("That is not the dashboard token.")),
    ),
  );

  http.route("POST", `${DASHBOARD_PATH}/logout`, (request) => Promise.resolve(redirect(LOGIN_PATH, clearedSessionCookie(request))));
}
