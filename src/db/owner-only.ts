import { chmod, lstat, readdir } from "node:fs/promises";
import { join } from "node:path";

/**
 * Makes `root` and everything under it the owner's only: directories 0700, files 0600. PGlite unpacks its initial
 * cluster with mode 0666 whatever the umask (files it creates later do follow the umask), so a fresh or older data
 * directory is tightened once at open. Symbolic links are left alone.
 */
export async function restrictToOwner(root: string): Promise<void> {
  const stat = await lstat(root);
  if (stat.isSymbolicLink()) return;
  if (!stat.isDirectory()) {
    if ((stat.mode & 0o777) !== 0o600) await chmod(root, 0o600);
    return;
  }
  if ((stat.mode & 0o777) !== 0o700) await chmod(root, 0o700);
  for (const name of await readdir(root)) await restrictToOwner(join(root, name));
}
