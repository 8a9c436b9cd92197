import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** A bot started as a real process with `npm start`, its output captured line by line. */
export interface SpawnedBot {
  readonly child: ChildProcess;
  /** stdout and stderr lines so far. */
  readonly lines: string[];
  /** Resolves with the first line (past or future) that matches. */
  waitForLine(predicate: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves when the whole process group has exited and closed its output. */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal to the whole process group, as a process manager does. */
  signal(signal: NodeJS.Signals): void;
}

/** Runs `npm start` in the repository with exactly `env` (plus PATH/HOME) and no .env file. */
export function spawnBot(env: Record<string, string>, command: readonly string[] = ["npm", "start"]): SpawnedBot {
  const child = spawn(command[0]!, command.slice(1), {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ENV_FILE: "/nonexistent/.env", ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  const collect = (stream: NodeJS.ReadableStream | null) => {
    let buffer = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      buffer += chunk;
      const parts = buffer.split("\n");
      buffer = parts.pop() ?? "";
      for (const line of parts) {
        lines.push(line);
        for (const listener of listeners) listener(line);
      }
    });
  };
  collect(child.stdout);
  collect(child.stderr);
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    lines,
    closed,
    waitForLine(predicate, timeoutMs = 20_000) {
      const existing = lines.find(predicate);
      if (existing !== undefined) return Promise.resolve(existing);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error(`no matching line within ${timeoutMs} ms; output:\n${lines.join("\n")}`));
        }, timeoutMs);
        const listener = (line: string) => {
          if (!predicate(line)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(line);
        };
        listeners.add(listener);
      });
    },
    signal(signal) {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, signal);
        } catch {
          // the group is already gone
        }
      }
    },
  };
}

/** Parses one pino JSON line, or returns undefined for other output. */
export function parseLogLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Where a started bot serves HTTP and whether it leads, from its "reply-guy-bot started" line (waited for). */
export async function startedReplica(bot: SpawnedBot, timeoutMs = 60_000): Promise<{ role: string; http: string }> {
  const entry = parseLogLine(await bot.waitForLine((l) => parseLogLine(l)?.msg === "reply-guy-bot started", timeoutMs));
  return { role: String(entry?.role), http: `http://127.0.0.1:${String(entry?.http).split(":").at(-1)}` };
}
