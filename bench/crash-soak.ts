import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asc } from "drizzle-orm";
import { openPglite } from "../src/db/pglite.js";
import { publishAttempts, replies } from "../src/db/schema.js";
import { ADMIN, ADMIN_CHAT, testEnvironment } from "../test/support/app-harness.js";
import type { FakeXFault, FakeXTweet } from "../test/support/fake-x/index.js";
import { parseLogLine, spawnBot, type SpawnedBot } from "../test/support/spawn-bot.js";
import { buttonData, startWorkflowRig } from "../test/support/workflow-rig.js";

/** Mentions to answer. */
const POSTS = 50;
/** SIGKILLs at most; after the last one the bot runs until every post is answered. */
const MAX_KILLS = 25;
/** A kill lands this long after the bot is up (uniform, seconds). */
const KILL_AFTER_SECONDS = { min: 0.5, max: 3 };
/** Share of restarts killed while still booting (migrations, claim recovery, card sync). */
const BOOT_KILL_RATE = 0.15;
/**
 * Chance, per bot process, that the next POST to X gets a fault (at most MAX_FAULTS in all): 503,
 * commitThenDrop (created, connection cut), or commitThenDelay (created, answered 10 s later, so
 * the kill usually lands while X holds the answer).
 */
const FAULT_RATE = 0.4;
const MAX_FAULTS = 10;
/** Kills and faults stop after these; the last process then runs undisturbed until the deadline. */
const KILL_PHASE_MS = 3 * 60_000;
const FAULT_PHASE_MS = 2 * 60_000;
const DEADLINE_MS = 5 * 60_000;
const BOT_COMMAND = ["node", "--import", "tsx", "src/main.ts"] as const;

/** mulberry32: a small seeded PRNG, so a run's kill moments and faults repeat for the same seed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * "kill -9 at random points during 50 publishes": the bot process publishes 50 approved replies
 * while it is SIGKILLed at random moments (seeded: CRASH_SOAK_SEED) and restarted on the same
 * DATA_DIR, with some POSTs to X answered 503, committed then dropped, or committed and answered
 * late. Every post must end with exactly one reply at X, the database must record that reply, and
 * its card must link to it.
 * Prints the figures; sets a non-zero exit code on any duplicate, loss or mismatch.
 */
export async function benchCrashSoak(): Promise<void> {
  const seed = Number(process.env.CRASH_SOAK_SEED ?? 20_261_123);
  const random = prng(seed);
  const between = (range: { min: number; max: number }) => range.min + random() * (range.max - range.min);
  const rig = await startWorkflowRig();
  // The soak is about crashes, not X's quotas.
  rig.x.setRateLimit("POST /2/tweets", 100_000, 900);
  rig.x.setRateLimit("GET /2/users/:id/mentions", 100_000, 900);
  rig.x.setRateLimit("GET /2/users/:id/tweets", 100_000, 900);
  const dataDir = mkdtempSync(join(tmpdir(), "rgb-bench-crash-soak-"));
  const env = testEnvironment(rig.tg, {
    ...rig.env({
      DISCOVERY_CRON: "*/2 * * * * *",
      PUBLISH_CRON: "* * * * * *",
      PUBLISH_GAP_SECONDS: "0",
      MAX_POSTS_PER_HOUR: "1000",
      MAX_POSTS_PER_DAY: "10000",
    }),
    DATA_DIR: dataDir,
    LOG_LEVEL: "info",
  });
  const question = (i: number) => `@replyguy soak question ${i}: how would you handle case ${i}?`;
  // One mention first: the first discovery of an account reads only the newest page (a backlog
  // cap), and its since_id cursor exists only once a mention was seen. The other 49 come after it.
  const mentions: FakeXTweet[] = [rig.x.addTweet({ authorId: rig.alice.id, text: question(1) })];
  const addTheRest = () => {
    for (let i = 2; i <= POSTS; i++) mentions.push(rig.x.addTweet({ authorId: rig.alice.id, text: question(i) }));
  };
  /** Every post has a reply at X and a card that says Published with a link to it. */
  const settled = () => {
    if (mentions.length < POSTS) return false;
    const cards = rig.tg.botMessages(ADMIN_CHAT.id).filter((card) => card.text.includes("Published"));
    return mentions.every((mention, i) => {
      const reply = rig.x.repliesTo(mention.id)[0];
      return reply !== undefined && cards.some((c) => c.text.includes(`soak question ${i + 1}:`) && c.text.includes(`/status/${reply.id}`));
    });
  };

  const started = performance.now();
  const killPhaseEnd = Date.now() + KILL_PHASE_MS;
  const faultPhaseEnd = Date.now() + FAULT_PHASE_MS;
  const deadline = Date.now() + DEADLINE_MS;
  let kills = 0;
  let bootKills = 0;
  let restarts = 0;
  let unexpectedExits = 0;
  let presses = 0;
  let faultCount = 0;
  const faults: Record<string, number> = {};
  const processes: SpawnedBot[] = [];

  // The admin: presses Approve on every card that awaits approval (again after a few seconds, in
  // case the press died with a killed process before it was handled).
  let approving = true;
  const pressedAt = new Map<string, number>();
  const approver = (async () => {
    while (approving) {
      for (const card of rig.tg.botMessages(ADMIN_CHAT.id)) {
        if (!card.text.includes("Awaiting approval")) continue;
        let data: string;
        try {
          data = buttonData(card, "Approve");
        } catch {
          continue;
        }
        const key = `${card.messageId}:${data}`;
        if (Date.now() - (pressedAt.get(key) ?? 0) < 3_000) continue;
        pressedAt.set(key, Date.now());
        try {
          await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: card.messageId, data });
          presses++;
        } catch {
          // the card changed meanwhile
        }
      }
      await sleep(200);
    }
  })();

  /** Waits up to `ms` (or forever), returning early once everything settled, the deadline passed or `stop()`. */
  const wait = async (ms: number, stop: () => boolean = () => false) => {
    const until = Math.min(Date.now() + ms, deadline);
    while (Date.now() < until && !settled() && !stop()) await sleep(100);
  };
  const isUp = (bot: SpawnedBot) => bot.lines.some((line) => parseLogLine(line)?.msg === "reply-guy-bot started");

  let failure: string | undefined;
  try {
    while (!settled() && Date.now() < deadline) {
      // The same draws in the same order every round, whatever is decided: a seed replays a run.
      const faultRoll = random();
      const faultKind = random();
      const bootRoll = random();
      const killAfter = between(KILL_AFTER_SECONDS) * 1000;

      if (processes.length > 0) restarts++;
      const bot = spawnBot(env, BOT_COMMAND);
      processes.push(bot);
      let exited = false;
      void bot.closed.then(() => (exited = true));
      const killing = kills < MAX_KILLS && Date.now() < killPhaseEnd;
      if (killing && faultCount < MAX_FAULTS && Date.now() < faultPhaseEnd && rig.x.pendingFaults() === 0 && faultRoll < FAULT_RATE) {
        const fault: FakeXFault =
          faultKind < 1 / 3
            ? { kind: "commitThenDrop" }
            : faultKind < 2 / 3
              ? { kind: "status", status: 503 }
              : { kind: "commitThenDelay", ms: 10_000 };
        rig.x.enqueueFault({ method: "POST", path: "/2/tweets" }, fault);
        const name = fault.kind === "status" ? "503" : fault.kind;
        faults[name] = (faults[name] ?? 0) + 1;
        faultCount++;
      }
      if (killing && processes.length > 1 && bootRoll < BOOT_KILL_RATE) {
        await wait(killAfter, () => exited);
        if (!isUp(bot)) bootKills++;
      } else {
        try {
          await bot.waitForLine((line) => parseLogLine(line)?.msg === "reply-guy-bot started", 60_000);
        } catch (error) {
          failure = `the bot did not come up: ${error instanceof Error ? error.message : String(error)}`;
          break;
        }
        if (mentions.length < POSTS) {
          try {
            await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("soak question 1:"), 60_000);
          } catch (error) {
            failure = `the first mention was not drafted: ${error instanceof Error ? error.message : String(error)}`;
            break;
          }
          addTheRest();
        }
        await wait(killing ? killAfter : Number.POSITIVE_INFINITY, () => exited);
      }
      if (exited) {
        unexpectedExits++;
        console.log(`bot exited by itself; last lines:\n${bot.lines.slice(-5).join("\n")}`);
        continue;
      }
      if (settled() || Date.now() >= deadline) break;
      bot.signal("SIGKILL");
      await bot.closed;
      kills++;
    }

    // Stop the last process cleanly (the database is read below).
    const last = processes.at(-1);
    if (last && last.child.exitCode === null && last.child.signalCode === null) {
      last.signal("SIGTERM");
      await last.closed;
    }
  } finally {
    approving = false;
    await approver;
  }
  const wallMs = performance.now() - started;

  // What X has, what the database says and what the cards show.
  const database = await openPglite(dataDir);
  const rows = await database.db.select().from(replies).orderBy(asc(replies.id));
  const attempts = await database.db.select().from(publishAttempts);
  await database.close();
  const byPost = new Map(rows.map((row) => [row.postTweetId, row]));
  const cards = rig.tg.botMessages(ADMIN_CHAT.id);
  let published = 0;
  let duplicates = 0;
  let losses = 0;
  let lossesApproved = 0;
  let stateMismatches = 0;
  let cardMismatches = 0;
  let duplicateCards = 0;
  const problems: string[] = [];
  for (const mention of mentions) {
    const xReplies = rig.x.repliesTo(mention.id);
    const row = byPost.get(mention.id);
    if (xReplies.length > 0) published++;
    if (xReplies.length > 1) {
      duplicates++;
      problems.push(`duplicate: post ${mention.id} has ${xReplies.length} replies (${xReplies.map((r) => r.id).join(", ")})`);
    }
    if (xReplies.length === 0) {
      losses++;
      if (row?.decidedAt) lossesApproved++;
      const detail = row
        ? `#${row.id} ${row.status} after ${row.attemptCount} attempt(s), next try ${row.scheduledAt?.toISOString() ?? "none"}: ${row.failureReason ?? ""}`
        : "never drafted";
      problems.push(`loss: post ${mention.id} has no reply (reply ${detail})`);
      continue;
    }
    if (!row || row.status !== "published" || !xReplies.some((r) => r.id === row.replyTweetId)) {
      stateMismatches++;
      problems.push(`state: post ${mention.id} answered at X by ${xReplies[0]!.id}, database says ${row ? `${row.status} ${row.replyTweetId}` : "nothing"}`);
      continue;
    }
    const own = cards.filter((card) => card.text.includes(`Reply #${row.id} `));
    if (own.length > 1) duplicateCards++;
    if (!own.some((card) => card.text.includes("Published") && card.text.includes(`/status/${row.replyTweetId}`))) {
      cardMismatches++;
      problems.push(`card: reply #${row.id} has no card saying Published with /status/${row.replyTweetId}`);
    }
  }
  const posts = rig.x.requests({ endpoint: "POST /2/tweets" });
  const outcomes: Record<string, number> = {};
  for (const attempt of attempts) outcomes[attempt.outcome ?? "unfinished (killed)"] = (outcomes[attempt.outcome ?? "unfinished (killed)"] ?? 0) + 1;

  console.log(`seed ${seed}: ${POSTS} mentions, kills every ${KILL_AFTER_SECONDS.min}–${KILL_AFTER_SECONDS.max} s after boot (≤ ${MAX_KILLS})`);
  console.log(`kills: ${kills} (${bootKills} while booting), restarts: ${restarts}, unexpected exits: ${unexpectedExits}`);
  console.log(`X faults injected on POST: ${JSON.stringify(faults)}; Approve presses: ${presses}`);
  console.log(`replies published: ${published}/${POSTS}`);
  console.log(`duplicates (posts with more than one reply at X): ${duplicates}`);
  console.log(`losses (posts never answered): ${losses} (${lossesApproved} of them approved)`);
  console.log(`database/X mismatches: ${stateMismatches}; cards not showing the right Published link: ${cardMismatches}`);
  const stale = cards.filter((card) => card.text.includes("Awaiting approval")).length;
  console.log(`replies with two cards (crash between sendMessage and storing its id): ${duplicateCards}; cards left "Awaiting approval": ${stale}`);
  const faulted = posts.filter((p) => p.fault !== null);
  console.log(
    `POST /2/tweets requests: ${posts.length} (${posts.filter((p) => p.status === 201).length} created and answered; ` +
      `${faulted.length} faulted, ${faulted.filter((p) => p.status === null).length} of them never answered; ` +
      `${posts.filter((p) => p.status === null && p.fault === null).length} plain ones cut by a kill)`,
  );
  console.log(`publish attempts by outcome: ${JSON.stringify(outcomes)}`);
  const perReply: Record<number, number> = {};
  for (const row of rows) if (row.attemptCount > 0) perReply[row.attemptCount] = (perReply[row.attemptCount] ?? 0) + 1;
  console.log(`replies by attempt count (claims, killed ones included): ${JSON.stringify(perReply)}`);
  console.log(`wall time: ${(wallMs / 1000).toFixed(1)} s (ended ${new Date().toISOString()})`);
  for (const problem of [...problems.filter((p) => !p.startsWith("loss")), ...problems.filter((p) => p.startsWith("loss"))].slice(0, 20)) {
    console.log(`  ${problem}`);
  }
  if (failure) console.log(`FAILED: ${failure}`);

  for (const bot of processes) {
    bot.signal("SIGKILL");
    await bot.closed;
  }
  await rig.close();
  rmSync(dataDir, { recursive: true, force: true });
  if (failure || duplicates > 0 || losses > 0 || stateMismatches > 0 || cardMismatches > 0) {
    console.log("crash soak: FAIL");
    process.exitCode = 1;
  } else {
    console.log("crash soak: ok");
  }
}
