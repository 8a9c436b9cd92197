import { rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Config } from "../config.js";
import { fail, ok, reasonOf, skip, type DoctorCheck } from "./check.js";

const NAME = "DATA_DIR";

/** The closest existing path at or above `path`. */
async function existingAncestor(path: string): Promise<string> {
  let current = resolve(path);
  for (;;) {
    try {
      await stat(current);
      return current;
    } catch {
      const parent = dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

/** Writes and removes one empty file in `dir`: the only test that also sees read-only mounts and root squash. */
async function writable(dir: string): Promise<string | undefined> {
  const probe = join(dir, `.doctor-${process.pid}`);
  try {
    await writeFile(probe, "", { flag: "wx" });
    await rm(probe, { force: true });
    return undefined;
  } catch (error) {
    return reasonOf(error);
  }
}

/**
 * The embedded database's directory (its files, the data-dir lock and the generated encryption key): a directory a
 * file can be written in, or one the bot can create. Writes and removes one empty file; changes nothing else.
 */
export function dataDirCheck(config: Config): DoctorCheck {
  const dir = config.database.dataDir;
  const fix = `make it writable by the user the bot runs as (uid ${process.getuid?.() ?? "?"}), or set DATA_DIR`;
  return {
    name: NAME,
    onTimeout: "check the file system of DATA_DIR",
    async run() {
      if (config.database.url !== undefined) return skip(NAME, "not used (DATABASE_URL is set)");
      const ancestor = await existingAncestor(dir);
      if (!(await stat(ancestor)).isDirectory()) return fail(NAME, `${ancestor} is not a directory`, "set DATA_DIR to a directory");
      const problem = await writable(ancestor);
      if (ancestor === resolve(dir)) return problem === undefined ? ok(NAME, `${dir} is writable`) : fail(NAME, `${dir} is not writable (${problem})`, fix);
      if (problem !== undefined) return fail(NAME, `${dir} does not exist and cannot be created: ${ancestor} is not writable (${problem})`, fix);
      return ok(NAME, `${dir} does not exist yet; the bot creates it (${ancestor} is writable)`);
    },
  };
}
