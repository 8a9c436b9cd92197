import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** A command run in a pseudo-terminal (util-linux `script`), driven like an operator at a keyboard. */
export interface PtySession {
  readonly child: ChildProcess;
  /** Everything the terminal showed so far, as written (with escape sequences). */
  output(): string;
  /** The output with ANSI escape sequences removed, for matching. */
  screen(): string;
  /**
   * Resolves when `pattern` appears in {@link screen} after `since` characters of it (default: anywhere), with the
   * position in the screen just past the match.
   */
  waitFor(pattern: string | RegExp, options?: { since?: number; timeoutMs?: number }): Promise<number>;
  /** Types `keys` (use "\r" for Enter). */
  type(keys: string): void;
  /** Resolves with the exit code of the command. */
  readonly exited: Promise<number | null>;
  kill(): void;
}

// eslint-disable-next-line no-control-regex -- the escape sequences are exactly what it removes
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[()][0-9A-B]|\u001b[=>78]/g;

/**
 * Runs `command` (a shell command line) in the repository under `script -qfec`, which gives it a pty: prompt
 * libraries that need a TTY (raw mode, cursor moves) then behave as in a real terminal, including its echo rules.
 */
export function spawnInPty(command: string, env: Record<string, string>): PtySession {
  // A wide terminal: inquirer wraps at the width, and a prompt cut in two would not match.
  const child = spawn("script", ["-qfec", `stty cols 200 rows 50; exec ${command}`, "/dev/null"], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", TERM: "xterm-256color", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let raw = "";
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer): void => {
    raw += chunk.toString("utf8");
    for (const listener of listeners) listener();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const screen = (): string => raw.replace(ANSI, "");
  return {
    child,
    output: () => raw,
    screen,
    exited,
    type(keys) {
      child.stdin?.write(keys);
    },
    kill() {
      child.kill("SIGKILL");
    },
    waitFor(pattern, { since = 0, timeoutMs = 20_000 } = {}) {
      const found = (): number | undefined => {
        const text = screen().slice(since);
        const match = typeof pattern === "string" ? { index: text.indexOf(pattern), length: pattern.length } : pattern.exec(text);
        if (match === null || match.index === -1) return undefined;
        return since + match.index + (typeof pattern === "string" ? pattern.length : (match as RegExpExecArray)[0].length);
      };
      const now = found();
      if (now !== undefined) return Promise.resolve(now);
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const end = found();
          if (end === undefined) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve(end);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`pty: ${String(pattern)} did not appear within ${timeoutMs} ms; screen:\n${screen().slice(-3000)}`));
        }, timeoutMs);
        listeners.add(check);
      });
    },
  };
}
