import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dataDirCheck } from "../../src/doctor/data-dir.js";
import { doctorConfig, printedLine } from "../support/doctor.js";

const line = (env: Record<string, string>) => printedLine(dataDirCheck(doctorConfig({ TELEGRAM_BOT_TOKEN: "123456:ABC-def_ghi", ADMIN_CHAT_ID: "4242", ...env })));

/** A directory this process cannot write in: sysfs refuses new files even to root; otherwise mode 0500. */
function unwritableDir(root: string): string {
  if (process.getuid?.() === 0) return "/sys";
  const dir = join(root, "read-only");
  mkdirSync(dir, { mode: 0o500 });
  return dir;
}

describe("doctor: DATA_DIR", () => {
  const root = mkdtempSync(join(tmpdir(), "rgb-doctor-dir-"));
  afterAll(() => {
    rmSync(join(root, "read-only"), { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  });

  it("is writable, and the probe file is removed again", async () => {
    expect(await line({ DATA_DIR: root })).toBe(`✓ DATA_DIR: ${root} is writable`);
    expect(readdirSync(root)).toEqual([]);
  });

  it("may not exist yet when the bot can create it", async () => {
    const dir = join(root, "later", "data");
    expect(await line({ DATA_DIR: dir })).toBe(`✓ DATA_DIR: ${dir} does not exist yet; the bot creates it (${root} is writable)`);
  });

  it("says a DATA_DIR that cannot be written, and to make it writable", async () => {
    const dir = unwritableDir(root);
    expect(await line({ DATA_DIR: dir })).toMatch(new RegExp(`^✗ DATA_DIR: ${dir} is not writable \\(.*EACCES.*\\) — make it writable by the user the bot runs as \\(uid \\d+\\), or set DATA_DIR$`));
  });

  it("says a DATA_DIR under a file is not a directory", async () => {
    const file = join(root, "a-file");
    writeFileSync(file, "");
    expect(await line({ DATA_DIR: join(file, "data") })).toBe(`✗ DATA_DIR: ${file} is not a directory — set DATA_DIR to a directory`);
    rmSync(file);
  });

  it("is not used with DATABASE_URL", async () => {
    expect(await line({ DATA_DIR: root, DATABASE_URL: "postgres://127.0.0.1:5432/test" })).toBe("- DATA_DIR: not used (DATABASE_URL is set)");
  });
});
