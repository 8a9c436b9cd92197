/**
 * Child-process entry: `node pglite-initdb-main.js <directory>` creates an empty PGlite cluster in `<directory>`
 * (initdb) and exits, taking initdb's memory with it (see pglite-cluster.ts).
 */
import { PGlite } from "@electric-sql/pglite";
import { keepWasmOnBaselineCompiler, pgliteOptions } from "./pglite.js";

const directory = process.argv[2];
if (directory === undefined) throw new Error("usage: pglite-initdb-main <directory>");
keepWasmOnBaselineCompiler();
await (await PGlite.create(directory, pgliteOptions())).close();
