/** How many links a walk follows: a cause cycle (or a pathological chain) must not loop forever. */
const MAX_DEPTH = 5;

/**
 * Yields `error`, then its `.cause`, then that one's `.cause`…, at most `maxDepth` links; stops at the first link
 * that is falsy or has no `cause` (drivers wrap errors this way: drizzle → pg/PGlite, fetch → undici).
 */
export function* errorChain(error: unknown, maxDepth = MAX_DEPTH): Generator<unknown, void, undefined> {
  for (let current: unknown = error, depth = 0; current && depth < maxDepth; depth++) {
    yield current;
    current = typeof current === "object" && "cause" in current ? current.cause : undefined;
  }
}

/** The first link of the error's cause chain that satisfies `predicate`, or undefined. */
export function findInChain(error: unknown, predicate: (link: unknown) => boolean, maxDepth = MAX_DEPTH): unknown {
  for (const link of errorChain(error, maxDepth)) if (predicate(link)) return link;
  return undefined;
}

/** The `code` property of an error (Node and Postgres errors carry a string code), or undefined. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  return typeof error.code === "string" ? error.code : undefined;
}

/** The message of the deepest cause (drizzle's "Failed query: …" wraps the database's own words), for a stored reason. */
export function rootMessage(error: unknown): string {
  let message = String(error);
  for (const link of errorChain(error)) message = link instanceof Error ? link.message : String(link);
  return message;
}
