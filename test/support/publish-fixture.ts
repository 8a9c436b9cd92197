import { eq } from "drizzle-orm";
import type { RuntimeSettingsDefaults } from "../../src/config.js";
import type { Database } from "../../src/db/database.js";
import { posts, replies } from "../../src/db/schema.js";
import type { ResiliencePolicy } from "../../src/resilience/policy.js";
import { resilientXClient } from "../../src/resilience/resilient-x-client.js";
import { XAccounts, type XAccount } from "../../src/workflow/accounts.js";
import type { CompletionRetries } from "../../src/workflow/publish/completion-queue.js";
import type { OptOutCache } from "../../src/workflow/opt-out-cache.js";
import { createDeadLetters, type DeadLetter, type DeadLetters, type DeadLetterSettings } from "../../src/workflow/dead-letters.js";
import type { PostSource, ReplyPolicy } from "../../src/workflow/discovery.js";
import type { MediaSource } from "../../src/workflow/media/types.js";
import type { NoticeSink } from "../../src/workflow/notices.js";
import { PauseSwitch } from "../../src/workflow/pause.js";
import type { AccountStrategy } from "../../src/workflow/publish/account-choice.js";
import { createPublisher, type Publisher } from "../../src/workflow/publisher.js";
import { claimReplies, type Claim, type ClaimRequest } from "../../src/workflow/replies/claim-replies.js";
import { REPLY_PRIORITY } from "../../src/workflow/replies/create-reply.js";
import { findReply } from "../../src/workflow/replies/find-reply.js";
import type { Reply } from "../../src/workflow/reply-states.js";
import { SettingsStore } from "../../src/workflow/settings.js";
import { createXAccountClient } from "../../src/x/twitter-client.js";
import type { XAccountClient } from "../../src/x/types.js";
import type { FakeX, FakeXTweet, FakeXUser } from "./fake-x/index.js";
import { silentLogger } from "./logger.js";
import { WORKFLOW_TEST_DEFAULTS } from "./workflow-fixtures.js";

const HOUR = 3_600_000;

/** How one publisher of a test is built. */
export interface PublisherOptions {
  /** Another connection pool (a second worker); default the test's database. */
  db?: Database;
  /** Access token at the fake X (default the fixture's: a known, working account). */
  token?: string;
  requestTimeoutMs?: number;
  settings?: Partial<RuntimeSettingsDefaults>;
  leaseSeconds?: number;
  replyPolicy?: ReplyPolicy;
  random?: () => number;
  maxAttempts?: number;
  retryBaseMs?: number;
  /** Wrap the X client with this policy (as the app does). */
  policy?: ResiliencePolicy;
  isAccountAvailable?: (accountId: number) => boolean;
  /** Wraps the first account's client (a test that changes X's answers in the middle of a call). */
  wrap?: (client: XAccountClient) => XAccountClient;
  /** More accounts after the first, each with its token at the fake X (and its client wrapped, if asked). */
  pool?: readonly { label: string; token: string; wrap?: (client: XAccountClient) => XAccountClient }[];
  strategy?: AccountStrategy;
  /** Receives the notices of the accounts and the publisher (session_failed, publication_failed…). */
  notify?: NoticeSink;
  /** Where attachments are downloaded from. */
  mediaSource?: MediaSource;
  /** Lanes of the publisher (PUBLISH_CONCURRENCY; default 1). */
  concurrency?: number;
  /** How long a completion waits for its group at most (default the publisher's). */
  completionLingerMs?: number;
  /** How a completion's failed statement is tried again (default the publisher's). */
  completionRetries?: CompletionRetries;
  /** The opt-outs the publisher checks (default its own). */
  optOuts?: OptOutCache;
}

/** How a publisher with its dead-letter queue is built. */
export interface QueueOptions extends PublisherOptions {
  /** Hand DLQ retries straight to the publisher (default) or leave them to the publish job. */
  runPublisher?: boolean;
  /** The publisher reports to the queue (default true). */
  reportToQueue?: boolean;
}

/** A publisher wired to the fake X through the production client, on the test's clock. */
export interface PublisherRig {
  readonly publisher: Publisher;
  readonly accounts: XAccounts;
  readonly account: XAccount;
  readonly client: XAccountClient;
  readonly pause: PauseSwitch;
  /** How many times the publisher (or queue) said replies changed (card redraws). */
  changes(): number;
}

/** A publisher and its dead-letter queue, wired to each other. */
export interface QueueRig extends PublisherRig {
  readonly queue: DeadLetters;
  /** Entries the queue reported exhausted, in order. */
  readonly exhausted: DeadLetter[];
}

/** A post by `author` at the fake X and in `posts`, with its approved, due reply. */
export interface SeededReply {
  readonly post: FakeXTweet;
  readonly postRow: typeof posts.$inferSelect;
  readonly reply: Reply;
}

/** How a seeded reply differs from the default (answerable, free, a mention approved two minutes ago). */
export interface SeedOptions {
  answerable?: boolean;
  draft?: string;
  /** Only the seeding account may publish it. */
  bound?: boolean;
  source?: PostSource;
  decidedAt?: Date;
  /** A draft awaiting approval instead of an approved, due reply. */
  awaiting?: boolean;
  tooLong?: boolean;
}

/** The test's world, read at each call (databases and clocks change between tests). */
export interface PublishFixtureEnv {
  readonly db: () => Database;
  readonly x: () => FakeX;
  readonly now: () => Date;
  /** Our account's access token at the fake X. */
  readonly token: string;
  /** The label the account is registered under (default "main"). */
  readonly label?: string;
}

/**
 * The one publisher / dead-letter setup of the publish tests: the production X client against
 * the fake X, a real database, settings out of the way and the test's injected clock.
 */
export function createPublishFixture(env: PublishFixtureEnv) {
  let seq = 0;

  async function wire(opts: PublisherOptions, queue?: { settings: DeadLetterSettings } & QueueOptions) {
    const handle = opts.db ?? env.db();
    const clientFor = (token: string) => {
      const raw = createXAccountClient({
        apiRoot: env.x().baseUrl,
        credentials: { appKey: "app-key", appSecret: "app-secret", accessToken: token, accessSecret: "access-secret" },
        requestTimeoutMs: opts.requestTimeoutMs ?? 5_000,
      });
      return opts.policy ? resilientXClient(raw, opts.policy) : raw;
    };
    const first = clientFor(opts.token ?? env.token);
    const client = opts.wrap ? opts.wrap(first) : first;
    const pool = opts.pool ?? [];
    const clients = new Map<string, XAccountClient>([
      [env.label ?? "main", client],
      ...pool.map(({ label, token, wrap }): [string, XAccountClient] => [label, wrap ? wrap(clientFor(token)) : clientFor(token)]),
    ]);
    const accounts = await XAccounts.register(handle, clients, opts.notify);
    const account = accounts.all()[0]!;
    const pause = new PauseSwitch(handle);
    const exhausted: DeadLetter[] = [];
    let changes = 0;
    const onChange = () => {
      changes++;
      return Promise.resolve();
    };
    const deadLetters = queue
      ? createDeadLetters({
          db: handle,
          publisher: queue.runPublisher === false ? undefined : { runOnce: () => publisher.runOnce() },
          logger: silentLogger(),
          settings: queue.settings,
          now: env.now,
          onExhausted: (entry) => exhausted.push(entry),
          onChange,
          pause,
        })
      : undefined;
    const publisher = createPublisher({
      db: handle,
      accounts,
      pause,
      settings: new SettingsStore(handle, { ...WORKFLOW_TEST_DEFAULTS, ...opts.settings }),
      logger: silentLogger(),
      leaseSeconds: opts.leaseSeconds ?? 120,
      replyPolicy: () => opts.replyPolicy ?? "any",
      onChange,
      now: env.now,
      random: opts.random ?? (() => 0),
      maxAttempts: opts.maxAttempts,
      retryBaseMs: opts.retryBaseMs,
      isAccountAvailable: opts.isAccountAvailable,
      strategy: opts.strategy,
      notify: opts.notify,
      mediaSource: opts.mediaSource,
      concurrency: opts.concurrency,
      completionLingerMs: opts.completionLingerMs,
      completionRetries: opts.completionRetries,
      optOuts: opts.optOuts,
      deadLetters: queue?.reportToQueue === false ? undefined : deadLetters,
    });
    return { publisher, accounts, account, client, pause, deadLetters, exhausted, changes: () => changes };
  }

  return {
    /** A publisher alone (no dead-letter queue). */
    build: (opts: PublisherOptions = {}): Promise<PublisherRig> => wire(opts),

    /** A publisher and a dead-letter queue with `settings`. */
    buildWithQueue: async (settings: DeadLetterSettings, opts: QueueOptions = {}): Promise<QueueRig> => {
      const rig = await wire(opts, { ...opts, settings });
      return { ...rig, queue: rig.deadLetters! };
    },

    /**
     * A post by `author` mentioning us, stored as drafted, with an approved reply due a minute ago.
     * `bound`: only `accountId` may publish it (default: free, the account is only where it starts).
     */
    seedReply: async (
      accountId: number,
      author: FakeXUser,
      opts: SeedOptions = {},
    ): Promise<SeededReply> => {
      seq++;
      const now = env.now();
      const post = env.x().addTweet({ authorId: author.id, text: `@replyguy question number ${seq}?` });
      const [postRow] = await env
        .db()
        .insert(posts)
        .values({
          tweetId: post.id,
          authorId: author.id,
          authorUsername: author.username,
          text: post.text,
          source: opts.source ?? "mention",
          sourceDetail: `mentions:${accountId}`,
          accountId,
          boundAccountId: opts.bound ? accountId : null,
          answerable: opts.answerable ?? true,
          state: "drafted",
        })
        .returning();
      const draft = opts.draft ?? `Answer number ${seq}: it depends on the workload.`;
      const [reply] = await env
        .db()
        .insert(replies)
        .values({
          postTweetId: post.id,
          accountId,
          boundAccountId: opts.bound ? accountId : null,
          priority: REPLY_PRIORITY[opts.source ?? "mention"],
          status: opts.awaiting ? "awaiting_approval" : "approved",
          draft,
          weightedLength: draft.length,
          tooLong: opts.tooLong ?? false,
          expiresAt: new Date(now.getTime() + 24 * HOUR),
          decidedAt: opts.awaiting ? null : (opts.decidedAt ?? new Date(now.getTime() - 120_000)),
          scheduledAt: opts.awaiting ? null : new Date(now.getTime() - 60_000),
        })
        .returning();
      return { post, postRow: postRow!, reply: reply! };
    },

    /** The reply as stored now (throws when it is gone). */
    reply: async (id: number): Promise<Reply> => {
      const row = await findReply(env.db(), id);
      if (!row) throw new Error(`reply ${id} is gone`);
      return row;
    },

    /** Backdates a claim as a dead or stalled worker would leave it. */
    expireLease: async (id: number): Promise<void> => {
      await env
        .db()
        .update(replies)
        .set({ leaseUntil: new Date(env.now().getTime() - 1_000) })
        .where(eq(replies.id, id));
    },
  };
}

/** The first reply one claim takes for `request`'s account, or undefined when it got none (nothing due, held, busy). */
export async function claimOne(db: Database, request: ClaimRequest): Promise<Claim | undefined> {
  const batch = await claimReplies(db, request);
  return batch.kind === "claimed" ? batch.claims[0] : undefined;
}
