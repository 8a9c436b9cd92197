import { fileURLToPath } from "node:url";

/** Absolute path of the committed drizzle migrations, valid from `src/` and from a compiled `dist/`. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../drizzle", import.meta.url));
