import cron from "node-cron";
import { z } from "zod";

/** An empty or blank variable counts as unset, so `NAME=` in an env file falls back to the default. */
export const emptyToUndefined = (value: unknown): unknown =>
  typeof value === "string" && value.trim() === "" ? undefined : value;

/** A trimmed string that may be unset. */
export const optionalString = z.preprocess(emptyToUndefined, z.string().trim().optional());

/** A trimmed string with a default. */
export const text = (fallback: string) => z.preprocess(emptyToUndefined, z.string().trim().default(fallback));

/** A whole number in [min, max] with a default. */
export const integer = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(
    emptyToUndefined,
    z.coerce
      .number({ error: "must be a whole number" })
      .int("must be a whole number")
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`)
      .default(fallback),
  );

/** A URL with a default; trailing slashes are dropped so paths can be appended. */
export const url = (fallback: string) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .trim()
      .url("must be a URL like https://host/path")
      .default(fallback)
      .transform((value) => value.replace(/\/+$/, "")),
  );

/** A node-cron expression with a default. */
export const cronExpression = (fallback: string) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .trim()
      .default(fallback)
      .refine((value) => cron.validate(value), "must be a cron expression (5 fields, or 6 with seconds first)"),
  );

/** true/false, 1/0 or yes/no with a default. */
export const boolean = (fallback: boolean) =>
  z.preprocess(
    emptyToUndefined,
    z
      .enum(["true", "false", "1", "0", "yes", "no"], { error: "must be true or false" })
      .optional()
      .transform((value) => (value === undefined ? fallback : ["true", "1", "yes"].includes(value))),
  );

/** A comma list of the non-empty trimmed items; unset = []. */
export const commaList = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .optional()
    .transform((value) => (value ?? "").split(",").map((item) => item.trim()).filter((item) => item !== "")),
);
