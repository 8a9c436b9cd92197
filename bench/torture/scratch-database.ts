import { openPostgres } from "../../src/db/postgres.js";
import { silentLogger } from "../../test/support/logger.js";
import { createScratchDatabase, type ScratchDatabase } from "../scratch-db.js";

/**
 * A scratch database on the bench server (see scratch-db.ts), migrated once from the bench so replicas started
 * together do not race each other's migrations.
 */
export async function createMigratedScratchDatabase(prefix: string): Promise<ScratchDatabase> {
  const scratch = await createScratchDatabase(prefix);
  const handle = openPostgres(scratch.url, silentLogger());
  try {
    await handle.migrate();
  } finally {
    await handle.close();
  }
  return scratch;
}
