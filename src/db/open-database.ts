import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { DatabaseHandle } from "./database.js";
import { openPglite } from "./pglite.js";
import { openPostgres } from "./postgres.js";

/** Opens the configured database: PostgreSQL when `DATABASE_URL` is set, else PGlite in `DATA_DIR`. */
export async function openDatabase(config: Config, logger: Logger): Promise<DatabaseHandle> {
  if (config.database.url !== undefined) return openPostgres(config.database.url, logger);
  return openPglite(config.database.dataDir);
}
