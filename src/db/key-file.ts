import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Name of the generated key file inside DATA_DIR. */
export const KEY_FILE_NAME = "encryption.key";
const KEY_BYTES = 32;

/** The key of the embedded database's DATA_DIR, and whether this call made it. */
export interface KeyFile {
  /** The key, base64. */
  readonly key: string;
  readonly path: string;
  readonly created: boolean;
}

/**
 * Reads `<dataDir>/encryption.key`, or generates a random 32-byte key into it (mode 0600, never overwritten) the
 * first time. For PGlite only: with a shared database every replica must be given the same ENCRYPTION_KEY.
 */
export function readOrCreateKeyFile(dataDir: string): KeyFile {
  const path = join(dataDir, KEY_FILE_NAME);
  mkdirSync(dataDir, { recursive: true });
  try {
    writeFileSync(path, `${randomBytes(KEY_BYTES).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
    // The mode given to writeFileSync is filtered by the umask: make it exactly owner read/write.
    chmodSync(path, 0o600);
    return { key: readKey(path), path, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return { key: readKey(path), path, created: false };
}

function readKey(path: string): string {
  const key = readFileSync(path, "utf8").trim();
  if (Buffer.from(key, "base64").length !== KEY_BYTES) {
    throw new Error(`${path} does not hold a ${KEY_BYTES}-byte base64 key; restore it, or set ENCRYPTION_KEY`);
  }
  return key;
}
