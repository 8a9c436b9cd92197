import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "..");
const depcruise = join(root, "node_modules", ".bin", "depcruise");
const config = join(root, ".dependency-cruiser.cjs");

interface Violation {
  readonly rule: { readonly name: string };
  readonly from: string;
  readonly to: string;
}

/** Runs the lint's architecture check on a tree of files; resolves with the rules it broke. */
async function violations(files: Record<string, string>): Promise<Violation[]> {
  const dir = mkdtempSync(join(tmpdir(), "rgb-arch-"));
  try {
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext" } }));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const result = await run(depcruise, ["src", "--config", config, "--output-type", "json"], { cwd: dir }).catch(
      (error: { stdout: string }) => error,
    );
    const report = JSON.parse(result.stdout) as { summary: { violations: Violation[] } };
    return report.summary.violations;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const exportOne = "export const one = 1;\n";

describe("architecture check (the rule in npm run lint)", () => {
  let broken: Violation[];
  beforeAll(async () => {
    broken = await violations({
      "src/workflow/publish.ts": 'import { card } from "../bot/card.js";\nexport const publish = card;\n',
      "src/bot/card.ts": 'import { publish } from "../workflow/publish.js";\nexport const card = 1;\nexport const again = publish;\n',
      "src/db/schema.ts": 'import { publish } from "../workflow/publish.js";\nexport const schema = publish;\n',
      "src/alerts/raise.ts": 'import { card } from "../bot/card.js";\nexport const raise = card;\n',
      "src/http/server.ts": 'import { card } from "../bot/card.js";\nexport const server = card;\n',
      "src/x/client.ts": 'import { schema } from "../db/schema.js";\nexport const client = schema;\n',
      "src/text/html.ts": 'import { client } from "../x/client.js";\nexport const html = client;\n',
      "src/config/x.ts": 'import { client } from "../x/client.js";\nexport const xConfig = client;\n',
      "src/doctor/checks.ts": 'import { card } from "../bot/card.js";\nimport { publish } from "../workflow/publish.js";\nexport const checks = [card, publish];\n',
      "src/lifecycle/jobs.ts": 'import { checks } from "../doctor/checks.js";\nexport const jobs = checks;\n',
      "src/ok/leaf.ts": exportOne,
      "src/setup/wizard.ts": 'import { client } from "../x/client.js";\nexport const wizard = client;\n',
      "src/bot/help.ts": 'import { wizard } from "../setup/wizard.js";\nexport const help = wizard;\n',
    });
  }, 30_000);

  const brokenRule = (name: string, from: string, to: string) =>
    broken.some((v) => v.rule.name === name && v.from === from && v.to === to);

  it("fails on an import cycle", () => {
    expect(broken.some((v) => v.rule.name === "no-circular")).toBe(true);
  });

  it("fails when the workflow imports a surface", () => {
    expect(brokenRule("workflow-not-up", "src/workflow/publish.ts", "src/bot/card.ts")).toBe(true);
  });

  it("fails when an adapter imports the workflow, or another adapter", () => {
    expect(brokenRule("adapters-not-up", "src/db/schema.ts", "src/workflow/publish.ts")).toBe(true);
    expect(brokenRule("adapters-stay-apart", "src/x/client.ts", "src/db/schema.ts")).toBe(true);
  });

  it("fails when alerts import the Telegram layer, or one surface imports the other", () => {
    expect(brokenRule("reporting-not-up", "src/alerts/raise.ts", "src/bot/card.ts")).toBe(true);
    expect(brokenRule("surfaces-stay-apart", "src/http/server.ts", "src/bot/card.ts")).toBe(true);
  });

  it("fails when the foundation imports an upper layer", () => {
    expect(brokenRule("foundation-is-a-leaf", "src/text/html.ts", "src/x/client.ts")).toBe(true);
    expect(brokenRule("foundation-is-a-leaf", "src/config/x.ts", "src/x/client.ts")).toBe(true);
  });

  it("fails when anything imports the setup wizard (a tool of its own, at the composition level)", () => {
    expect(brokenRule("setup-is-a-tool", "src/bot/help.ts", "src/setup/wizard.ts")).toBe(true);
    expect(broken.some((v) => v.from === "src/setup/wizard.ts")).toBe(false);
  });

  it("fails when the doctor imports a bot feature or the workflow, or when anything imports the doctor", () => {
    expect(brokenRule("doctor-checks-dependencies-only", "src/doctor/checks.ts", "src/bot/card.ts")).toBe(true);
    expect(brokenRule("doctor-checks-dependencies-only", "src/doctor/checks.ts", "src/workflow/publish.ts")).toBe(true);
    expect(brokenRule("doctor-is-a-tool", "src/lifecycle/jobs.ts", "src/doctor/checks.ts")).toBe(true);
  });

  it("passes a tree that keeps the layers", async () => {
    const clean = await violations({
      "src/setup/main.ts": 'import { card } from "../bot/card.js";\nimport { schema } from "../db/schema.js";\nexport const main = [card, schema];\n',
      "src/doctor/checks.ts":
        'import { store } from "../workflow/account-store.js";\nimport { schema } from "../db/schema.js";\nexport const checks = [store, schema];\n',
      "src/workflow/account-store.ts": 'import { schema } from "../db/schema.js";\nexport const store = schema;\n',
      "src/bot/card.ts": 'import { publish } from "../workflow/publish.js";\nexport const card = publish;\n',
      "src/workflow/publish.ts": 'import { schema } from "../db/schema.js";\nexport const publish = schema;\n',
      "src/db/schema.ts": 'import { html } from "../text/html.js";\nexport const schema = html;\n',
      "src/text/html.ts": exportOne.replace("one", "html"),
    });
    expect(clean).toEqual([]);
  }, 30_000);
});
