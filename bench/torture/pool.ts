import { ADMIN, ADMIN_CHAT, testEnvironment } from "../../test/support/app-harness.js";
import type { FakeXTweet, FakeXUser } from "../../test/support/fake-x/index.js";
import { buttonData, startWorkflowRig, type WorkflowRig } from "../../test/support/workflow-rig.js";

/** A card pressed once is pressed again after this long if it still awaits approval (the press died with a replica). */
const REPRESS_AFTER_MS = 3_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One mention of the bench: its number (in its text), the post at X and the account it summons. */
export interface Mention {
  readonly number: number;
  readonly post: FakeXTweet;
  readonly account: FakeXUser;
}

/** The peers of a torture scenario and a pool of three X accounts at the fake X: ours (the env's) and two extra. */
export interface PoolRig {
  readonly rig: WorkflowRig;
  readonly accounts: readonly FakeXUser[];
  /** The replicas' environment: the peers, the pool (X_EXTRA_ACCOUNTS), pacing off, limits high, `extra` on top. */
  env(extra: Record<string, string>): Record<string, string>;
  /** Posts mention `number` (by alice, summoning the accounts in turn) at the fake X. */
  addMention(number: number): Mention;
}

/** Starts the emulator, the fake X (its quotas lifted: the bench measures the bot) and the fake OpenAI. */
export async function startPoolRig(): Promise<PoolRig> {
  const rig = await startWorkflowRig();
  for (const endpoint of ["POST /2/tweets", "GET /2/users/:id/mentions", "GET /2/users/:id/tweets", "GET /2/users/me"] as const) {
    rig.x.setRateLimit(endpoint, 100_000, 900);
  }
  const extra = ["pool_b", "pool_c"].map((label, index) => ({
    label,
    user: rig.x.addUser({ id: `90030${index}`, username: `torture_${label}`, accessToken: `torture-token-${label}` }),
  }));
  const accounts = [rig.us, ...extra.map((account) => account.user)];
  return {
    rig,
    accounts,
    env: (more) =>
      testEnvironment(rig.tg, {
        ...rig.env({
          X_EXTRA_ACCOUNTS: extra.map(({ label, user }) => `${label}:${user.accessToken}:torture-secret-${label}`).join(","),
          PUBLISH_GAP_SECONDS: "0",
          MAX_POSTS_PER_HOUR: "1000",
          MAX_POSTS_PER_DAY: "10000",
          MAX_DRAFTS_PER_AUTHOR_PER_DAY: "1000",
          MAX_DRAFTS_PER_DAY: "10000",
          ...more,
        }),
        LOG_LEVEL: "info",
      }),
    addMention(number) {
      const account = accounts[(number - 1) % accounts.length]!;
      const post = rig.x.addTweet({ authorId: rig.alice.id, text: `@${account.username} torture question ${number}: what would you do here?` });
      return { number, post, account };
    },
  };
}

/** The card messages of mention `number` in the admin chat (a card names its reply: "Reply #…"). */
export function cardsOf(rig: WorkflowRig, number: number) {
  return rig.tg.botMessages(ADMIN_CHAT.id).filter((m) => m.text.includes(`torture question ${number}:`) && m.text.includes("Reply #"));
}

/** The admin pressing Approve on every card that awaits approval, as cards appear, until stopped. */
export interface Approver {
  presses(): number;
  stop(): Promise<void>;
}

/** Starts pressing Approve through the emulator (again after a few seconds on a card still awaiting approval). */
export function startApprover(rig: WorkflowRig): Approver {
  let running = true;
  let presses = 0;
  const pressedAt = new Map<string, number>();
  const loop = (async () => {
    while (running) {
      for (const card of rig.tg.botMessages(ADMIN_CHAT.id)) {
        if (!card.text.includes("Awaiting approval")) continue;
        let data: string;
        try {
          data = buttonData(card, "Approve");
        } catch {
          continue;
        }
        const key = `${card.messageId}:${data}`;
        if (Date.now() - (pressedAt.get(key) ?? 0) < REPRESS_AFTER_MS) continue;
        pressedAt.set(key, Date.now());
        try {
          await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: card.messageId, data });
          presses++;
        } catch {
          // the card changed meanwhile
        }
      }
      await sleep(100);
    }
  })();
  return {
    presses: () => presses,
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** What X and the admin chat show for the mentions: one reply and one card each is right. */
export interface Tally {
  readonly replied: number;
  readonly duplicateReplies: number;
  readonly lost: number;
  readonly wrongAccount: number;
  readonly duplicateCards: number;
  readonly noCard: number;
  readonly problems: readonly string[];
}

/** Counts, per mention, our replies at X (from any pool account) and its card messages. */
export function tally(pool: PoolRig, mentions: readonly Mention[]): Tally {
  const ours = new Set(pool.accounts.map((account) => account.id));
  const problems: string[] = [];
  let replied = 0;
  let duplicateReplies = 0;
  let lost = 0;
  let wrongAccount = 0;
  let duplicateCards = 0;
  let noCard = 0;
  for (const { number, post, account } of mentions) {
    const replies = pool.rig.x.repliesTo(post.id).filter((reply) => ours.has(reply.author_id));
    const cards = cardsOf(pool.rig, number).length;
    if (replies.length > 0) replied++;
    if (replies.length > 1) {
      duplicateReplies++;
      problems.push(`duplicate reply: mention ${number} (post ${post.id}) has ${replies.length} replies: ${replies.map((r) => r.id).join(", ")}`);
    }
    if (replies.length === 0) {
      lost++;
      problems.push(`lost: mention ${number} (post ${post.id}) has no reply (${cards} card(s))`);
    }
    if (replies.some((reply) => reply.author_id !== account.id)) {
      wrongAccount++;
      problems.push(`account: mention ${number} summoned @${account.username}, answered by another account`);
    }
    if (cards > 1) {
      duplicateCards++;
      problems.push(`duplicate card: mention ${number} has ${cards} cards`);
    }
    if (cards === 0) noCard++;
  }
  return { replied, duplicateReplies, lost, wrongAccount, duplicateCards, noCard, problems };
}

/** Prints a tally's counts (and up to 10 of its problems) under the scenario's other figures. */
export function printTally(total: number, counts: Tally): void {
  console.log(`  replies at X: ${counts.replied}/${total}; duplicates: ${counts.duplicateReplies}; lost: ${counts.lost}; answered by the wrong account: ${counts.wrongAccount}`);
  console.log(`  cards: duplicates ${counts.duplicateCards}; mentions without a card ${counts.noCard}`);
  for (const problem of counts.problems.slice(0, 10)) console.log(`    ${problem}`);
}

/** Whether the tally breaks the bench's correctness rules (a duplicate post, a lost reply, a duplicate card). */
export function violates(counts: Tally): boolean {
  return counts.duplicateReplies > 0 || counts.lost > 0 || counts.wrongAccount > 0 || counts.duplicateCards > 0;
}
