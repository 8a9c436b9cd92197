import type { XAccountRow } from "../accounts.js";

/**
 * The account rows a publish run chooses from. A run starts on the rows the last run read at its end, so a
 * wake-up's first claim does not wait for a read of its own (the claim checks the account's row anyway); the run's
 * own read replaces them as soon as it arrives, and the run never ends on the older rows: when they show no account
 * ready, the run waits for its own read and looks again.
 */
export interface RunRows {
  /** The freshest rows at hand. */
  current(): readonly XAccountRow[];
  /** Whether the run's own read has arrived (or failed: the older rows then stay). */
  readonly settled: boolean;
  /** Sends the run's own read if it is not out yet, without waiting for it. */
  begin(): void;
  /** Sends the run's own read if need be, and resolves once {@link settled}. */
  settle(): Promise<void>;
}

/** Rows read for this run alone. */
export function fixedRows(rows: readonly XAccountRow[]): RunRows {
  return { current: () => rows, settled: true, begin: () => undefined, settle: () => Promise.resolve() };
}

/**
 * The run's rows: `read()` itself when there are no `earlier` rows (a failed read then fails the run, as before), else
 * `earlier` until the read, sent only at {@link RunRows.begin} or {@link RunRows.settle}, arrives: the publisher
 * begins it once its first claim is answered and on its way to X, so neither the claim nor the X call is built or served
 * behind it (postgres.js sends a statement from a setImmediate, after whatever the tick builds first). A failed read after earlier rows is dropped
 * here: the run goes on with them, and the read at its end reports the database's failure.
 */
export async function runRows(earlier: readonly XAccountRow[] | undefined, read: () => Promise<readonly XAccountRow[]>): Promise<RunRows> {
  if (!earlier) return fixedRows(await read());
  let rows = earlier;
  let settled = false;
  let settling: Promise<void> | undefined;
  const begin = () =>
    (settling ??= read().then(
      (fresh) => {
        rows = fresh;
        settled = true;
      },
      () => {
        settled = true;
      },
    ));
  return {
    current: () => rows,
    get settled() {
      return settled;
    },
    begin: () => void begin(),
    settle: begin,
  };
}
