// The architecture check (`npm run lint`): the layers of ARCHITECTURE.md, dependencies pointing inward
// only, and no import cycle. Top to bottom:
//   composition  src/main.ts, src/app.ts, src/integrations.ts; src/setup (the `npm run setup` wizard, its own entry)
//   surfaces     src/bot, src/http           (Telegram and HTTP; call the layers below)
//   reporting    src/health, src/alerts      (observe the workflow, never drive a surface)
//   workflow     src/workflow                (the reply pipeline; knows no surface)
//   mechanisms   src/resilience, src/lifecycle
//   adapters     src/x, src/ai, src/db       (outside services behind small ports)
//   foundation   src/text, src/kit, src/config.ts + src/config/, src/logger.ts, src/env-file.ts
// Beside them, src/doctor (`npm run doctor`): a tool at the composition level that checks the dependencies through
// the config, the adapters and the stored-account reader, never through a bot feature; nothing imports it.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "An import cycle: split the shared part into the lower layer.",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "composition-root-only",
      severity: "error",
      comment: "Only src/main.ts may import the composition root (app, integrations); main is imported by nobody.",
      from: { path: "^src/", pathNot: "^src/(main|app)\\.ts$" },
      to: { path: "^src/(main|app|integrations)\\.ts$" },
    },
    {
      name: "setup-is-a-tool",
      severity: "error",
      comment: "src/setup is the `npm run setup` wizard, an entry point of its own at the composition level: nothing imports it.",
      from: { path: "^src/", pathNot: "^src/setup/" },
      to: { path: "^src/setup/" },
    },
    {
      name: "surfaces-stay-apart",
      severity: "error",
      comment: "The Telegram and HTTP surfaces do not import each other.",
      from: { path: "^src/(bot|http)/" },
      to: { path: "^src/(bot|http)/", pathNot: "^src/$1/" },
    },
    {
      name: "reporting-not-up",
      severity: "error",
      comment: "health/ and alerts/ observe the workflow; they never import a surface (bot, http).",
      from: { path: "^src/(health|alerts)/" },
      to: { path: "^src/(bot|http)/" },
    },
    {
      name: "workflow-not-up",
      severity: "error",
      comment: "The workflow knows no surface and no reporting: it reports through ports (notices, card sink).",
      from: { path: "^src/workflow/" },
      to: { path: "^src/(bot|http|alerts|health)/" },
    },
    {
      name: "mechanisms-not-up",
      severity: "error",
      comment: "Resilience and scheduling serve the workflow; they never import it or anything above it.",
      from: { path: "^src/(resilience|lifecycle)/" },
      to: { path: "^src/(workflow|bot|http|alerts|health)/" },
    },
    {
      name: "adapters-not-up",
      severity: "error",
      comment: "X, AI and the database are ports: they know nothing of the layers that use them.",
      from: { path: "^src/(x|ai|db)/" },
      to: { path: "^src/(workflow|bot|http|alerts|health|resilience|lifecycle)/" },
    },
    {
      name: "adapters-stay-apart",
      severity: "error",
      comment: "One adapter does not reach into another (x, ai and db are independent).",
      from: { path: "^src/(x|ai|db)/" },
      to: { path: "^src/(x|ai|db)/", pathNot: "^src/$1/" },
    },
    {
      name: "foundation-is-a-leaf",
      severity: "error",
      comment: "text/, kit/, config (config.ts and config/), logger and env-file import nothing of ours but each other.",
      from: { path: "^src/(text/|kit/|config/|config\\.ts|logger\\.ts|env-file\\.ts)" },
      to: { path: "^src/", pathNot: "^src/(text/|kit/|config/|config\\.ts|logger\\.ts|env-file\\.ts)" },
    },
    {
      name: "doctor-checks-dependencies-only",
      severity: "error",
      comment:
        "The doctor reads the config and calls the adapters (and the stored-account reader) the way the bot would; it never imports a surface, reporting, the scheduler, the composition root or the rest of the workflow.",
      from: { path: "^src/doctor/" },
      to: {
        path: "^src/((bot|http|alerts|health|lifecycle)/|(main|app|integrations|replica|update-intake)\\.ts$|workflow/)",
        pathNot: "^src/workflow/account-store\\.ts$",
      },
    },
    {
      name: "doctor-is-a-tool",
      severity: "error",
      comment: "The doctor is an entry point of its own (npm run doctor): nothing in the bot imports it.",
      from: { path: "^src/", pathNot: "^src/doctor/" },
      to: { path: "^src/doctor/" },
    },
    {
      name: "not-to-test",
      severity: "error",
      comment: "Production code never imports test support.",
      from: { path: "^src/" },
      to: { path: "^(test|bench)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
