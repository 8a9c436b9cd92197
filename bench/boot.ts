import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { usableTemplate } from "../src/db/pglite-template.js";
import { testEnvironment } from "../test/support/app-harness.js";
import { parseLogLine, spawnBot } from "../test/support/spawn-bot.js";
import { startTelegramEmulator } from "../test/support/telegram-emulator/index.js";

/** A process's resident memory now and at its peak (Linux `/proc/<pid>/status`), in MB. */
function memoryOf(pid: number | undefined): string {
  if (pid === undefined) return "memory unknown";
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const mb = (field: string) => Math.round(Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN) / 1024);
  return `RSS ${mb("VmRSS")} MB idle, peak ${mb("VmHWM")} MB`;
}

/** Idle time before the memory is read: the boot's transient allocations settle. */
const IDLE_MS = 3_000;

/** Cold boot to healthy on PGlite: process start → GET /health 200, first run and second run, and the memory it holds. */
export async function benchBoot(): Promise<void> {
  const tg = await startTelegramEmulator();
  const dataDir = mkdtempSync(join(tmpdir(), "rgb-bench-boot-"));
  try {
    // A first run loads build/pglite-template.tar.gz when it suits this PGlite (npm run db:template), else runs initdb.
    const first = (await usableTemplate()) ? "first run (loads the pre-made cluster)" : "first run (initdb: no template)";
    for (const run of [first, "second run (reopens it)"]) {
      const started = performance.now();
      const bot = spawnBot(testEnvironment(tg, { DATA_DIR: dataDir, LOG_LEVEL: "info" }), ["node", "--import", "tsx", "src/main.ts"]);
      const line = await bot.waitForLine((l) => parseLogLine(l)?.msg === "reply-guy-bot started", 60_000);
      const port = String(parseLogLine(line)?.http).split(":").at(-1);
      while ((await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.status !== 200) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const healthyMs = performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
      const memory = memoryOf(bot.child.pid);
      bot.signal("SIGTERM");
      await bot.closed;
      console.log(`boot to healthy, ${run}: ${healthyMs.toFixed(0)} ms; ${memory}`);
    }
  } finally {
    await tg.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
