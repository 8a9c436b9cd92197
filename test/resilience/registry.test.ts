/** The breaker registry and its database store: one policy per name, state saved on change and restored. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseBreakerStore, type BreakerStore } from "../../src/resilience/breaker-store.js";
import type { PolicySettings } from "../../src/resilience/policy.js";
import { ResilienceRegistry } from "../../src/resilience/registry.js";
import { createPgliteTestDatabase, type TestDatabase } from "../support/database.js";
import { capturingLogger, silentLogger } from "../support/logger.js";

const SETTINGS: PolicySettings = { timeoutMs: 0, retries: 0, baseDelayMs: 1, maxDelayMs: 1, breakerThreshold: 1, halfOpenAfterMs: 60_000 };
const ALL = { x: SETTINGS, ai: { ...SETTINGS, breakerThreshold: 2 }, db: SETTINGS };
const unreachable = () => Promise.reject(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe("breaker registry on the database store", () => {
  let database: TestDatabase;
  let store: BreakerStore;

  beforeAll(async () => {
    database = await createPgliteTestDatabase();
    store = databaseBreakerStore(database.handle.db);
  });
  afterAll(async () => {
    await database.dispose();
  });

  it("keeps the latest state per name (an upsert), and an empty object for no state", async () => {
    await store.save("x:a", { n: 1 });
    await store.save("x:a", { n: 2 });
    await store.save("x:b", undefined);
    expect(await store.loadAll()).toEqual(new Map<string, unknown>([["x:a", { n: 2 }], ["x:b", {}]]));
  });

  it("one policy per name with its kind's settings; every change is saved, announced and restorable", async () => {
    const events: string[] = [];
    const registry = new ResilienceRegistry(ALL, store, silentLogger());
    registry.onChange(({ name, kind, state }) => events.push(`${name}/${kind}/${state}`));
    const x = registry.policy("x:main", "x");
    expect(registry.policy("x:main", "x")).toBe(x);
    const ai = registry.policy("ai:m", "ai");
    await x.execute(unreachable).catch(() => undefined);
    await ai.execute(unreachable).catch(() => undefined);
    expect(ai.state).toBe("closed"); // the AI threshold is 2
    expect(events).toEqual(["x:main/x/open"]);
    expect(registry.all()).toEqual([
      { name: "x:main", kind: "x", state: "open", openSince: expect.any(Date) },
      { name: "ai:m", kind: "ai", state: "closed", openSince: undefined },
    ]);
    await settle();

    const restarted = new ResilienceRegistry(ALL, store, silentLogger());
    expect(await restarted.restore()).toBeGreaterThanOrEqual(2);
    expect(restarted.policy("x:main", "x").state).toBe("open");
    expect(restarted.policy("ai:m", "ai").state).toBe("closed");

    expect(restarted.reset("x:main")).toBe(true);
    expect(restarted.reset("x:unknown")).toBe(false);
    await settle();
    const again = new ResilienceRegistry(ALL, store, silentLogger());
    await again.restore();
    expect(again.policy("x:main", "x").state).toBe("closed");
  });

  it("a failed save is logged, not thrown", async () => {
    const { logger, lines } = capturingLogger();
    const failing: BreakerStore = { loadAll: () => Promise.resolve(new Map()), save: () => Promise.reject(new Error("disk full")) };
    const registry = new ResilienceRegistry(ALL, failing, logger);
    await registry.policy("x:main", "x").execute(unreachable).catch(() => undefined);
    await settle();
    expect(lines.some((line) => line.includes("could not persist breaker state") && line.includes("disk full"))).toBe(true);
    expect(lines.some((line) => line.includes("circuit breaker changed state") && line.includes('"breaker":"x:main"'))).toBe(true);
  });
});
