import { constants } from "node:fs";
import { access, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Config } from "../config.js";
import { fail, ok, reasonOf, skip, type DoctorCheck } from "./check.js";

const NAME = "DATA_DIR";

/** The closest existing directory at or above `path`. */
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

/**
 * The embedded database's directory (its files, the data-dir lock and the generated encryption key): it exists and
 * a file can be written in it, or it can be created. Writes and removes one empty file; never changes anything else.
 */
export function dataDirCheck(config: Config): DoctorCheck {
  const fix = `make ${config.database.dataDir} writable by the user the bot runs as (uid ${process.getuid?.() ?? "?"}), or set DATA_DIR`;
  return {
    name: NAME,
    onTimeout: "check the file system of DATA_DIR",
    async run() {
      const dir = config.database.dataDir;
      if (config.database.url !== undefined) return skip(NAME, "not used (DATABASE_URL is set)");
      const ancestor = await existingAncestor(dir);
      if (ancestor !== resolve(dir)) {
        try {
          await access(ancestor, constants.W_OK | constants.X_OK);
        } catch {
          return fail(NAME, `${dir} does not exist and ${ancestor} is not writable`, fix);
        }
        return ok(NAME, `${dir} does not exist yet; the bot creates it (${ancestor} is writable)`);
      }
      if (!(await stat(dir)).isDirectory()) return fail(NAME, `${dir} is not a directory`, "set DATA_DIR to a directory");
      const probe = join(dir, `.doctor-${process.pid}`);
      try {
        await writeFile(probe, "", { flag: "wx" });
        await rm(probe, { force: true });
      } catch (error) {
        return fail(NAME, `${dir} is not writable (${reasonOf(error)})`, fix);
      }
      return ok(NAME, `${dir} is writable`);
    },
  };
}
