import { PGlite } from "@electric-sql/pglite";
import { pgliteHandle } from "../src/db/pglite.js";
import { ADMIN, ADMIN_CHAT, startTestApp } from "../test/support/app-harness.js";
import { startWorkflowRig } from "../test/support/workflow-rig.js";
import { formatMs } from "./stats.js";

/**
 * /health latency, median of 20, in Telegram (command sent → reply in the chat) and over HTTP,
 * healthy and with one dependency hung (the database ping never answers; X hangs every request).
 */
export async function benchHealth(): Promise<void> {
  const rig = await startWorkflowRig();
  const client = await PGlite.create();
  const real = pgliteHandle(client);
  await real.migrate();
  let hang = false;
  const handle = { ...real, ping: () => (hang ? new Promise<number>(() => undefined) : real.ping()) };
  const app = await startTestApp(rig.tg, { env: rig.env(), database: { handle, url: undefined, dispose: () => real.close() } });
  try {
    const measure = async (label: string) => {
      const telegram: number[] = [];
      const http: number[] = [];
      for (let i = 0; i < 20; i++) {
        const before = rig.tg.botMessages(ADMIN_CHAT.id).length;
        const started = performance.now();
        await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/health" });
        await rig.tg.waitForBotMessage(() => rig.tg.botMessages(ADMIN_CHAT.id).length > before, 10_000);
        telegram.push(performance.now() - started);
        const httpStarted = performance.now();
        await (await fetch(`${app.httpUrl}/health`)).json();
        http.push(performance.now() - httpStarted);
      }
      console.log(`/health ${label}: Telegram ${formatMs(telegram)}`);
      console.log(`/health ${label}: HTTP     ${formatMs(http)}`);
    };
    await rig.tg.waitForBotMessage((m) => m.text.includes("Recovery report"), 10_000);
    await measure("healthy");
    hang = true;
    await measure("database hung");
  } finally {
    await app.stop();
    await real.close();
    await rig.close();
  }
}
