/**
 * Times an admin reads in /health and /breaker are on the bot's clock (BOT_TIMEZONE), named by their zone;
 * the HTTP /health JSON keeps its ISO `checkedAt`.
 */
import { describe, expect, it } from "vitest";
import { renderBreakers } from "../../src/bot/features/breakers.js";
import { formatHealthReport } from "../../src/bot/features/health.js";
import type { BreakerAdmin } from "../../src/bot/features/services.js";

describe("times in /health and /breaker", () => {
  it("/health's footer gives the check time in the bot's zone", () => {
    const report = {
      status: "healthy" as const,
      version: "1.2.3",
      uptimeSeconds: 61,
      checkedAt: "2025-07-01T01:25:46.000Z",
      components: { database: { state: "ok" as const, detail: "pglite" } },
    };
    const text = formatHealthReport(report, "Europe/Berlin");
    expect(text.split("\n").at(-1)).toBe("version 1.2.3, up 1m 1s, checked 03:25:46 (Europe/Berlin)");
    expect(formatHealthReport(report, "UTC")).toContain("checked 01:25:46 (UTC)");
  });

  it("/breaker says since when a breaker is open in the bot's zone, with the day when it was not today", () => {
    const breakers: BreakerAdmin = {
      all: () => [
        { name: "x:main", kind: "x", state: "open", openSince: new Date("2025-07-01T22:10:05Z") },
        { name: "db", kind: "db", state: "closed", openSince: undefined },
      ],
      reset: () => false,
    };
    const sameDay = renderBreakers(breakers, "Asia/Kolkata", new Date("2025-07-02T00:00:00Z"));
    expect(sameDay).toContain("<code>x:main</code> open since 03:40:05 (Asia/Kolkata)");
    const nextDay = renderBreakers(breakers, "Europe/Berlin", new Date("2025-07-03T09:00:00Z"));
    expect(nextDay).toContain("<code>x:main</code> open since Wed 2 Jul 00:10:05 (Europe/Berlin)");
  });
});
