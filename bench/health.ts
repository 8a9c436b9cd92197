import { ADMIN, ADMIN_CHAT, startTestApp, type TestApp } from "../test/support/app-harness.js";
import { startWorkflowRig, type WorkflowRig } from "../test/support/workflow-rig.js";
import { onEachDatabase } from "./app-databases.js";
import { benchServerUrl } from "./scratch-db.js";
import { startSlowProxy } from "./slow-proxy.js";
import { formatMs } from "./stats.js";

const SAMPLES = 20;
/** What the slow PostgreSQL adds to every round trip. */
const SLOW_MS = 100;

/** /health `samples` times in Telegram (command sent → reply in the chat) and over HTTP, unless `httpOnly`. */
async function measure(rig: WorkflowRig, app: TestApp, label: string, options: { samples?: number; httpOnly?: boolean } = {}): Promise<string[]> {
  const telegram: number[] = [];
  const http: number[] = [];
  for (let i = 0; i < (options.samples ?? SAMPLES); i++) {
    if (!options.httpOnly) {
      const before = rig.tg.botMessages(ADMIN_CHAT.id).length;
      const started = performance.now();
      await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/health" });
      await rig.tg.waitForBotMessage(() => rig.tg.botMessages(ADMIN_CHAT.id).length > before, 10_000);
      telegram.push(performance.now() - started);
    }
    const httpStarted = performance.now();
    await (await fetch(`${app.httpUrl}/health`)).json();
    http.push(performance.now() - httpStarted);
  }
  return [
    ...(options.httpOnly ? [] : [`/health ${label}: Telegram ${formatMs(telegram)}`]),
    `/health ${label}: HTTP     ${formatMs(http)}`,
  ];
}

/**
 * /health latency in Telegram (command sent → reply in the chat) and over HTTP, on the embedded database and on the
 * local PostgreSQL (a scratch database, DATABASE_URL set), healthy and with the database in trouble. PGlite runs in
 * the process, so there only its ping is made to hang. PostgreSQL is reached through a relay that
 * slows every answer of the server by 100 ms (every query of the app, not only the ping), then stops answering
 * (HTTP only: Telegram updates wait for the database). Figures printed, never asserted.
 */
export async function benchHealth(): Promise<void> {
  const proxy = await startSlowProxy(benchServerUrl());
  const lines: string[] = [];
  try {
    await onEachDatabase(
      "health",
      async ({ name, database, env }) => {
        let hang = false;
        const real = database.handle;
        const handle = { ...real, ping: () => (hang ? new Promise<number>(() => undefined) : real.ping()) };
        const rig = await startWorkflowRig();
        const app = await startTestApp(rig.tg, { env: rig.env(env), database: { ...database, handle } });
        try {
          await rig.tg.waitForBotMessage((m) => m.text.includes("Recovery report"), 10_000);
          lines.push(...(await measure(rig, app, `${name}, healthy`)));
          if (name === "PGlite") {
            hang = true;
            lines.push(...(await measure(rig, app, `${name}, database ping hung`, { samples: 10 })));
            return;
          }
          proxy.setDelay(SLOW_MS);
          lines.push(...(await measure(rig, app, `${name}, every answer ${SLOW_MS} ms late`, { samples: 10 })));
          proxy.hold();
          lines.push(...(await measure(rig, app, `${name}, not answering`, { samples: 10, httpOnly: true })));
        } finally {
          proxy.resume();
          proxy.setDelay(0);
          await app.stop();
          await rig.close();
        }
      },
      (url) => proxy.route(url),
    );
  } finally {
    await proxy.close();
  }
  for (const line of lines) console.log(line);
}
