import { existsSync, readFileSync } from "node:fs";
import { parseEnv } from "node:util";

/**
 * Returns the process environment overlaid on the variables of an optional `.env` file.
 * Real environment variables win, so a deployment can override any line of the file.
 */
export function readEnvironment(env: NodeJS.ProcessEnv, path = env.ENV_FILE ?? ".env"): NodeJS.ProcessEnv {
  if (!existsSync(path)) return env;
  const fromFile = parseEnv(readFileSync(path, "utf8"));
  return { ...fromFile, ...env };
}
