import { cardsOf, printTally, startApprover, startPoolRig, tally, violates, type Mention, type PoolRig } from "./pool.js";
import { startReplicaSet, type Replica } from "./replica-set.js";
import { createMigratedScratchDatabase } from "./scratch-database.js";

const REPLICAS = 3;
const MENTIONS = 100;
/** The mentions after the first three appear one by one over this long. */
const ARRIVAL_MS = 30_000;
/** A random replica is SIGKILLed this often (uniform, seconds) and restarted this long after. */
const KILL_EVERY_SECONDS = { min: 2, max: 5 };
const RESTART_AFTER_MS = 1_000;
/** Every approved reply must be published within this, counted from the moment the mentions appear. */
const PUBLISH_DEADLINE_MS = 180_000;
/** After the last reply, the replicas run this long undisturbed: a late duplicate would show by then. */
const SETTLE_MS = 5_000;
/** Short enough that a killed leader's discovery and card sync come back within a kill period or so. */
const TAKEOVER_SECONDS = 3;
/** A claim of a killed replica is released (and reconciled with X) once its lease runs out. */
const LEASE_SECONDS = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A SIGKILL the bench sent: when (epoch ms), to which slot, and whether that process led. */
interface Kill {
  readonly at: number;
  readonly name: string;
  readonly leader: boolean;
}

/**
 * For each mention with more than one card: when each card was sent, against the first kill after it (a card sent
 * just before its sender was killed, and sent again by the next leader, is card-sync's known gap).
 */
function explainDuplicateCards(pool: PoolRig, mentions: readonly Mention[], kills: readonly Kill[]): string[] {
  const sends = pool.rig.tg.calls("sendMessage");
  return mentions.flatMap(({ number }) => {
    const cards = cardsOf(pool.rig, number);
    if (cards.length < 2) return [];
    const times = cards.map(({ messageId }) => {
      const sent = sends.find((call) => (call.result as { message_id?: number } | undefined)?.message_id === messageId);
      if (!sent) return `message ${messageId}: send not found`;
      const next = kills.find((kill) => kill.at >= sent.at);
      const killNote = next ? `${next.at - sent.at} ms before ${next.name}${next.leader ? " (the leader)" : ""} was SIGKILLed` : "after the last kill";
      return `message ${messageId} sent ${killNote}`;
    });
    return [`mention ${number}: ${times.join("; ")}`];
  });
}

/**
 * Scenario 1: three replicas (real processes) on one PostgreSQL database, 100 mentions over three accounts, pacing
 * off; the admin approves each card as it appears while a random replica is SIGKILLed (its whole process group)
 * every 2–5 s and restarted a second later. Every mention must end with exactly one reply at X, from the account it
 * summoned, and exactly one card. Returns the violations found (none is right).
 */
export async function tortureKillStorm(): Promise<string[]> {
  const pool = await startPoolRig();
  try {
    return await killStorm(pool);
  } finally {
    await pool.rig.close();
  }
}

async function killStorm(pool: PoolRig): Promise<string[]> {
  console.log(`-- 1. ${REPLICAS} replicas, ${MENTIONS} mentions over 3 accounts, a replica SIGKILLed every ${KILL_EVERY_SECONDS.min}–${KILL_EVERY_SECONDS.max} s --`);
  const database = await createMigratedScratchDatabase("torture_kill");
  const set = startReplicaSet(
    "r",
    REPLICAS,
    pool.env({
      DATABASE_URL: database.url,
      DISCOVERY_CRON: "* * * * * *",
      PUBLISH_CRON: "* * * * * *",
      LEADER_TAKEOVER_SECONDS: String(TAKEOVER_SECONDS),
      PUBLISH_LEASE_SECONDS: String(LEASE_SECONDS),
      PUBLISH_RETRY_BASE_SECONDS: "2",
    }),
  );
  const approver = startApprover(pool.rig);
  const mentions: Mention[] = [];
  const kills: Kill[] = [];
  const restarts: Promise<unknown>[] = [];
  let failure: string | undefined;
  let wallMs: number | undefined;
  const started = performance.now();
  try {
    await Promise.all(set.replicas.map((replica) => set.up(replica)));
    // One mention per account first: an account's first mentions read takes only its newest page and sets its cursor.
    for (let n = 1; n <= 3; n++) mentions.push(pool.addMention(n));
    const firstCards = performance.now();
    while (mentions.some(({ number }) => cardsOf(pool.rig, number).length === 0)) {
      if (performance.now() - firstCards > 60_000) throw new Error("the first three mentions got no card within 60 s");
      await sleep(100);
    }
    const appeared = performance.now();
    // The others appear over ARRIVAL_MS, as mentions do, so the kills land in every phase: discovery, cards, approval, publishing.
    const arrivals = (async () => {
      for (let n = 4; n <= MENTIONS; n++) {
        mentions.push(pool.addMention(n));
        await sleep(ARRIVAL_MS / (MENTIONS - 3));
      }
    })();
    const answered = () => mentions.length === MENTIONS && mentions.every(({ post }) => pool.rig.x.repliesTo(post.id).length > 0);
    while (!answered() && performance.now() - appeared < PUBLISH_DEADLINE_MS) {
      const next = performance.now() + (KILL_EVERY_SECONDS.min + Math.random() * (KILL_EVERY_SECONDS.max - KILL_EVERY_SECONDS.min)) * 1000;
      while (!answered() && performance.now() < next) await sleep(50);
      if (answered()) break;
      const live = set.replicas.filter((replica) => set.alive(replica));
      const victim: Replica | undefined = live[Math.floor(Math.random() * live.length)];
      if (!victim) continue;
      const leader = set.leads(victim);
      const at = Date.now();
      await set.kill(victim);
      kills.push({ at, name: victim.name, leader });
      restarts.push(sleep(RESTART_AFTER_MS).then(() => set.start(victim)));
    }
    await arrivals;
    if (answered()) wallMs = performance.now() - appeared;
    else failure = `not every mention was answered within ${PUBLISH_DEADLINE_MS / 1000} s of appearing`;
    await sleep(SETTLE_MS);
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  } finally {
    await Promise.all(restarts);
    await approver.stop();
    await set.stop();
    await database.drop();
  }
  const counts = tally(pool, mentions);
  const posts = pool.rig.x.requests({ endpoint: "POST /2/tweets" });
  const crashes = set.replicas.flatMap((replica) => replica.crashes);
  console.log(`  LEADER_TAKEOVER_SECONDS=${TAKEOVER_SECONDS}, PUBLISH_LEASE_SECONDS=${LEASE_SECONDS}, pacing off (gap 0)`);
  console.log(`  kills: ${kills.length} (${kills.filter((kill) => kill.leader).length} of the leader), restarts: ${restarts.length}, processes that exited by themselves: ${crashes.length}`);
  console.log(`  wall time, mentions start appearing (over ${ARRIVAL_MS / 1000} s) → every mention answered at X: ${wallMs === undefined ? "not reached" : `${(wallMs / 1000).toFixed(1)} s`} (whole scenario ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  console.log(`  Approve presses: ${approver.presses()}; POST /2/tweets: ${posts.length} (${posts.filter((p) => p.status === 201).length} created)`);
  printTally(mentions.length, counts);
  for (const crash of crashes.slice(0, 5)) console.log(`    ${crash}`);
  for (const line of explainDuplicateCards(pool, mentions, kills)) console.log(`    ${line}`);
  const violations = [...(failure ? [failure] : []), ...(violates(counts) ? counts.problems : []), ...crashes];
  return violations;
}
