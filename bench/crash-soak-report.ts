import { asc } from "drizzle-orm";
import { openPglite } from "../src/db/pglite.js";
import { publishAttempts, replies } from "../src/db/schema.js";
import { ADMIN_CHAT } from "../test/support/app-harness.js";
import type { FakeXTweet, FakeXUser } from "../test/support/fake-x/index.js";
import type { WorkflowRig } from "../test/support/workflow-rig.js";

/** One post of the soak: its question number, the post at X and, for a mention, the account it summoned. */
export interface SoakPost {
  readonly number: number;
  readonly post: FakeXTweet;
  readonly boundTo: FakeXUser | undefined;
}

/** What the run did, printed with the verdict. */
export interface SoakFigures {
  readonly seed: number;
  readonly plan: string;
  readonly wallMs: number;
  readonly kills: number;
  readonly bootKills: number;
  readonly restarts: number;
  readonly unexpectedExits: number;
  readonly presses: number;
  readonly faults: Record<string, number>;
  readonly revocations: readonly string[];
  readonly failure: string | undefined;
}

/** Reply states a post may end in without a reply at X: each is named in the report, none is expected. */
const TERMINAL_UNPUBLISHED = new Set(["failed", "rejected", "expired", "cancelled"]);

/**
 * Compares what X has, what the database says and what the cards show, prints the figures and
 * returns whether the soak passed: every post answered exactly once (over all accounts), the
 * database and its card agreeing, and each bound reply sent by the account its post summoned.
 */
export async function reportSoak(
  rig: WorkflowRig,
  dataDir: string,
  soakPosts: readonly SoakPost[],
  accounts: readonly FakeXUser[],
  figures: SoakFigures,
): Promise<boolean> {
  const database = await openPglite(dataDir);
  const rows = await database.db.select().from(replies).orderBy(asc(replies.id));
  const attempts = await database.db.select().from(publishAttempts);
  await database.close();
  const byPost = new Map(rows.map((row) => [row.postTweetId, row]));
  const cards = rig.tg.botMessages(ADMIN_CHAT.id);
  const ours = new Map(accounts.map((account) => [account.id, account]));
  const publishesBy = new Map<string, number>(accounts.map((account) => [account.username, 0]));
  let published = 0;
  let duplicates = 0;
  let lost = 0;
  let endedUnpublished = 0;
  let wrongAccount = 0;
  let bound = 0;
  let stateMismatches = 0;
  let cardMismatches = 0;
  let duplicateCards = 0;
  const terminal: Record<string, number> = {};
  const problems: string[] = [];
  for (const { post, boundTo } of soakPosts) {
    // Replies at X to this post from any of our accounts.
    const xReplies = rig.x.repliesTo(post.id).filter((reply) => ours.has(reply.author_id));
    const row = byPost.get(post.id);
    for (const reply of xReplies) {
      const by = ours.get(reply.author_id)!.username;
      publishesBy.set(by, (publishesBy.get(by) ?? 0) + 1);
    }
    if (xReplies.length > 0) published++;
    if (xReplies.length > 1) {
      duplicates++;
      problems.push(`duplicate: post ${post.id} has ${xReplies.length} replies (${xReplies.map((r) => `${r.id} by ${ours.get(r.author_id)!.username}`).join(", ")})`);
    }
    if (xReplies.length === 0) {
      const detail = row
        ? `#${row.id} ${row.status} after ${row.attemptCount} attempt(s), next try ${row.scheduledAt?.toISOString() ?? "none"}: ${row.failureReason ?? ""}`
        : "never drafted";
      if (row && TERMINAL_UNPUBLISHED.has(row.status)) {
        endedUnpublished++;
        terminal[row.status] = (terminal[row.status] ?? 0) + 1;
        problems.push(`unpublished: post ${post.id} ended ${detail}`);
      } else {
        lost++;
        problems.push(`loss: post ${post.id} has no reply (reply ${detail})`);
      }
      continue;
    }
    if (boundTo) {
      bound++;
      const strangers = xReplies.filter((reply) => reply.author_id !== boundTo.id);
      if (strangers.length > 0) {
        wrongAccount++;
        problems.push(`account: post ${post.id} summoned @${boundTo.username} but was answered by @${ours.get(strangers[0]!.author_id)!.username}`);
      }
    }
    if (!row || row.status !== "published" || !xReplies.some((r) => r.id === row.replyTweetId)) {
      stateMismatches++;
      problems.push(`state: post ${post.id} answered at X by ${xReplies[0]!.id}, database says ${row ? `${row.status} ${row.replyTweetId}` : "nothing"}`);
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

  const total = soakPosts.length;
  console.log(`seed ${figures.seed}: ${figures.plan}`);
  console.log(`kills: ${figures.kills} (${figures.bootKills} while booting), restarts: ${figures.restarts}, unexpected exits: ${figures.unexpectedExits}`);
  console.log(`X faults injected on POST: ${JSON.stringify(figures.faults)}; Approve presses: ${figures.presses}`);
  if (accounts.length > 1) {
    const refused = rig.x.requests((request) => request.status === 401).length;
    const refusedPosts = posts.filter((request) => request.status === 401).length;
    console.log(
      `token revocations (401 until restored): ${figures.revocations.length > 0 ? figures.revocations.join("; ") : "none"}; ` +
        `requests answered 401: ${refused}, of them POST /2/tweets: ${refusedPosts}`,
    );
    console.log(`publishes per account: ${[...publishesBy].map(([name, n]) => `@${name} ${n}`).join(", ")}`);
    console.log(`bound replies sent by another account than the summoned one: ${wrongAccount} (of ${bound} bound replies published)`);
  }
  console.log(`replies published: ${published}/${total}`);
  console.log(`duplicates (posts with more than one reply at X, all accounts): ${duplicates}`);
  console.log(`lost (no reply and not in a terminal state): ${lost}; ended unpublished in a terminal state: ${endedUnpublished} ${JSON.stringify(terminal)}`);
  console.log(`database/X mismatches: ${stateMismatches}; cards not showing the right Published link: ${cardMismatches}`);
  const stale = cards.filter((card) => card.text.includes("Awaiting approval")).length;
  console.log(`replies with two cards (crash between sendMessage and storing its id): ${duplicateCards}; cards left "Awaiting approval": ${stale}`);
  const faulted = posts.filter((p) => p.fault !== null);
  console.log(
    `POST /2/tweets requests: ${posts.length} (${posts.filter((p) => p.status === 201).length} created and answered; ` +
      `${faulted.length} faulted, ${faulted.filter((p) => p.status === null).length} of them never answered; ` +
      `${posts.filter((p) => p.status === 401).length} refused 401; ` +
      `${posts.filter((p) => p.status === null && p.fault === null).length} plain ones cut by a kill)`,
  );
  console.log(`publish attempts by outcome: ${JSON.stringify(outcomes)}`);
  const perReply: Record<number, number> = {};
  for (const row of rows) if (row.attemptCount > 0) perReply[row.attemptCount] = (perReply[row.attemptCount] ?? 0) + 1;
  console.log(`replies by attempt count (claims, killed ones included): ${JSON.stringify(perReply)}`);
  console.log(`wall time: ${(figures.wallMs / 1000).toFixed(1)} s (ended ${new Date().toISOString()})`);
  const ordered = [...problems.filter((p) => !p.startsWith("loss")), ...problems.filter((p) => p.startsWith("loss"))];
  for (const problem of ordered.slice(0, 20)) console.log(`  ${problem}`);
  if (figures.failure) console.log(`FAILED: ${figures.failure}`);
  return (
    !figures.failure &&
    published === total &&
    duplicates === 0 &&
    lost === 0 &&
    wrongAccount === 0 &&
    stateMismatches === 0 &&
    cardMismatches === 0
  );
}
