import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ADMIN, ADMIN_CHAT, testEnvironment } from "../test/support/app-harness.js";
import type { FakeXFault, FakeXUser } from "../test/support/fake-x/index.js";
import { parseLogLine, spawnBot, type SpawnedBot } from "../test/support/spawn-bot.js";
import { startWorkflowRig } from "../test/support/workflow-rig.js";
import { startApprover } from "./torture/pool.js";
import { reportSoak, type SoakPost } from "./crash-soak-report.js";
import { countOption } from "./options.js";

/** Posts to answer and X accounts answering them, unless `--posts N` / `--accounts N` (or CRASH_SOAK_POSTS / CRASH_SOAK_ACCOUNTS) say otherwise. */
const DEFAULT_POSTS = 50;
const DEFAULT_ACCOUNTS = 1;
const MAX_ACCOUNTS = 5;
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
/**
 * With several accounts: tokens revoked (X answers 401) at random moments of the first seconds of posting, each
 * restored after a while. The first (and every other) one strikes at that account's next POST, so the POST itself
 * meets the 401 (the token dies between the publisher's last read and its POST); the others at once.
 */
const REVOCATIONS = 2;
const REVOCATION_WINDOW_MS = 15_000;
const REVOKED_SECONDS = { min: 10, max: 30 };
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

/** The soak's X accounts: ours from the rig first, then the extra ones (their X_EXTRA_ACCOUNTS entries). */
function soakAccounts(x: { addUser(input: { id: string; username: string; accessToken: string }): FakeXUser }, us: FakeXUser, count: number) {
  const names = ["replygal", "replybot", "replypal", "replyfan"];
  const extra = Array.from({ length: count - 1 }, (_, i) => ({
    label: `extra${i + 1}`,
    user: x.addUser({ id: `90010${i + 1}`, username: names[i]!, accessToken: `soak-token-${i + 1}` }),
  }));
  return {
    users: [us, ...extra.map((account) => account.user)],
    env: extra.map((account) => `${account.label}:${account.user.accessToken}:soak-secret-${account.label}`).join(","),
  };
}

/**
 * "kill -9 at random points during 50 publishes": the bot process publishes `--posts` (50) approved replies
 * while it is SIGKILLed at random moments (seeded: CRASH_SOAK_SEED) and restarted on the same
 * DATA_DIR, with some POSTs to X answered 503, committed then dropped, or committed and answered
 * late. Every post must end with exactly one reply at X, the database must record that reply, and
 * its card must link to it.
 * With `--accounts N` (N > 1) the bot runs N accounts (X_EXTRA_ACCOUNTS): the posts mention each account in
 * turn (bound replies) and every (N + 1)th is a free post of a watched target (REPLY_POLICY=any), and twice
 * early in the posting one account's token answers 401 for 10–30 s (once from its next POST on, so a POST meets it). Each reply must then also come from the
 * account its post summoned, and no post may have two replies over all the accounts.
 * Prints the figures; sets a non-zero exit code on any duplicate, loss or mismatch.
 */
export async function benchCrashSoak(): Promise<void> {
  const seed = Number(process.env.CRASH_SOAK_SEED ?? 20_261_123);
  const random = prng(seed);
  const between = (range: { min: number; max: number }) => range.min + random() * (range.max - range.min);
  const options = { posts: countOption("posts", "CRASH_SOAK_POSTS", DEFAULT_POSTS, 1_000), accounts: countOption("accounts", "CRASH_SOAK_ACCOUNTS", DEFAULT_ACCOUNTS, MAX_ACCOUNTS) };
  const pool = options.accounts > 1;
  const rig = await startWorkflowRig();
  // The soak is about crashes, not X's quotas.
  rig.x.setRateLimit("POST /2/tweets", 100_000, 900);
  rig.x.setRateLimit("GET /2/users/:id/mentions", 100_000, 900);
  rig.x.setRateLimit("GET /2/users/:id/tweets", 100_000, 900);
  rig.x.setRateLimit("GET /2/users/me", 100_000, 900);
  const { users: accounts, env: extraAccounts } = soakAccounts(rig.x, rig.us, options.accounts);
  // With several accounts, carol's posts (a watched target that summons nobody) are the free replies.
  const carol = rig.x.addUser({ id: "900020", username: "carol" });
  const dataDir = mkdtempSync(join(tmpdir(), "rgb-bench-crash-soak-"));
  const env = testEnvironment(rig.tg, {
    ...rig.env({
      DISCOVERY_CRON: "*/2 * * * * *",
      PUBLISH_CRON: "* * * * * *",
      PUBLISH_GAP_SECONDS: "0",
      MAX_POSTS_PER_HOUR: "1000",
      MAX_POSTS_PER_DAY: "10000",
      // A retry after a 503 waits seconds, not minutes, so it lands inside the bounded run.
      PUBLISH_RETRY_BASE_SECONDS: "2",
      MAX_DRAFTS_PER_AUTHOR_PER_DAY: "1000",
      MAX_DRAFTS_PER_DAY: "10000",
      ...(pool ? { X_EXTRA_ACCOUNTS: extraAccounts, REPLY_POLICY: "any", ACCOUNT_HEALTH_INTERVAL_SECONDS: "5" } : {}),
    }),
    DATA_DIR: dataDir,
    LOG_LEVEL: "info",
  });
  // Post i (from 1) is a mention of account (i - 1) mod kinds, or with several accounts every
  // (accounts + 1)th one is a free post by carol.
  const kinds = pool ? accounts.length + 1 : 1;
  const addPost = (i: number): SoakPost => {
    const boundTo = accounts[(i - 1) % kinds];
    const question = `soak question ${i}: how would you handle case ${i}?`;
    const text = boundTo ? `@${boundTo.username} ${question}` : question;
    return { number: i, post: rig.x.addTweet({ authorId: boundTo ? rig.alice.id : carol.id, text }), boundTo };
  };
  const plan = pool ? `${accounts.length} of every ${kinds} mention an account, the rest free (target @carol, REPLY_POLICY=any)` : "mentions";
  // One post of each kind first: the first read of a source takes only its newest page (a backlog
  // cap), and its since_id cursor exists only once a post was seen. The others come after them.
  const firstBatch = Math.min(kinds, options.posts);
  const soakPosts: SoakPost[] = Array.from({ length: firstBatch }, (_, i) => addPost(i + 1));
  const addTheRest = () => {
    for (let i = firstBatch + 1; i <= options.posts; i++) soakPosts.push(addPost(i));
  };
  /** Every post has a reply at X and a card that says Published with a link to it. */
  const settled = () => {
    if (soakPosts.length < options.posts) return false;
    const cards = rig.tg.botMessages(ADMIN_CHAT.id).filter((card) => card.text.includes("Published"));
    return soakPosts.every(({ post, number }) => {
      const reply = rig.x.repliesTo(post.id)[0];
      return reply !== undefined && cards.some((c) => c.text.includes(`soak question ${number}:`) && c.text.includes(`/status/${reply.id}`));
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
  let faultCount = 0;
  const faults: Record<string, number> = {};
  const processes: SpawnedBot[] = [];

  // Token revocations (several accounts only): the account's token answers 401 for `lastsMs`, then works again.
  const revocations: string[] = [];
  const revocationTimers: NodeJS.Timeout[] = [];
  const revokedTimes = new Map<string, number>();
  const revoke = (user: FakeXUser, lastsMs: number, how: string) => {
    revokedTimes.set(user.id, (revokedTimes.get(user.id) ?? 0) + 1);
    rig.x.setUserAccess(user.id, "revoked");
    revocations.push(`@${user.username} ${how} at ${((performance.now() - started) / 1000).toFixed(1)} s for ${(lastsMs / 1000).toFixed(1)} s`);
    revocationTimers.push(
      setTimeout(() => {
        const left = (revokedTimes.get(user.id) ?? 1) - 1;
        revokedTimes.set(user.id, left);
        if (left === 0) rig.x.setUserAccess(user.id, "ok");
      }, lastsMs),
    );
  };
  const scheduleRevocations = () => {
    const first = Math.floor(random() * accounts.length);
    for (let r = 0; pool && r < REVOCATIONS; r++) {
      const at = random() * REVOCATION_WINDOW_MS;
      const user = accounts[(first + r) % accounts.length]!;
      const lasts = between(REVOKED_SECONDS) * 1000;
      const atPost = r % 2 === 0;
      revocationTimers.push(
        setTimeout(() => {
          if (atPost) rig.x.revokeAtNextPost(user.id, () => revoke(user, lasts, "at its POST"));
          else revoke(user, lasts, "at once");
        }, at),
      );
    }
  };

  /**
   * On the first process: watch carol (several accounts), wait until the first post of each kind
   * has its card, then add the other posts and start the revocation clock. Returns what went wrong.
   */
  let seeded = false;
  const startPosting = async (): Promise<string | undefined> => {
    try {
      if (pool) {
        await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/targets add @carol" });
        await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("carol") && !m.text.includes("soak question"), 60_000);
      }
      for (const { number } of soakPosts) {
        await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes(`soak question ${number}:`), 60_000);
      }
    } catch (error) {
      return `the first posts were not drafted: ${error instanceof Error ? error.message : String(error)}`;
    }
    addTheRest();
    scheduleRevocations();
    return undefined;
  };

  // The admin: presses Approve on every card that awaits approval (again after a few seconds, in
  // case the press died with a killed process before it was handled).
  const approver = startApprover(rig);

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
        if (!seeded) {
          seeded = true;
          const problem = await startPosting();
          if (problem) {
            failure = problem;
            break;
          }
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
    await approver.stop();
  }
  const wallMs = performance.now() - started;
  for (const timer of revocationTimers) clearTimeout(timer);
  const passed = await reportSoak(rig, dataDir, soakPosts, accounts, {
    seed,
    plan: `${options.posts} posts (${plan}) over ${accounts.length} account(s), kills every ${KILL_AFTER_SECONDS.min}–${KILL_AFTER_SECONDS.max} s after boot (≤ ${MAX_KILLS})`,
    wallMs,
    kills,
    bootKills,
    restarts,
    unexpectedExits,
    presses: approver.presses(),
    faults,
    revocations,
    failure,
  });

  for (const bot of processes) {
    bot.signal("SIGKILL");
    await bot.closed;
  }
  await rig.close();
  rmSync(dataDir, { recursive: true, force: true });
  if (!passed) {
    console.log("crash soak: FAIL");
    process.exitCode = 1;
  } else {
    console.log("crash soak: ok");
  }
}
