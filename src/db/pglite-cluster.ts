import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { unpackTemplate, usableTemplate } from "./pglite-template.js";

/** The script that runs initdb in a child process (same extension as this module: `.ts` from src, `.js` from dist). */
const INITDB_SCRIPT = fileURLToPath(new URL(`./pglite-initdb-main${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/** How much of a failed child's stderr an error quotes. */
const STDERR_TAIL_CHARS = 2_000;

/** Raised when the embedded database of a data directory cannot be created; its message names the directory. */
export class ClusterCreationError extends Error {
  override readonly name = "ClusterCreationError";
}

/**
 * Runs initdb for `target` in a child process. WebAssembly memory only grows, so initdb's ~650–740 MB heap would
 * stay with the bot for good; a child's goes back to the system when it exits.
 */
export async function initdbInChild(target: string, script: string = INITDB_SCRIPT): Promise<void> {
  const loader = script.endsWith(".ts") ? ["--import", "tsx"] : [];
  const child = spawn(process.execPath, [...loader, script, target], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  if (code !== 0) {
    throw new ClusterCreationError(`could not create the embedded database in ${target}: initdb exited with ${String(code)}: ${stderr.trim()}`);
  }
}

/**
 * Creates the cluster of a first start in `directory` (absent or empty): unpacked from `template` when it suits
 * this PGlite release, else made by initdb in a child process. It is built beside `directory` and renamed into
 * place, so an interrupted first start leaves no half-made cluster.
 */
export async function createCluster(directory: string, template: string, initdb = initdbInChild): Promise<void> {
  const building = mkdtempSync(join(dirname(directory), ".pglite-new-"));
  try {
    const bytes = await usableTemplate(template);
    if (bytes) unpackTemplate(bytes, building);
    else await initdb(building);
    renameSync(building, directory);
  } catch (error) {
    if (error instanceof ClusterCreationError) throw error;
    throw new ClusterCreationError(`could not create the embedded database in ${directory}: ${String(error)}`, { cause: error });
  } finally {
    if (existsSync(building)) rmSync(building, { recursive: true, force: true });
  }
}
