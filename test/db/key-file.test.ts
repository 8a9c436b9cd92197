import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { accountsSecretBox, KEY_FILE_NAME, readOrCreateKeyFile } from "../../src/db/key-file.js";

describe("the generated encryption key of the embedded database", () => {
  const dirs: string[] = [];
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "rgb-key-"));
    dirs.push(dir);
    return join(dir, "data");
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("is generated once into DATA_DIR with mode 0600, then reused as it is", () => {
    const dir = dataDir();
    const previousUmask = process.umask(0o022);
    try {
      const first = readOrCreateKeyFile(dir);
      expect(first).toMatchObject({ path: join(dir, KEY_FILE_NAME), created: true });
      expect(Buffer.from(first.key, "base64")).toHaveLength(32);
      expect(statSync(first.path).mode & 0o777).toBe(0o600);
      const second = readOrCreateKeyFile(dir);
      expect(second).toEqual({ ...first, created: false });
      expect(readFileSync(first.path, "utf8").trim()).toBe(first.key);
    } finally {
      process.umask(previousUmask);
    }
  });

  it("refuses a damaged key file rather than replacing it", () => {
    const dir = dataDir();
    const { path } = readOrCreateKeyFile(dir);
    const text = readFileSync(path, "utf8");
    writeFileSync(path, text.slice(0, 10));
    expect(() => readOrCreateKeyFile(dir)).toThrow(/does not hold a 32-byte base64 key; restore it, or set ENCRYPTION_KEY/);
  });

  it("opens the accounts' box from ENCRYPTION_KEY first, else from the key file: created (the bot) or only read (the doctor)", () => {
    const dir = dataDir();
    expect(accountsSecretBox({}, { dataDir: dir, mode: "read" })).toBeUndefined();
    expect(existsSync(dir)).toBe(false);
    const created = accountsSecretBox({}, { dataDir: dir, mode: "create" });
    expect(created?.file).toMatchObject({ created: true });
    const sealed = created!.box.seal("secret");
    expect(accountsSecretBox({}, { dataDir: dir, mode: "read" })?.box.open(sealed).plaintext).toBe("secret");
    const key = randomBytes(32).toString("base64");
    const fromEnv = accountsSecretBox({ encryptionKey: key }, { dataDir: dir, mode: "read" });
    expect(fromEnv?.file).toBeUndefined();
    expect(() => fromEnv!.box.open(sealed)).toThrow();
    expect(accountsSecretBox({ encryptionKey: key })).toBeDefined();
    expect(accountsSecretBox({})).toBeUndefined();
  });
});
