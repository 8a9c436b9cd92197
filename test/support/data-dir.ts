import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import { unpackUstar } from "../../src/db/ustar.js";

/**
 * A new DATA_DIR whose embedded PostgreSQL is already created and migrated (a copy of the run's template), so a
 * bot process started on it skips creating the database — seconds of CPU and most of its memory at first boot.
 * Tests about that first boot use an empty directory instead.
 */
export function migratedDataDir(prefix: string): string {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const pglite = join(dataDir, "pglite");
  mkdirSync(pglite, { mode: 0o700 });
  unpackUstar(readFileSync(inject("pgliteTemplate")), pglite);
  return dataDir;
}
