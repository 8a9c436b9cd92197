import { z } from "zod";
import { emptyToUndefined, text } from "./fields.js";

/** Postgres, or the embedded PGlite in a data directory: `config.database`. */
export const databaseConfig = z
  .object({
    DATABASE_URL: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .trim()
        .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
        .optional(),
    ),
    DATA_DIR: text("./data"),
  })
  .transform((env) => ({
    database: { url: env.DATABASE_URL, dataDir: env.DATA_DIR },
  }));
