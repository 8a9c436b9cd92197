/**
 * The bot's PGlite runs on V8's baseline WebAssembly compiler: TurboFan's tier-up held 45–110 MB more resident
 * memory (the figures are bench output, `npm run bench -- boot`; here only that the flag is set before opening).
 */
import { rmSync } from "node:fs";
import type * as v8 from "node:v8";
import { setFlagsFromString } from "node:v8";
import { afterAll, describe, expect, it, vi } from "vitest";
import { BASELINE_WASM_FLAG, openPglite } from "../../src/db/pglite.js";
import { migratedDataDir } from "../support/data-dir.js";

vi.mock("node:v8", async (importOriginal) => ({ ...(await importOriginal<typeof v8>()), setFlagsFromString: vi.fn() }));

describe("PGlite's WebAssembly compiler", () => {
  const dataDir = migratedDataDir("rgb-wasm-");
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("opening the bot's database keeps WebAssembly on Liftoff only", async () => {
    const handle = await openPglite(dataDir);
    await handle.close();
    expect(BASELINE_WASM_FLAG).toBe("--liftoff-only");
    expect(vi.mocked(setFlagsFromString)).toHaveBeenCalledWith(BASELINE_WASM_FLAG);
  }, 60_000);
});
