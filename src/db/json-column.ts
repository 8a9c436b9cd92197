import { customType } from "drizzle-orm/pg-core";

/**
 * A jsonb column read back exactly as stored. Both drivers (postgres.js and PGlite) decode jsonb themselves;
 * drizzle's own `jsonb` then decodes a string value a second time, so a stored string that is itself JSON text
 * (a persona of "1234567890", or one in quotes) came back as a number or a shorter string.
 */
export const jsonb = customType<{ data: unknown; driverData: unknown }>({
  dataType: () => "jsonb",
  toDriver: (value) => JSON.stringify(value),
});
