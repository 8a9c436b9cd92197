import { benchBoot } from "./boot.js";
import { benchBulk } from "./bulk.js";
import { benchCrashSoak } from "./crash-soak.js";
import { benchFailover } from "./failover.js";
import { benchHealth } from "./health.js";
import { benchLatency } from "./latency.js";
import { benchLeader } from "./leader.js";
import { benchTorture } from "./torture.js";
import { benchQueue } from "./queue.js";
import { benchUpdates } from "./updates.js";
import { benchWake } from "./wake.js";

/** Every benchmark; `npm run bench -- NAME…` runs some. Figures are printed, never asserted. */
const benches: Record<string, () => Promise<void>> = {
  boot: benchBoot,
  updates: benchUpdates,
  latency: benchLatency,
  health: benchHealth,
  "crash-soak": benchCrashSoak,
  failover: benchFailover,
  bulk: benchBulk,
  leader: benchLeader,
  wake: benchWake,
  torture: benchTorture,
  queue: benchQueue,
};

// Names only: options such as `--accounts 3` are read by the bench itself.
const only = process.argv.slice(2).filter((arg) => arg in benches);
for (const [name, bench] of Object.entries(benches)) {
  if (only.length > 0 && !only.includes(name)) continue;
  console.log(`\n== ${name} ==`);
  await bench();
}
