/**
 * The bot's PGlite runs on V8's baseline WebAssembly compiler: TurboFan's tier-up held 45–110 MB more resident
 * memory (the figures are bench output, `npm run bench -- boot`; here only that the flag is set when opening).
 */
import { rmSync } from "node:fs";
import type * as v8 from "node:v8";
import { afterAll, describe, expect, it, vi } from "vitest";
import { migratedDataDir } from "../support/data-dir.js";

describe("PGlite's WebAssembly compiler", () => {
  const dataDir = migratedDataDir("rgb-wasm-");
  afterAll(() => {
    vi.doUnmock("node:v8");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("opening the bot's database keeps WebAssembly on Liftoff only", async () => {
    const setFlags = vi.fn();
    vi.doMock("node:v8", async (importOriginal) => ({ ...(await importOriginal<typeof v8>()), setFlagsFromString: setFlags }));
    // Workers run files one after another (isolate: false): pglite.ts is loaded afresh to see the mocked node:v8.
    vi.resetModules();
    const { BASELINE_WASM_FLAG, openPglite } = await import("../../src/db/pglite.js");
    const handle = await openPglite(dataDir);
    await handle.close();
    expect(BASELINE_WASM_FLAG).toBe("--liftoff-only");
    expect(setFlags).toHaveBeenCalledWith(BASELINE_WASM_FLAG);
  }, 60_000);
});
