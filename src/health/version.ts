import { readFileSync } from "node:fs";

/** The bot's version, read from package.json (valid from `src/` and from `dist/`). */
export function readVersion(): string {
  const raw: unknown = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  if (typeof raw === "object" && raw !== null && "version" in raw && typeof raw.version === "string") {
    return raw.version;
  }
  return "unknown";
}
