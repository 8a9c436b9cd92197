import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type * as schema from "./schema.js";

/** The drizzle database every module above the driver uses, whichever driver runs below. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

/** Which engine backs the database: embedded PGlite or a PostgreSQL server. */
export type DatabaseKind = "pglite" | "postgres";

/** An open database and the means to check and close it. */
export interface DatabaseHandle {
  readonly db: Database;
  readonly kind: DatabaseKind;
  /** Applies the committed drizzle migrations (safe to call from several replicas at once). */
  migrate(): Promise<void>;
  /** Round-trips a trivial query; resolves with the latency in milliseconds. */
  ping(): Promise<number>;
  close(): Promise<void>;
}
