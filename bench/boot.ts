import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testEnvironment } from "../test/support/app-harness.js";
import { parseLogLine, spawnBot } from "../test/support/spawn-bot.js";
import { startTelegramEmulator } from "../test/support/telegram-emulator/index.js";

/** Cold boot to healthy on PGlite: process start → GET /health 200, first run and second run. */
export async function benchBoot(): Promise<void> {
  const tg = await startTelegramEmulator();
  const dataDir = mkdtempSync(join(tmpdir(), "rgb-bench-boot-"));
  try {
    for (const run of ["first run (creates the database)", "second run (reopens it)"]) {
      const started = performance.now();
      const bot = spawnBot(testEnvironment(tg, { DATA_DIR: dataDir, LOG_LEVEL: "info" }), ["node", "--import", "tsx", "src/main.ts"]);
      const line = await bot.waitForLine((l) => parseLogLine(l)?.msg === "reply-guy-bot started", 60_000);
      const port = String(parseLogLine(line)?.http).split(":").at(-1);
      while ((await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.status !== 200) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const healthyMs = performance.now() - started;
      bot.signal("SIGTERM");
      await bot.closed;
      console.log(`boot to healthy, ${run}: ${healthyMs.toFixed(0)} ms`);
    }
  } finally {
    await tg.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
