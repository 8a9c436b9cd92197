/**
 * The daily digest's text, the version shown in /health, and the report's own fields (overall status without a
 * database probe, uptime, the Telegram component's details).
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildHealthDigest } from "../../src/health/digest.js";
import { createHealthService, overallStatus, TelegramActivity, type HealthService } from "../../src/health/health-service.js";
import { readVersion } from "../../src/health/version.js";
import { recordEvent } from "../../src/workflow/stats.js";
import { createPgliteTestDatabase, type TestDatabase } from "../support/database.js";

const NOW = new Date("2026-11-30T10:00:00Z");

/** A health service whose report is fixed. */
function fixedHealth(components: Record<string, { state: "ok" | "degraded" | "down"; detail: string }>): HealthService {
  return {
    addComponent: () => undefined,
    removeComponent: () => undefined,
    report: () => Promise.resolve({ status: overallStatus(components), version: "t", uptimeSeconds: 0, checkedAt: NOW.toISOString(), components }),
  };
}

describe("health digest and report", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createPgliteTestDatabase();
    await recordEvent(database.handle.db, { kind: "discovered", postTweetId: "1", at: new Date("2026-11-29T12:00:00Z") });
  });
  afterAll(async () => {
    await database.dispose();
  });

  it("the digest lists yesterday's counts and says all is healthy when every component is ok", async () => {
    const digest = await buildHealthDigest({
      db: database.handle.db,
      health: fixedHealth({ database: { state: "ok", detail: "pglite" } }),
      timeZone: "UTC",
      now: NOW,
    });
    expect(digest).toBe(
      [
        "📊 <b>Daily digest</b> — Sun 29 Nov (UTC)",
        "discovered 1 · drafted 0 · approved 0 · rejected 0 · published 0 · failed 0",
        "",
        "🟢 All components healthy.",
      ].join("\n"),
    );
  });

  it("the digest names each component that is not ok, escaped, under the overall status", async () => {
    const digest = await buildHealthDigest({
      db: database.handle.db,
      health: fixedHealth({
        database: { state: "ok", detail: "pglite" },
        "x:main": { state: "down", detail: "status failed (<401>)" },
        ai: { state: "degraded", detail: "model-a open" },
      }),
      timeZone: "UTC",
      now: NOW,
    });
    expect(digest.split("\n").slice(3)).toEqual([
      "Health: <b>degraded</b>",
      "⚠️ <b>x:main</b>: status failed (&lt;401&gt;)",
      "⚠️ <b>ai</b>: model-a open",
    ]);
  });

  it("the version is package.json's", () => {
    const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    expect(readVersion()).toBe(version);
  });

  it("without a database component the overall status follows the others", () => {
    expect(overallStatus({})).toBe("healthy");
    expect(overallStatus({ ai: { state: "down", detail: "" } })).toBe("degraded");
  });

  it("the report has the uptime and says when Telegram last answered", async () => {
    const telegram = new TelegramActivity();
    const service = createHealthService({
      database: database.handle,
      telegram,
      version: "9.9.9",
      startedAt: new Date(NOW.getTime() - 90_500),
      timeZone: "UTC",
      now: () => NOW,
    });
    const before = await service.report();
    expect(before).toMatchObject({ version: "9.9.9", uptimeSeconds: 91, checkedAt: NOW.toISOString() });
    expect(before.components.telegram).toEqual({ state: "down", detail: "no successful API call yet" });
    telegram.markSuccess(new Date(NOW.getTime() - 60_000));
    expect((await service.report()).components.telegram).toEqual({ state: "ok", detail: "last API success 09:59:00 (UTC)" });
  });
});
