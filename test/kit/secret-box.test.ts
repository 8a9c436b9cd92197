import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { keyId, parseSecretKey, SecretBox, SecretBoxError } from "../../src/kit/secret-box.js";

const keyA = randomBytes(32);
const keyB = randomBytes(32);

describe("secret box (AES-256-GCM with a key ring)", () => {
  it("opens what it sealed, and never writes the plaintext", () => {
    const box = new SecretBox(keyA);
    const sealed = box.seal("access-secret-xyz");
    expect(sealed).not.toContain("access-secret-xyz");
    expect(sealed.startsWith(`v1:${keyId(keyA)}:`)).toBe(true);
    expect(box.open(sealed)).toEqual({ plaintext: "access-secret-xyz", stale: false });
  });

  it("uses a fresh IV each time: the same secret seals to different text", () => {
    const box = new SecretBox(keyA);
    expect(box.seal("same")).not.toBe(box.seal("same"));
  });

  it("refuses altered ciphertext, tag or IV", () => {
    const box = new SecretBox(keyA);
    const parts = box.seal("hello world").split(":");
    for (const index of [2, 3, 4]) {
      const bytes = Buffer.from(parts[index]!, "base64url");
      bytes[0] = bytes[0]! ^ 1;
      const tampered = parts.map((part, i) => (i === index ? bytes.toString("base64url") : part)).join(":");
      expect(() => box.open(tampered)).toThrow(SecretBoxError);
    }
    expect(() => box.open("plain text")).toThrow(/not a sealed secret/);
  });

  it("reads what the previous key sealed and says it is stale (to be sealed again with the current key)", () => {
    const old = new SecretBox(keyA).seal("rotated");
    const rotated = new SecretBox(keyB, keyA);
    const opened = rotated.open(old);
    expect(opened).toEqual({ plaintext: "rotated", stale: true });
    const resealed = rotated.seal(opened.plaintext);
    expect(new SecretBox(keyB).open(resealed)).toEqual({ plaintext: "rotated", stale: false });
  });

  it("refuses text sealed by a key that is not in the ring", () => {
    const sealed = new SecretBox(keyA).seal("x");
    expect(() => new SecretBox(keyB).open(sealed)).toThrow(/neither the current nor the previous key/);
  });

  it("a key of the wrong length is refused, naming the variable", () => {
    expect(() => parseSecretKey(randomBytes(16).toString("base64"), "ENCRYPTION_KEY")).toThrow(/ENCRYPTION_KEY must be 32 bytes/);
    expect(parseSecretKey(keyA.toString("base64"), "ENCRYPTION_KEY").equals(keyA)).toBe(true);
    expect(() => new SecretBox(randomBytes(31))).toThrow(SecretBoxError);
  });
});
