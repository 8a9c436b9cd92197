// Patches postgres@3.4.9 (postgres.js) against a crash that takes the process down when a
// connection dies with a small write still queued: a scheduled `nextWrite` then calls
// `socket.write` on a null socket from a setImmediate, which no caller can catch
// (upstream issues porsager/postgres#1154 and #1208, fix proposed in PR #1209).
// The guard settles the pending queries with CONNECTION_CLOSED instead, and the teardown paths
// forget the queued write so a reconnected socket never receives stale bytes.
// Idempotent; does nothing when the driver's code no longer matches (a fixed release).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const MARKER = "reply-guy-bot patch";
const root = fileURLToPath(new URL("../node_modules/postgres", import.meta.url));

const replacements = [
  [
    "  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)",
    "  function nextWrite(fn) {\n" +
      `    if (socket === null) { // ${MARKER}: the connection closed with this write queued\n` +
      "      nextWriteTimer !== null && clearImmediate(nextWriteTimer)\n" +
      "      chunk = nextWriteTimer = null\n" +
      "      error(Errors.connection('CONNECTION_CLOSED', options))\n" +
      "      return false\n" +
      "    }\n" +
      "    const x = socket.write(chunk, fn)",
  ],
  [
    "    clearImmediate(nextWriteTimer)\n    if (socket) {",
    `    clearImmediate(nextWriteTimer), chunk = nextWriteTimer = null // ${MARKER}\n    if (socket) {`,
  ],
  [
    "    incomings = null\n    clearImmediate(nextWriteTimer)\n",
    `    incomings = null\n    clearImmediate(nextWriteTimer), chunk = nextWriteTimer = null // ${MARKER}\n`,
  ],
];

for (const variant of ["src", "cjs/src", "cf/src"]) {
  const file = join(root, variant, "connection.js");
  if (!existsSync(file)) continue;
  let source = readFileSync(file, "utf8");
  if (source.includes(MARKER)) continue;
  if (!replacements.every(([from]) => source.includes(from))) {
    console.warn(`patch-postgres: ${variant}/connection.js does not match postgres@3.4.9; left as is`);
    continue;
  }
  for (const [from, to] of replacements) source = source.replace(from, to);
  writeFileSync(file, source);
}
