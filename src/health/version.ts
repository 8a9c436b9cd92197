import { readFileSync } from "node:fs";
import { z } from "zod";

const packageJson = z.object({ version: z.string() });

/** The bot's version, read from package.json (valid from `src/` and from `dist/`). */
export function readVersion(): string {
  return packageJson.parse(JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"))).version;
}
