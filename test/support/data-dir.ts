import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, normalize } from "node:path";
import { inject } from "vitest";

const BLOCK = 512;

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString("utf8");
}

/** Unpacks the regular files and directories of a ustar archive (what PGlite's `dumpDataDir` writes) into `target`. */
function untar(archive: Buffer, target: string): void {
  for (let offset = 0; offset + BLOCK <= archive.length; ) {
    const header = archive.subarray(offset, offset + BLOCK);
    const name = field(header, 0, 100);
    if (name === "") break;
    const prefix = field(header, 345, 155);
    const size = parseInt(field(header, 124, 12).trim() || "0", 8);
    const type = field(header, 156, 1);
    const path = join(target, normalize(`/${prefix ? `${prefix}/` : ""}${name}`));
    offset += BLOCK;
    if (type === "5") {
      mkdirSync(path, { recursive: true });
    } else if (type === "0" || type === "") {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, archive.subarray(offset, offset + size));
    }
    offset += Math.ceil(size / BLOCK) * BLOCK;
  }
}

/**
 * A new DATA_DIR whose embedded PostgreSQL is already created and migrated (a copy of the run's template), so a
 * bot process started on it skips creating the database — seconds of CPU and most of its memory at first boot.
 * Tests about that first boot use an empty directory instead.
 */
export function migratedDataDir(prefix: string): string {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const pglite = join(dataDir, "pglite");
  mkdirSync(pglite, { mode: 0o700 });
  untar(readFileSync(inject("pgliteTemplate")), pglite);
  return dataDir;
}
