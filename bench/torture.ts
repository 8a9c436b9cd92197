import { tortureKillStorm } from "./torture/kill-storm.js";
import { tortureLeaderKill } from "./torture/leader-kill.js";
import { torturePostgresRestart } from "./torture/pg-restart.js";

/** The scenarios by name: `npm run bench -- torture kills|pg-restart|takeover` runs some, all by default. */
const SCENARIOS: Record<string, () => Promise<string[]>> = {
  kills: tortureKillStorm,
  "pg-restart": torturePostgresRestart,
  takeover: tortureLeaderKill,
};

/**
 * Torture: replicas of the bot as real processes on the local PostgreSQL, against the Telegram emulator, the fake X
 * and the fake OpenAI. Figures are printed, never asserted; a correctness violation (a duplicate reply, a lost reply,
 * a duplicate card, a process that exits by itself) prints FAIL and sets a non-zero exit code.
 */
export async function benchTorture(): Promise<void> {
  const asked = process.argv.slice(2).filter((arg) => arg in SCENARIOS);
  const violations: string[] = [];
  const started = performance.now();
  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    if (asked.length > 0 && !asked.includes(name)) continue;
    violations.push(...(await scenario()).map((problem) => `${name}: ${problem}`));
  }
  console.log(`torture: ${((performance.now() - started) / 1000).toFixed(0)} s in all`);
  if (violations.length === 0) {
    console.log("torture: ok");
    return;
  }
  for (const violation of violations) console.log(`  ${violation}`);
  console.log("torture: FAIL");
  process.exitCode = 1;
}
