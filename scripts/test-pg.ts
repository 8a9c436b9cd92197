// Runs the test suite with the database tests also on a real PostgreSQL server.
// TEST_DATABASE_URL defaults to the local server used in CI (trust auth, database "test").
// Process-level and test-rig files never touch TEST_DATABASE_URL: they ran already in `npm test`.
import { spawnSync } from "node:child_process";

const env = { ...process.env, TEST_DATABASE_URL: process.env.TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test" };
const skip = ["--exclude", "test/process/**", "--exclude", "test/rig/**"];
const result = spawnSync("npx", ["vitest", "run", ...skip, ...process.argv.slice(2)], { stdio: "inherit", env });
process.exit(result.status ?? 1);
