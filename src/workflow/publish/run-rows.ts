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
  /** Resolves once {@link settled}. */
  settle(): Promise<void>;
}

/** Rows read for this run alone. */
export function fixedRows(rows: readonly XAccountRow[]): RunRows {
  return { current: () => rows, settled: true, settle: () => Promise.resolve() };
}

/**
 * The run's rows: `read` itself when there are no `earlier` rows (a failed read then fails the run, as before), else
 * `earlier` until `read` arrives. A failed read after earlier rows is dropped here: the run goes on with them, and
 * the read at its end reports the database's failure.
 */
export async function runRows(earlier: readonly XAccountRow[] | undefined, read: Promise<readonly XAccountRow[]>): Promise<RunRows> {
  if (!earlier) return fixedRows(await read);
  let rows = earlier;
  let settled = false;
  const settling = read.then(
    (fresh) => {
      rows = fresh;
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  return {
    current: () => rows,
    get settled() {
      return settled;
    },
    settle: () => settling,
  };
}
