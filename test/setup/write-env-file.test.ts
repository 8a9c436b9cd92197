import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeEnvFileAtomically } from "../../src/setup/write-env-file.js";

describe("writing .env", () => {
  const dirs: string[] = [];
  const newDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "rgb-envfile-"));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("replaces the file with mode 0600 whatever the old mode and the umask, leaving no temporary file", () => {
    const dir = newDir();
    const path = join(dir, ".env");
    writeFileSync(path, "OLD=1\n", { mode: 0o644 });
    // A umask that takes the owner's write bit away too: the file must still come out 0600.
    const umask = process.umask(0o277);
    try {
      writeEnvFileAtomically(path, "NEW=2\n");
    } finally {
      process.umask(umask);
    }
    expect(readFileSync(path, "utf8")).toBe("NEW=2\n");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual([".env"]);
  });

  it("is a new file (rename), so a reader holding the old one never sees half of the new one", () => {
    const path = join(newDir(), ".env");
    writeFileSync(path, "OLD=1\n");
    const before = statSync(path).ino;
    writeEnvFileAtomically(path, "NEW=2\n");
    expect(statSync(path).ino).not.toBe(before);
  });

  it("leaves the old file as it was when the new one cannot be written", () => {
    const dir = newDir();
    const path = join(dir, "missing-dir", ".env");
    expect(() => writeEnvFileAtomically(path, "NEW=2\n")).toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
