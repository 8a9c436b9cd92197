/**
 * The health dashboard in a real headless browser (Debian's chromium, driven by playwright-core) against a running
 * app with seeded data: without a session the page is a 401, a wrong token in the login form is a 401, the right
 * one signs in (an HttpOnly, SameSite=Strict cookie the page's scripts cannot read), the page renders its charts
 * with its inline CSS under its CSP, and its figures are those of `/health` and the health service.
 *
 * `DASHBOARD_SCREENSHOT=/tmp/dashboard.png` also saves a full-page screenshot of the signed-in dashboard there.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { xAccounts } from "../../src/db/schema.js";
import { localHourStart } from "../../src/workflow/stats-hourly.js";
import { startTestApp, type TestApp } from "../support/app-harness.js";
import { seedDashboard, type DashboardSeed } from "../support/dashboard-seed.js";
import { capturingLogger } from "../support/logger.js";
import { startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";

/** Debian's chromium (`apt-get install chromium`; `.ci/run` installs it when missing). */
const CHROMIUM = "/usr/bin/chromium";
const TOKEN = "dashboard-token-browser-0123456789";
const ZONE = "Europe/Berlin";

/** The page's DOM as far as this test reads it inside the browser (the project's tsconfig has no DOM lib). */
interface PageElement {
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
  getBoundingClientRect(): { readonly width: number; readonly height: number };
}
declare const document: PageElement & { readonly cookie: string; getElementById(id: string): PageElement | null };
declare function getComputedStyle(element: PageElement): { readonly backgroundColor: string };

/** What the page shows, read in one go (the page reloads itself every 15 s). */
interface PageFigures {
  overall: string | undefined;
  refresh: string | undefined;
  components: Record<string, { state: string | undefined; detail: string }>;
  queues: Record<string, number>;
  deadLetters: Record<string, number>;
  charts: Record<string, { total: number; bars: number; drawnBars: number; width: number }>;
  alerts: string[];
  badgeColor: string;
}

function readFigures(page: Page): Promise<PageFigures> {
  return page.evaluate(() => {
    const tiles = (attribute: string) =>
      Object.fromEntries([...document.querySelectorAll(`[${attribute}]`)].map((tile) => [tile.getAttribute(attribute) ?? "", Number(tile.querySelector("b")?.textContent)] as const));
    const components = Object.fromEntries(
      [...document.querySelectorAll("tr[data-component]")].map((row) => [
        row.getAttribute("data-component") ?? "",
        { state: row.querySelector(".badge")?.getAttribute("data-state") ?? undefined, detail: row.querySelector(".detail")?.textContent ?? "" },
      ]),
    );
    const charts = Object.fromEntries(
      [...document.querySelectorAll("figure[data-chart]")].map((figure) => {
        const rects = [...figure.querySelectorAll("svg rect")];
        return [
          figure.getAttribute("data-chart") ?? "",
          {
            total: Number(figure.getAttribute("data-total")),
            bars: rects.length,
            drawnBars: rects.filter((rect) => rect.getBoundingClientRect().height > 0).length,
            width: figure.querySelector("svg")?.getBoundingClientRect().width ?? 0,
          },
        ];
      }),
    );
    const overall = document.getElementById("overall");
    return {
      overall: overall?.getAttribute("data-state") ?? undefined,
      refresh: document.querySelector('meta[http-equiv="refresh"]')?.getAttribute("content") ?? undefined,
      components,
      queues: tiles("data-queue"),
      deadLetters: tiles("data-dlq"),
      charts,
      alerts: [...document.querySelectorAll("tr[data-alert]")].map((row) => row.textContent ?? ""),
      badgeColor: overall ? getComputedStyle(overall).backgroundColor : "",
    };
  });
}

describe.runIf(existsSync(CHROMIUM))(`dashboard in headless chromium (runs only where ${CHROMIUM} exists; .ci/run installs it)`, () => {
  let rig: WorkflowRig;
  let app: TestApp;
  let seed: DashboardSeed;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  // Without the secret list: the redaction must not be what keeps the token out of the log.
  const log = capturingLogger();

  beforeAll(async () => {
    rig = await startWorkflowRig();
    app = await startTestApp(rig.tg, { env: rig.env({ DASHBOARD_TOKEN: TOKEN, BOT_TIMEZONE: ZONE }), logger: log.logger });
    const db = app.database.handle.db;
    const main = app.app.workflow.accounts.all()[0]!;
    seed = await seedDashboard(db, { accountId: main.id, hourStart: localHourStart(new Date(), ZONE), secret: TOKEN });
    // Some life on the page: the account waits out a rate limit (degraded).
    await db.update(xAccounts).set({ rateLimitedUntil: new Date(Date.now() + 25 * 60_000) }).where(eq(xAccounts.id, main.id));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(error.message));
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await rig?.close();
  });

  it("without a session the dashboard is a 401 pointing to the login form; a wrong token there is a 401 too", async () => {
    const direct = await page.goto(`${app.httpUrl}/dashboard`);
    expect(direct?.status()).toBe(401);
    expect(await page.textContent("h1")).toBe("Sign in needed");

    await page.click('a[href="/dashboard/login"]');
    await page.waitForURL(`${app.httpUrl}/dashboard/login`);
    await page.fill("#token", "not-the-dashboard-token");
    const [refused] = await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    expect(refused?.status()).toBe(401);
    expect(await page.textContent('[role="alert"]')).toBe("That is not the dashboard token.");
    expect(await context.cookies()).toEqual([]);
  });

  it("the login form signs in with an HttpOnly, SameSite=Strict cookie and the page renders", async () => {
    problems.length = 0;
    await page.goto(`${app.httpUrl}/dashboard/login`);
    await page.fill("#token", TOKEN);
    const [landed] = await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    expect(landed?.status()).toBe(200);
    expect(page.url()).toBe(`${app.httpUrl}/dashboard`);

    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: "rgb_dashboard", path: "/dashboard", httpOnly: true, sameSite: "Strict", secure: false });
    expect(cookie?.value).not.toContain(TOKEN);
    expect(await page.evaluate(() => document.cookie)).toBe("");

    const figures = await readFigures(page);
    expect(figures.refresh).toBe("15");
    // The inline CSS applies under the page's CSP: the status badge is filled.
    expect(figures.badgeColor).not.toBe("rgba(0, 0, 0, 0)");
    for (const kind of ["discovered", "drafted", "published", "failed"] as const) {
      const chart = figures.charts[kind]!;
      expect(chart.bars, kind).toBe(24);
      expect(chart.total, kind).toBe(seed.hourly[kind].reduce((a, b) => a + b, 0));
      expect(chart.drawnBars, kind).toBe(seed.hourly[kind].filter((n) => n > 0).length);
      expect(chart.width, kind).toBeGreaterThan(200);
    }
    expect(figures.alerts.some((row) => row.includes('<script>alert("x")</script> & friends'))).toBe(true);
    expect(await page.content()).not.toContain(TOKEN);
    expect(problems).toEqual([]);

    const screenshot = process.env.DASHBOARD_SCREENSHOT;
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  });

  it("its figures are those of /health and of the health service", async () => {
    await page.goto(`${app.httpUrl}/dashboard`);
    const figures = await readFigures(page);
    const health = (await (await fetch(`${app.httpUrl}/health`)).json()) as { overall: string; components: Record<string, string> };

    expect(figures.overall).toBe(health.overall);
    expect(Object.keys(figures.components).sort()).toEqual(Object.keys(health.components).sort());
    for (const [name, state] of Object.entries(health.components)) expect(figures.components[name]?.state, name).toBe(state);
    expect(figures.components["x:main"]?.detail).toContain("rate limited until");

    // The queues probe's own words carry the counts; the tiles must say the same, and match what was seeded.
    const queues = (await app.app.health.report()).components.queues!.detail;
    const [awaiting, approved, publishing, pending, retrying, exhausted] = [...queues.matchAll(/\d+/g)].map(Number);
    expect(figures.components.queues?.detail).toBe(queues);
    expect(figures.queues).toEqual({ awaiting_approval: awaiting, approved, publishing });
    expect(figures.queues).toEqual(seed.queues);
    expect(figures.deadLetters).toMatchObject({ pending, retrying, exhausted });
    expect(figures.deadLetters).toEqual(seed.deadLetters);
  });

  it("Sign out ends the session: the dashboard is a 401 again", async () => {
    await page.goto(`${app.httpUrl}/dashboard`);
    await Promise.all([page.waitForNavigation(), page.click('header button[type="submit"]')]);
    expect(page.url()).toBe(`${app.httpUrl}/dashboard/login`);
    expect(await context.cookies()).toEqual([]);
    expect((await page.goto(`${app.httpUrl}/dashboard`))?.status()).toBe(401);
  });

  it("the token never reached the app's log", () => {
    expect(log.lines.join("")).toContain("reply-guy-bot started");
    expect(log.lines.filter((line) => line.includes(TOKEN))).toEqual([]);
  });
});
