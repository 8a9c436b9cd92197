import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseSecretKey, SecretBox } from "../kit/secret-box.js";

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

/** The key generated earlier into `<dataDir>/encryption.key`, or undefined when there is none (never creates one). */
export function readExistingKeyFile(dataDir: string): KeyFile | undefined {
  const path = join(dataDir, KEY_FILE_NAME);
  return existsSync(path) ? { key: readKey(path), path, created: false } : undefined;
}

function readKey(path: string): string {
  const key = readFileSync(path, "utf8").trim();
  if (Buffer.from(key, "base64").length !== KEY_BYTES) {
    throw new Error(`${path} does not hold a ${KEY_BYTES}-byte base64 key; restore it, or set ENCRYPTION_KEY`);
  }
  return key;
}

/** The keys of stored account credentials as the config gives them (base64). */
export interface AccountKeys {
  readonly encryptionKey?: string | undefined;
  readonly previousEncryptionKey?: string | undefined;
}

/**
 * The secret box of stored account credentials: ENCRYPTION_KEY (with ENCRYPTION_KEY_PREVIOUS during a rotation);
 * without it, the key file in `keyFile.dataDir`, generated there the first time (`create`, the bot on its own
 * embedded database) or only read when it exists (`read`, the doctor); else none. `file` is the key file used.
 */
export function accountsSecretBox(
  keys: AccountKeys,
  keyFile?: { readonly dataDir: string; readonly mode: "create" | "read" },
): { box: SecretBox; file?: KeyFile } | undefined {
  const { encryptionKey, previousEncryptionKey } = keys;
  const previous = previousEncryptionKey === undefined ? undefined : parseSecretKey(previousEncryptionKey, "ENCRYPTION_KEY_PREVIOUS");
  if (encryptionKey !== undefined) return { box: new SecretBox(parseSecretKey(encryptionKey, "ENCRYPTION_KEY"), previous) };
  if (!keyFile) return undefined;
  const file = keyFile.mode === "create" ? readOrCreateKeyFile(keyFile.dataDir) : readExistingKeyFile(keyFile.dataDir);
  return file ? { box: new SecretBox(parseSecretKey(file.key, file.path), previous), file } : undefined;
}
