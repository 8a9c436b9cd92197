import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseLogLine, spawnBot, type SpawnedBot } from "../../test/support/spawn-bot.js";

/** How long a replica may take to boot (tsx compiling on a busy two-core machine). */
const BOOT_TIMEOUT_MS = 90_000;

/** One replica slot: the process in it now (restarts replace it), and how its processes ended. */
export interface Replica {
  readonly name: string;
  bot: SpawnedBot;
  /** Processes of this slot that exited without being killed by the bench. */
  readonly crashes: string[];
}

/** A replica as it logged its start: its role then and its HTTP base URL. */
export interface ReplicaUp {
  readonly role: string;
  readonly http: string;
}

/** Replicas of the bot as real processes (`npm start`), each slot with its own DATA_DIR, on one environment. */
export interface ReplicaSet {
  readonly replicas: readonly Replica[];
  /** Starts a process in the slot (again, after a kill). */
  start(replica: Replica): SpawnedBot;
  /** Resolves once the slot's current process logged its start. */
  up(replica: Replica): Promise<ReplicaUp>;
  /** SIGKILLs the slot's whole process group and waits until it is gone. */
  kill(replica: Replica): Promise<void>;
  /** Whether the slot's current process is running (started, not ended). */
  alive(replica: Replica): boolean;
  /** Whether the slot's current process leads, by its own log: its last leadership line says it leads. */
  leads(replica: Replica): boolean;
  /** Resolves with the slot whose process logs "this replica leads" first from now on, with the log's time (epoch ms). */
  nextLeader(among: readonly Replica[], timeoutMs: number): Promise<{ replica: Replica; at: number }>;
  /** SIGTERMs every live process, then SIGKILLs whatever is left after `graceMs`; removes the data directories. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `count` replicas named `<prefix>1…`; none is awaited (see `up`). */
export function startReplicaSet(prefix: string, count: number, env: Record<string, string>): ReplicaSet {
  const dirs: string[] = [];
  const killing = new Set<SpawnedBot>();
  const ended = new Set<SpawnedBot>();
  const spawnIn = (name: string, crashes: string[], dir: string) => {
    const bot = spawnBot({ ...env, DATA_DIR: dir });
    void bot.closed.then(({ code, signal }) => {
      ended.add(bot);
      if (!killing.has(bot)) crashes.push(`${name} exited (code ${code}, signal ${signal}): ${bot.lines.slice(-3).join(" | ")}`);
    });
    return bot;
  };
  const replicas: Replica[] = [];
  const dirOf = new Map<Replica, string>();
  for (let i = 1; i <= count; i++) {
    const dir = mkdtempSync(join(tmpdir(), `rgb-bench-${prefix}-`));
    dirs.push(dir);
    const name = `${prefix}${i}`;
    const crashes: string[] = [];
    const replica: Replica = { name, crashes, bot: spawnIn(name, crashes, dir) };
    replicas.push(replica);
    dirOf.set(replica, dir);
  }
  const isLeadLine = (line: string) => parseLogLine(line)?.msg === "this replica leads";
  return {
    replicas,
    start(replica) {
      replica.bot = spawnIn(replica.name, replica.crashes, dirOf.get(replica)!);
      return replica.bot;
    },
    async up(replica) {
      const { bot } = replica;
      const exited = bot.closed.then(({ code, signal }) => {
        throw new Error(`${replica.name} exited while booting (code ${code}, signal ${signal}): ${bot.lines.slice(-3).join(" | ")}`);
      });
      const line = await Promise.race([bot.waitForLine((l) => parseLogLine(l)?.msg === "reply-guy-bot started", BOOT_TIMEOUT_MS), exited]);
      const entry = parseLogLine(line);
      return { role: String(entry?.role), http: `http://127.0.0.1:${String(entry?.http).split(":").at(-1)}` };
    },
    async kill(replica) {
      killing.add(replica.bot);
      replica.bot.signal("SIGKILL");
      await replica.bot.closed;
    },
    alive: (replica) => !ended.has(replica.bot),
    leads(replica) {
      const last = replica.bot.lines
        .map((line) => parseLogLine(line)?.msg)
        .filter((msg) => msg === "this replica leads" || msg === "this replica stepped down")
        .at(-1);
      return !ended.has(replica.bot) && last === "this replica leads";
    },
    nextLeader(among, timeoutMs) {
      // Lines already logged by the processes there now; a process started later has logged none.
      const seen = new Map(among.map((replica) => [replica.bot, replica.bot.lines.filter(isLeadLine).length]));
      return new Promise((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const look = () => {
          for (const replica of among) {
            const leads = replica.bot.lines.filter(isLeadLine);
            if (leads.length > (seen.get(replica.bot) ?? 0)) {
              resolve({ replica, at: Date.parse(String(parseLogLine(leads.at(-1)!)?.time)) });
              return;
            }
          }
          if (Date.now() > deadline) reject(new Error(`no replica led within ${timeoutMs} ms`));
          else setTimeout(look, 20);
        };
        look();
      });
    },
    async stop(graceMs = 15_000) {
      const live = replicas.filter((replica) => !ended.has(replica.bot));
      for (const replica of live) {
        killing.add(replica.bot);
        replica.bot.signal("SIGTERM");
      }
      const timer = setTimeout(() => live.forEach((replica) => replica.bot.signal("SIGKILL")), graceMs);
      await Promise.all(live.map((replica) => replica.bot.closed));
      clearTimeout(timer);
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}
