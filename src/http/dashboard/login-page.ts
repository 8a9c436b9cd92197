/** The dashboard's sign-in pages: the login form, and what an unsigned request gets instead of the dashboard. */
import { escapeHtml } from "../../text/html.js";
import { htmlDocument } from "./layout.js";

/** The form at GET /dashboard/login; `error` is shown above it after a wrong token. */
export function renderLoginPage(error?: string): string {
  const message = error === undefined ? "" : `<p class="error" role="alert">${escapeHtml(error)}</p>`;
  return htmlDocument(
    "reply-guy-bot · sign in",
    `<div class="login"><h1>reply-guy-bot dashboard</h1>${message}` +
      `<form method="post" action="/dashboard/login"><label for="token">Dashboard token (DASHBOARD_TOKEN)</label>` +
      `<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>` +
      `<button type="submit">Sign in</button></form></div>`,
  );
}

/** The 401 page of GET /dashboard without a token or session. */
export function renderSignInNeeded(): string {
  return htmlDocument(
    "reply-guy-bot · sign in needed",
    `<div class="login"><h1>Sign in needed</h1><p>The dashboard needs <code>Authorization: Bearer &lt;DASHBOARD_TOKEN&gt;</code> ` +
      `or a session from the <a href="/dashboard/login">login form</a>.</p></div>`,
  );
}
