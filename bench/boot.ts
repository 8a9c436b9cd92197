import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { usableTemplate } from "../src/db/pglite-template.js";
import { testEnvironment } from "../test/support/app-harness.js";
import { parseLogLine, spawnBot } from "../test/support/spawn-bot.js";
import { startTelegramEmulator } from "../test/support/telegram-emulator/index.js";
import { withScratchDatabase } from "./scratch-db.js";

/** A process's resident memory now and at its peak (Linux `/proc/<pid>/status`), in MB. */
function memoryOf(pid: number | undefined): string {
  if (pid === undefined) return "memory unknown";
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const mb = (field: string) => Math.round(Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN) / 1024);
  return `RSS ${mb("VmRSS")} MB idle, peak ${mb("VmHWM")} MB`;
}

/**
 * Where a process's resident memory sits (Linux `/proc/<pid>/smaps`), in MB: WebAssembly memory (PGlite's heap: the
 * one anonymous read-write mapping of 128 MB or more), the rest of the anonymous memory (V8's heap, compiled code,
 * Node's buffers), the C heap, and files (the node binary and libraries).
 */
function breakdownOf(pid: number | undefined): string {
  if (pid === undefined) return "";
  const totals = { wasm: 0, anon: 0, malloc: 0, files: 0 };
  let bucket: keyof typeof totals = "anon";
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const mapping = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) {
      const [, from = "0", to = "0", perms, name = ""] = mapping;
      const mb = (parseInt(to, 16) - parseInt(from, 16)) / 1048576;
      bucket = name.startsWith("/") ? "files" : name === "[heap]" ? "malloc" : perms === "rw-p" && mb >= 128 && !name ? "wasm" : "anon";
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line)?.[1];
    if (rss !== undefined) totals[bucket] += Number(rss) / 1024;
  }
  return ` (wasm heap ${Math.round(totals.wasm)}, other anonymous ${Math.round(totals.anon)}, malloc ${Math.round(totals.malloc)}, files ${Math.round(totals.files)})`;
}

/** The bot's own view of its V8 heap and external memory (prom-client's default metrics on GET /metrics), in MB. */
async function heapOf(port: string): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const mb = (metric: string) => Math.round(Number(new RegExp(`^${metric} (\\S+)`, "m").exec(text)?.[1] ?? Number.NaN) / 1048576);
  return `; V8 heap ${mb("rgb_nodejs_heap_size_used_bytes")} used of ${mb("rgb_nodejs_heap_size_total_bytes")}, external ${mb("rgb_nodejs_external_memory_bytes")}`;
}

/** The peak resident memory (MB) of `pid`'s child processes seen so far, e.g. the initdb child of a first start. */
function childPeakOf(pid: number | undefined, seen: Map<number, number>): void {
  if (pid === undefined) return;
  try {
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(" ").filter(Boolean)) {
      const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child}/status`, "utf8"))?.[1];
      if (hwm !== undefined) seen.set(Number(child), Math.round(Number(hwm) / 1024));
    }
  } catch {
    // The child (or the bot) exited between two reads: what was seen stands.
  }
}

/** Idle time before the memory is read: the boot's transient allocations settle. */
const IDLE_MS = 3_000;

/** How the bot is started: from the TypeScript sources (tsx), or with `--dist` as the Docker image runs it (`npm run build` first). */
const BOT_COMMAND = process.argv.includes("--dist") ? ["node", "dist/main.js"] : ["node", "--import", "tsx", "src/main.ts"];

/** Boots the bot once with `env` and prints how long it took to be healthy and the memory it holds once idle. */
async function bootOnce(run: string, env: Record<string, string>): Promise<void> {
  const started = performance.now();
  const bot = spawnBot(env, BOT_COMMAND);
  const children = new Map<number, number>();
  const watch = setInterval(() => childPeakOf(bot.child.pid, children), 20);
  const line = await bot.waitForLine((l) => parseLogLine(l)?.msg === "reply-guy-bot started", 60_000).finally(() => clearInterval(watch));
  const port = String(parseLogLine(line)?.http).split(":").at(-1) ?? "";
  while ((await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.status !== 200) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const healthyMs = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  const memory = memoryOf(bot.child.pid) + breakdownOf(bot.child.pid) + (await heapOf(port));
  bot.signal("SIGTERM");
  await bot.closed;
  const childPeak = children.size > 0 ? `; child process peak ${Math.max(...children.values())} MB` : "";
  console.log(`boot to healthy, ${run}: ${healthyMs.toFixed(0)} ms; ${memory}${childPeak}`);
}

/**
 * Cold boot to healthy on PGlite: process start → GET /health 200, first run and second run, and the memory it
 * holds; then the same bot on the bench's PostgreSQL server (when it answers) as the reference.
 */
export async function benchBoot(): Promise<void> {
  const tg = await startTelegramEmulator();
  const dataDir = mkdtempSync(join(tmpdir(), "rgb-bench-boot-"));
  try {
    // A first run unpacks build/pglite-template.tar.gz when it suits this PGlite (npm run db:template), else runs initdb.
    const first = (await usableTemplate()) ? "first run (unpacks the pre-made cluster)" : "first run (initdb in a child process: no template)";
    for (const run of [first, "second run (reopens it)"]) {
      await bootOnce(run, testEnvironment(tg, { DATA_DIR: dataDir, LOG_LEVEL: "info" }));
    }
    await withScratchDatabase("boot", (url) =>
      bootOnce("reference on PostgreSQL", testEnvironment(tg, { DATA_DIR: dataDir, DATABASE_URL: url, LOG_LEVEL: "info" })),
    ).catch((error: unknown) => console.log(`reference on PostgreSQL skipped: ${String(error)}`));
  } finally {
    await tg.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
