import { describe, expect, it } from "vitest";
import { fail, ok, skip, warn, type CheckLine, type DoctorCheck } from "../../src/doctor/check.js";
import { formatLine, formatSummary } from "../../src/doctor/printer.js";
import { exitCodeOf, runChecks } from "../../src/doctor/runner.js";

const check = (name: string, run: DoctorCheck["run"], timeLimitMs?: number): DoctorCheck => ({
  name,
  onTimeout: `look at ${name}`,
  run,
  ...(timeLimitMs === undefined ? {} : { timeLimitMs }),
});

describe("doctor: running and printing the checks", () => {
  it("gives a check that never answers one failed line after its timeout, and still prints the others in order", async () => {
    const printed: CheckLine[] = [];
    const lines = await runChecks(
      [
        check("Hung", () => new Promise<never>(() => undefined)),
        check("Quick", () => Promise.resolve(ok("Quick", "fine"))),
        check("Two", () => Promise.resolve([ok("Two a", "fine"), warn("Two b", "hmm", "look")])),
      ],
      { timeoutMs: 200, print: (line) => printed.push(line) },
    );
    expect(lines.map((line) => formatLine(line, []))).toEqual([
      "✗ Hung: no answer within 0.2 s — look at Hung",
      "✓ Quick: fine",
      "✓ Two a: fine",
      "! Two b: hmm — look",
    ]);
    expect(printed).toEqual(lines);
  });

  it("turns a check that throws into its failed line, and honours a check's own time limit", async () => {
    const lines = await runChecks(
      [
        check("Broken", () => Promise.reject(new Error("boom", { cause: Object.assign(new Error("connect refused"), { code: "ECONNREFUSED" }) }))),
        check("Slow but allowed", () => new Promise((resolve) => setTimeout(() => resolve(ok("Slow but allowed", "done")), 150)), 2_000),
      ],
      { timeoutMs: 50, print: () => undefined },
    );
    expect(lines.map((line) => formatLine(line, []))).toEqual(["✗ Broken: ECONNREFUSED: connect refused — look at Broken", "✓ Slow but allowed: done"]);
  });

  it("masks every secret and URL password in a printed line, and keeps it on one line", () => {
    const line = fail("Thing", "request to http://127.0.0.1/bot123456:SECRET-token/getMe failed\nat postgres://bot:pw-1234567@db/x", "check it");
    const printed = formatLine(line, ["123456:SECRET-token"]);
    expect(printed).toBe("✗ Thing: request to http://127.0.0.1/bot[REDACTED]/getMe failed at postgres://bot:[REDACTED]@db/x — check it");
  });

  it("exits 1 on any failure, 0 with warnings and unconfigured parts, and sums the run up", () => {
    const passing = [ok("A", "a"), warn("B", "b"), skip("C", "c")];
    expect(exitCodeOf(passing)).toBe(0);
    expect(formatSummary(passing)).toBe("ready, with warnings: 1 ok, 1 warning, 0 failed, 1 not configured");
    const failing = [...passing, fail("D", "d", "fix d")];
    expect(exitCodeOf(failing)).toBe(1);
    expect(formatSummary(failing)).toBe("not ready: 1 ok, 1 warning, 1 failed, 1 not configured");
  });
});
