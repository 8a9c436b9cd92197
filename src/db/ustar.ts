import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";

const BLOCK = 512;

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString("utf8");
}

/**
 * Unpacks the regular files and directories of a ustar archive (what PGlite's `dumpDataDir` writes) into `target`;
 * entries cannot climb out of it.
 */
export function unpackUstar(archive: Buffer, target: string): void {
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
      mkdirSync(path, { recursive: true, mode: 0o700 });
    } else if (type === "0" || type === "") {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      writeFileSync(path, archive.subarray(offset, offset + size), { mode: 0o600 });
    }
    offset += Math.ceil(size / BLOCK) * BLOCK;
  }
}
