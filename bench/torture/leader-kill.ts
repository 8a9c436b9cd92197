import type { Update } from "grammy/types";
import { leaderIntervalMs } from "../../src/lifecycle/leader.js";
import { ADMIN, ADMIN_CHAT } from "../../test/support/app-harness.js";
import type { SpawnedBot } from "../../test/support/spawn-bot.js";
import { postWebhook, takeUpdate, WEBHOOK_ENV } from "../../test/support/webhook.js";
import { measureTakeovers, printTakeovers } from "../takeover.js";
import { startPoolRig, type PoolRig } from "./pool.js";
import { startReplicaSet, type Replica } from "./replica-set.js";
import { createMigratedScratchDatabase } from "./scratch-database.js";

const REPLICAS = 3;
const RUNS = 10;
/** The product's default LEADER_TAKEOVER_SECONDS (left unset in the replicas' environment). */
const TAKEOVER_SECONDS = 10;
const ANSWER_TIMEOUT_MS = 20_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One update delivered to several replicas: when, whether it was while no replica led, and the webhook's answers. */
interface Delivery {
  readonly postedAt: number;
  readonly statuses: number[];
  answeredAt?: number;
}

/**
 * Scenario 3: three replicas (real processes) in webhook mode with the default LEADER_TAKEOVER_SECONDS; the leader
 * is SIGKILLed 10 times (restarted at once) and each takeover is timed from the kill to the moment another replica
 * logs that it leads. Right after each kill, while no replica leads, one admin command (/health) is posted to both
 * surviving replicas, twice each at once, as Telegram's retries or a second ingress might: every such update must be
 * answered exactly once. Returns the violations found (none is right).
 */
export async function tortureLeaderKill(): Promise<string[]> {
  const pool = await startPoolRig();
  try {
    return await leaderKills(pool);
  } finally {
    await pool.rig.close();
  }
}

async function leaderKills(pool: PoolRig): Promise<string[]> {
  console.log(`-- 3. ${REPLICAS} replicas in webhook mode, the leader SIGKILLed ${RUNS} times (LEADER_TAKEOVER_SECONDS=${TAKEOVER_SECONDS}) --`);
  const { tg } = pool.rig;
  const database = await createMigratedScratchDatabase("torture_leader");
  const set = startReplicaSet("w", REPLICAS, pool.env({ DATABASE_URL: database.url, ...WEBHOOK_ENV }));
  const http = new Map<SpawnedBot, string>();
  const upNow = async (replica: Replica) => {
    http.set(replica.bot, (await set.up(replica)).http);
  };
  const answers = () => tg.botMessages(ADMIN_CHAT.id).filter((m) => m.text.includes("Health:")).length;
  const deliveries: Delivery[] = [];
  /** Posts one fresh /health update to each of `targets` twice, all at once, and notes when it is answered. */
  const deliver = async (targets: readonly Replica[]): Promise<void> => {
    const before = answers();
    await tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/health" });
    const update: Update = await takeUpdate(tg);
    const delivery: Delivery = { postedAt: Date.now(), statuses: [] };
    deliveries.push(delivery);
    const posts = targets.flatMap((replica) => [replica, replica]).map((replica) => postWebhook(http.get(replica.bot)!, update).then((r) => r.status, () => 0));
    delivery.statuses.push(...(await Promise.all(posts)));
    const until = Date.now() + ANSWER_TIMEOUT_MS;
    while (answers() === before && Date.now() < until) await sleep(20);
    if (answers() > before) delivery.answeredAt = Date.now();
  };
  const violations: string[] = [];
  let takeovers: number[] = [];
  /** When another replica led, run by run (epoch ms): a delivery of that run posted before it came while none led. */
  const ledAt: number[] = [];
  try {
    await Promise.all(set.replicas.map(upNow));
    // Before any kill: the same update to the leader and a stand-by.
    const leader = set.replicas.find((replica) => set.leads(replica));
    const standby = set.replicas.find((replica) => !set.leads(replica));
    if (!leader || !standby) throw new Error("no leader and stand-by after boot");
    await deliver([leader, standby]);
    const pending: Promise<void>[] = [];
    takeovers = await measureTakeovers(RUNS, leaderIntervalMs(TAKEOVER_SECONDS), async () => {
      // Both stand-bys up (the one killed last run restarted), so two replicas survive the kill.
      await Promise.all(set.replicas.filter((replica) => !http.has(replica.bot)).map(upNow));
      const victim = set.replicas.find((replica) => set.leads(replica));
      if (!victim) throw new Error("no replica leads");
      const survivors = set.replicas.filter((replica) => replica !== victim);
      const next = set.nextLeader(set.replicas, TAKEOVER_SECONDS * 3_000);
      return {
        kill: async () => {
          const at = Date.now();
          await set.kill(victim);
          set.start(victim);
          pending.push(deliver(survivors));
          return at;
        },
        nextLeader: async () => {
          const { at } = await next;
          ledAt.push(at);
          return at;
        },
      };
    });
    await Promise.all(pending);
  } catch (error) {
    violations.push(error instanceof Error ? error.message : String(error));
  } finally {
    await set.stop();
    await database.drop();
  }
  const answered = answers();
  const crashes = set.replicas.flatMap((replica) => replica.crashes);
  const nonOk = deliveries.flatMap((delivery) => delivery.statuses).filter((status) => status !== 200).length;
  const afterKills = deliveries.slice(1);
  const leaderless = afterKills.filter((delivery, run) => delivery.postedAt < (ledAt[run] ?? 0)).length;
  const answeredLeaderless = afterKills.filter((delivery, run) => (delivery.answeredAt ?? Number.POSITIVE_INFINITY) < (ledAt[run] ?? 0)).length;
  printTakeovers(`  takeover, leader SIGKILLed → another replica logs "this replica leads" (tries every ${leaderIntervalMs(TAKEOVER_SECONDS)} ms):`, takeovers);
  console.log(
    `  /health updates posted to two replicas, twice each at once: ${deliveries.length} (1 before the kills, ${afterKills.length} right after a kill; ` +
      `${leaderless} of these posted while no replica led, ${answeredLeaderless} answered before the next leader)`,
  );
  console.log(`  answered: ${answered} (duplicates ${Math.max(0, answered - deliveries.length)}, lost ${deliveries.filter((d) => d.answeredAt === undefined).length}); webhook answers other than 200: ${nonOk}`);
  console.log(`  processes that exited by themselves: ${crashes.length}`);
  for (const crash of crashes.slice(0, 5)) console.log(`    ${crash}`);
  if (answered > deliveries.length) violations.push(`${answered - deliveries.length} duplicate answer(s) to ${deliveries.length} updates`);
  const lost = deliveries.filter((d) => d.answeredAt === undefined).length;
  if (lost > 0) violations.push(`${lost} update(s) never answered`);
  return [...violations, ...crashes];
}
