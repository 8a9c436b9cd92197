import { z } from "zod";
import { emptyToUndefined, integer, text } from "./fields.js";
import { group, setting } from "./group.js";

/** Postgres, or the embedded PGlite in a data directory. */
export const databaseConfig = group({
  database: {
    url: setting(
      "DATABASE_URL",
      z.preprocess(
        emptyToUndefined,
        z
          .string()
          .trim()
          .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
          .optional(),
      ),
    ),
    dataDir: setting("DATA_DIR", text("./data")),
    // With DATABASE_URL, replicas elect one leader; a stand-by takes over within this many seconds of its death.
    leaderTakeoverSeconds: setting("LEADER_TAKEOVER_SECONDS", integer(10, 1, 600)),
  },
});
