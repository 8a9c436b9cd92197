/** `--name N` from the arguments, else the environment variable, else the default; a bad value stops the bench. */
export function countOption(name: string, variable: string, fallback: number, max: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const raw = at >= 0 ? process.argv[at + 1] : process.env[variable];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new Error(`--${name} / ${variable} must be an integer from 1 to ${max}, got ${raw}`);
  return value;
}
