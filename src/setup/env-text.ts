import { parseEnv } from "node:util";

/** A variable line of an env file, active (`NAME=…`, `export NAME=…`) or commented out (`# NAME=…`). */
const LINE = /^(\s*)(#\s*)?(export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/;

/** Thrown when a value cannot be written so that the bot's env parser reads it back unchanged. */
export class UnwritableValueError extends Error {
  constructor(readonly variable: string) {
    super(`${variable}: this value cannot be written to an env file (a line break, or every kind of quote at once)`);
    this.name = "UnwritableValueError";
  }
}

/**
 * `NAME=value` written so that Node's `parseEnv` (what the bot reads .env with) gives back exactly `value`: bare
 * when it survives as is, else in the first quotes that do (a bare `#` starts a comment, bare spaces are trimmed).
 */
export function envLine(variable: string, value: string): string {
  if (!value.includes("\n")) {
    for (const candidate of [value, `'${value}'`, `"${value}"`, `\`${value}\``]) {
      const line = `${variable}=${candidate}`;
      if (parseEnv(line)[variable] === value) return line;
    }
  }
  throw new UnwritableValueError(variable);
}

/**
 * The env file `base` with `updates` applied: the last active line of each variable gets its new value in place
 * (comments and the order around it kept); a variable only commented out takes the place of its last commented
 * line (how .env.example shows an unset one); any other goes at the end. `undefined` comments its lines out.
 */
export function applyUpdates(base: string, updates: ReadonlyMap<string, string | undefined>): string {
  const lines = base === "" ? [] : base.replace(/\n$/, "").split("\n");
  const active = new Map<string, number[]>();
  const commented = new Map<string, number>();
  lines.forEach((line, index) => {
    const match = LINE.exec(line);
    if (match?.[4] === undefined) return;
    if (match[2] === undefined) active.set(match[4], [...(active.get(match[4]) ?? []), index]);
    else commented.set(match[4], index);
  });
  const appended: string[] = [];
  for (const [variable, value] of updates) {
    if (value === undefined) {
      // Every active line: an earlier duplicate would otherwise come back into force.
      for (const index of active.get(variable) ?? []) lines[index] = `# ${variable}=`;
      continue;
    }
    const index = active.get(variable)?.at(-1) ?? commented.get(variable);
    if (index !== undefined) {
      lines[index] = envLine(variable, value);
    } else {
      appended.push(envLine(variable, value));
    }
  }
  return `${[...lines, ...appended].join("\n")}\n`;
}
