import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/** Bytes of an AES-256 key. */
export const SECRET_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Sealed text: `v1:<key id>:<iv>:<tag>:<ciphertext>`, the last three base64url. */
const FORMAT = "v1";

/** Thrown when sealed text cannot be opened: unknown key, altered bytes, or not sealed text at all. */
export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretBoxError";
  }
}

/** A key's short public name, written into what it seals, so a reader knows which key of the ring opens it. */
export function keyId(key: Buffer): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 8);
}

/** Decodes a base64 key and checks its length; the message names `variable`. */
export function parseSecretKey(base64: string, variable: string): Buffer {
  const key = Buffer.from(base64.trim(), "base64");
  if (key.length !== SECRET_KEY_BYTES) {
    throw new SecretBoxError(`${variable} must be ${SECRET_KEY_BYTES} bytes in base64 (it decodes to ${key.length}); make one with: openssl rand -base64 32`);
  }
  return key;
}

/** What {@link SecretBox.open} found. */
export interface OpenedSecret {
  readonly plaintext: string;
  /** Sealed with the previous key: seal it again with the current one. */
  readonly stale: boolean;
}

/**
 * AES-256-GCM sealing with a key ring: seals with the current key, opens with the current or the previous one
 * (a key rotation), and refuses altered text (the GCM tag is checked). Every seal uses a fresh random IV.
 */
export class SecretBox {
  private readonly currentId: string;

  constructor(
    private readonly current: Buffer,
    private readonly previous?: Buffer,
  ) {
    if (current.length !== SECRET_KEY_BYTES || (previous !== undefined && previous.length !== SECRET_KEY_BYTES)) {
      throw new SecretBoxError(`a secret key must be ${SECRET_KEY_BYTES} bytes`);
    }
    this.currentId = keyId(current);
  }

  /** Encrypts `plaintext` with the current key. */
  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.current, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString("base64url"));
    return [FORMAT, this.currentId, ...parts].join(":");
  }

  /** Decrypts text sealed by the current or the previous key; throws {@link SecretBoxError} otherwise. */
  open(sealed: string): OpenedSecret {
    const [format, id, iv, tag, ciphertext, ...rest] = sealed.split(":");
    if (format !== FORMAT || id === undefined || iv === undefined || tag === undefined || ciphertext === undefined || rest.length > 0) {
      throw new SecretBoxError("not a sealed secret");
    }
    const key = id === this.currentId ? this.current : this.previous && id === keyId(this.previous) ? this.previous : undefined;
    if (!key) throw new SecretBoxError(`sealed with key ${id}, which is neither the current nor the previous key`);
    const tagBytes = Buffer.from(tag, "base64url");
    if (tagBytes.length !== TAG_BYTES) throw new SecretBoxError("sealed secret is damaged");
    try {
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
      decipher.setAuthTag(tagBytes);
      const plaintext = Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
      return { plaintext, stale: key !== this.current };
    } catch {
      throw new SecretBoxError("sealed secret is damaged or was altered");
    }
  }
}
