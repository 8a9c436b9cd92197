import { formatMs } from "./stats.js";

/** One takeover to time: `kill` ends the leader and resolves with when (ms, one clock for both); `nextLeader` with when another led. */
export interface TakeoverRun {
  readonly kill: () => Promise<number>;
  readonly nextLeader: () => Promise<number>;
}

/**
 * Times `runs` takeovers: each kill lands at a random point of the stand-bys' retry cycle (`intervalMs`), as a real
 * crash would, and is measured from the kill to the moment another replica leads. `prepare` readies run `run`.
 */
export async function measureTakeovers(runs: number, intervalMs: number, prepare: (run: number) => Promise<TakeoverRun>): Promise<number[]> {
  const takeovers: number[] = [];
  for (let run = 0; run < runs; run++) {
    const { kill, nextLeader } = await prepare(run);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * intervalMs));
    const killedAt = await kill();
    takeovers.push((await nextLeader()) - killedAt);
  }
  return takeovers;
}

/** Prints the takeovers under `heading`: median, p95, min, max, and every run. */
export function printTakeovers(heading: string, takeovers: readonly number[]): void {
  console.log(heading);
  console.log(`  ${formatMs(takeovers)}`);
  console.log(`  runs (ms): ${takeovers.map((ms) => ms.toFixed(0)).join(", ")}`);
}
