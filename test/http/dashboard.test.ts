/**
 * The health dashboard over Fastify's inject, on a running app's services and a seeded database: absent without
 * DASHBOARD_TOKEN; 401 without the bearer token or a session; the login form's cookie (HttpOnly, SameSite=Strict,
 * Secure behind HTTPS, never the token) opens it and expires; the figures on the page are the database's and the
 * health service's, the charts follow the hours of BOT_TIMEZONE, and every text is escaped with secrets masked.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerDashboardRoutes } from "../../src/http/dashboard/routes.js";
import { SESSION_TTL_MS } from "../../src/http/dashboard/session.js";
import type { DashboardSources } from "../../src/http/dashboard/snapshot.js";
import { HttpServer } from "../../src/http/server.js";
import { createAccountsView } from "../../src/workflow/accounts-view.js";
import { hourlyCounts, localHourStart } from "../../src/workflow/stats-hourly.js";
import { alertingFor, fakeClock } from "../alerts/support.js";
import { startTestApp, type TestApp } from "../support/app-harness.js";
import { seedDashboard, type DashboardSeed } from "../support/dashboard-seed.js";
import { capturingLogger, silentLogger } from "../support/logger.js";
import { startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";

const TOKEN = "dashboard-token-0123456789";
/** Five and a half hours off UTC: its hours start at half past on the UTC clock. */
const ZONE = "Asia/Kolkata";
/** 15:50 in Kolkata. */
const NOW = new Date("2026-07-01T10:20:00Z");
/** 15:00 in Kolkata, the start of NOW's local hour. */
const HOUR_START = new Date("2026-07-01T09:30:00Z");

/** The value of the `data-…="key"` element's `<b>` figure (a tile). */
function tileValue(html: string, attribute: string, key: string): number {
  const match = new RegExp(`${attribute}="${key}"><b>(\\d+)</b>`).exec(html);
  if (!match) throw new Error(`no ${attribute}=${key} tile`);
  return Number(match[1]);
}

/** The bar values of one chart, in order, and its total. */
function chart(html: string, name: string): { total: number; values: number[]; labels: string[] } {
  const match = new RegExp(`<figure data-chart="${name}" data-total="(\\d+)">(.*?)</figure>`).exec(html);
  if (!match) throw new Error(`no chart ${name}`);
  const values = [...match[2]!.matchAll(/data-value="(\d+)"/g)].map((m) => Number(m[1]));
  const labels = [...match[2]!.matchAll(/text-anchor="middle">(\d+)</g)].map((m) => m[1]!);
  return { total: Number(match[1]), values, labels };
}

describe("health dashboard", () => {
  let rig: WorkflowRig;
  let app: TestApp;
  let http: HttpServer;
  let seed: DashboardSeed;
  let sources: DashboardSources;
  let clock = NOW;

  beforeAll(async () => {
    rig = await startWorkflowRig();
    app = await startTestApp(rig.tg, { env: rig.env({ DASHBOARD_TOKEN: TOKEN, BOT_TIMEZONE: ZONE }) });
    const db = app.database.handle.db;
    const { workflow } = app.app;
    seed = await seedDashboard(db, { accountId: workflow.accounts.all()[0]!.id, hourStart: HOUR_START, secret: TOKEN });
    sources = {
      db,
      timeZone: ZONE,
      health: app.app.health,
      breakers: app.app.registry,
      accounts: createAccountsView({ db, accounts: workflow.accounts, settings: workflow.settings }),
      deadLetters: workflow.deadLetters,
      alerts: alertingFor(rig.tg, db, fakeClock(), { DASHBOARD_TOKEN: TOKEN, BOT_TIMEZONE: ZONE }).alerting,
      polling: { isPolling: () => true },
      leadership: app.app.leadership,
      now: () => clock,
    };
    http = new HttpServer(silentLogger());
    registerDashboardRoutes(http, TOKEN, sources);
  });
  afterAll(async () => {
    await http.close();
    await app.stop();
    await rig.close();
  });

  const get = (headers: Record<string, string> = {}) => http.inject({ method: "GET", url: "/dashboard", headers });
  const login = (token: string, headers: Record<string, string> = {}) =>
    http.inject({
      method: "POST",
      url: "/dashboard/login",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      payload: new URLSearchParams({ token }).toString(),
    });
  /** `name=value` of a Set-Cookie header, for a Cookie header. */
  const cookieOf = (setCookie: string) => setCookie.split(";")[0]!;

  it("logs neither the token nor the session when it fails", async () => {
    const { logger, lines } = capturingLogger();
    const failing = new HttpServer(logger);
    const broken = { report: () => Promise.reject(new Error("health probes broke")) };
    registerDashboardRoutes(failing, TOKEN, { ...sources, health: broken });
    const session = cookieOf(String((await failing.inject({ method: "POST", url: "/dashboard/login", payload: { token: TOKEN } })).headers["set-cookie"]));
    expect((await failing.inject({ method: "GET", url: "/dashboard", headers: { cookie: session } })).statusCode).toBe(500);
    expect((await failing.inject({ method: "GET", url: "/dashboard", headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(500);
    expect(lines.join("")).toContain("health probes broke");
    expect(lines.filter((line) => line.includes(TOKEN) || line.includes(session.split("=")[1]!))).toEqual([]);
  });

  it("is not there at all without DASHBOARD_TOKEN: 404", async () => {
    const bare = new HttpServer(silentLogger());
    registerDashboardRoutes(bare, undefined, sources);
    for (const [method, url] of [["GET", "/dashboard"], ["GET", "/dashboard/login"], ["POST", "/dashboard/login"]] as const) {
      expect((await bare.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(404);
    }
  });

  it("answers 401 without a token and to a wrong bearer token, 200 to the right one", async () => {
    const none = await get();
    expect(none.statusCode).toBe(401);
    expect(none.headers["www-authenticate"]).toContain("Bearer");
    expect(none.body).toContain('href="/dashboard/login"');
    expect(none.body).not.toContain("data-queue");

    for (const wrong of [`Bearer ${TOKEN}x`, "Bearer short", `Basic ${TOKEN}`, "Bearer "]) {
      const refused = await get({ authorization: wrong });
      expect(refused.statusCode, wrong).toBe(401);
      expect(refused.body).not.toContain("data-queue");
    }

    const right = await get({ authorization: `Bearer ${TOKEN}` });
    expect(right.statusCode).toBe(200);
    expect(right.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(right.headers["content-security-policy"]).toContain("default-src 'none'");
    expect(right.headers["cache-control"]).toBe("no-store");
    expect(right.body).toContain('<meta http-equiv="refresh" content="15">');
  });

  it("the login form sets an HttpOnly, SameSite=Strict session cookie that opens the page; a wrong token gets 401", async () => {
    const form = await http.inject({ method: "GET", url: "/dashboard/login" });
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<form method="post" action="/dashboard/login">');
    expect(form.body).toContain('name="token" type="password"');

    for (const wrong of ["wrong-token-0123456789", ""]) {
      const refused = await login(wrong);
      expect(refused.statusCode).toBe(401);
      expect(refused.headers["set-cookie"]).toBeUndefined();
      expect(refused.body).toContain("That is not the dashboard token.");
    }
    const asJson = await http.inject({ method: "POST", url: "/dashboard/login", payload: { token: "nope-nope-nope-nope" } });
    expect(asJson.statusCode).toBe(401);

    const accepted = await login(TOKEN);
    expect(accepted.statusCode).toBe(303);
    expect(accepted.headers.location).toBe("/dashboard");
    const setCookie = String(accepted.headers["set-cookie"]);
    expect(setCookie).toMatch(/^rgb_dashboard=\d+\.[\w-]{43}; Path=\/dashboard; Max-Age=43200; HttpOnly; SameSite=Strict$/);
    expect(setCookie).not.toContain(TOKEN);

    const page = await get({ cookie: `other=1; ${cookieOf(setCookie)}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-queue="awaiting_approval"');

    // A forged signature, and a session past its end, are refused.
    const forged = cookieOf(setCookie).replace(/.$/, (c) => (c === "A" ? "B" : "A"));
    expect((await get({ cookie: forged })).statusCode).toBe(401);
    clock = new Date(NOW.getTime() + SESSION_TTL_MS + 1_000);
    try {
      expect((await get({ cookie: cookieOf(setCookie) })).statusCode).toBe(401);
    } finally {
      clock = NOW;
    }

    const logout = await http.inject({ method: "POST", url: "/dashboard/logout", headers: { cookie: cookieOf(setCookie) } });
    expect(logout.statusCode).toBe(303);
    expect(String(logout.headers["set-cookie"])).toContain("rgb_dashboard=; Path=/dashboard; Max-Age=0");
  });

  it("marks the cookie Secure when the browser came over HTTPS (through a proxy)", async () => {
    const behindProxy = await login(TOKEN, { "x-forwarded-proto": "https" });
    expect(String(behindProxy.headers["set-cookie"])).toMatch(/; SameSite=Strict; Secure$/);
  });

  it("the app mounts it: the bearer token opens /dashboard on the app's own server", async () => {
    const refused = await fetch(`${app.httpUrl}/dashboard`);
    expect(refused.status).toBe(401);
    const page = await fetch(`${app.httpUrl}/dashboard`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(tileValue(html, "data-queue", "awaiting_approval")).toBe(seed.queues.awaiting_approval);
  });

  it("counts the charted events per hour of BOT_TIMEZONE, oldest first, empty hours at 0", async () => {
    expect(localHourStart(NOW, ZONE)).toEqual(HOUR_START);
    const buckets = await hourlyCounts(app.database.handle.db, NOW, ZONE);
    expect(buckets).toHaveLength(24);
    expect(buckets[0]!.start).toEqual(new Date(HOUR_START.getTime() - 23 * 3_600_000));
    expect(buckets[23]!.start).toEqual(HOUR_START);
    for (const kind of ["discovered", "drafted", "published", "failed"] as const) {
      expect(buckets.map((bucket) => bucket.counts[kind]), kind).toEqual(seed.hourly[kind]);
    }
  });

  it("shows the queues, dead letters, charts, components, accounts and breakers as the services report them", async () => {
    const html = (await get({ authorization: `Bearer ${TOKEN}` })).body;
    for (const status of ["awaiting_approval", "approved", "publishing"] as const) {
      expect(tileValue(html, "data-queue", status), status).toBe(seed.queues[status]);
    }
    for (const status of ["pending", "retrying", "exhausted", "retried_successfully", "discarded"] as const) {
      expect(tileValue(html, "data-dlq", status), status).toBe(seed.deadLetters[status]);
    }
    for (const kind of ["discovered", "drafted", "published", "failed"] as const) {
      const drawn = chart(html, kind);
      expect(drawn.values, kind).toEqual(seed.hourly[kind]);
      expect(drawn.total).toBe(seed.hourly[kind].reduce((a, b) => a + b, 0));
      // Local hours: the first bar is 16:00 in Kolkata yesterday, the last one 15:00 today.
      expect(drawn.labels[0]).toBe("16");
      expect(drawn.labels.at(-1)).toBe("15");
    }

    const report = await app.app.health.report();
    expect(html).toMatch(new RegExp(`id="overall" class="badge \\w+" data-state="${report.status}"`));
    for (const [name, component] of Object.entries(report.components)) {
      expect(html, name).toContain(`<tr data-component="${name}"><td>${name}</td><td><span class="badge`);
      expect(html, name).toMatch(new RegExp(`data-component="${name}"><td>[^<]+</td><td><span class="badge \\w+" data-state="${component.state}"`));
    }
    expect(html).toContain('<tr data-account="main">');
    for (const breaker of app.app.registry.all()) {
      expect(html).toMatch(new RegExp(`data-breaker="${breaker.name}">.*?data-state="${breaker.state}"`));
    }
  });

  it("escapes every text and masks secrets: the token never appears on the page", async () => {
    const html = (await get({ authorization: `Bearer ${TOKEN}` })).body;
    expect(html).toContain("Publishing failed for &lt;script&gt;alert(\"x\")&lt;/script&gt; &amp; friends");
    expect(html).not.toContain("<script");
    expect(html).not.toContain(TOKEN);
    expect(html).toContain("leaked into an error");
    const signedIn = await login(TOKEN);
    const page = await get({ cookie: cookieOf(String(signedIn.headers["set-cookie"])) });
    expect(page.body).not.toContain(TOKEN);
  });
});
