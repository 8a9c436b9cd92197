import { asc, eq, or } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { deadLetters, posts, publishAttempts, replies, workflowEvents, xAccounts, type DeadLetterStatus, type ReplyStatus } from "../db/schema.js";
import type { PostSource } from "./discovery.js";

/** The post as discovery stored it, with the gatekeeper's decision. */
export interface TracedPost {
  readonly tweetId: string;
  readonly authorUsername: string | null;
  readonly authorId: string;
  readonly text: string;
  readonly source: PostSource;
  readonly sourceDetail: string;
  readonly state: "pending_draft" | "drafted" | "skipped";
  readonly skipReason: string | null;
  readonly discoveredAt: Date;
  /** The account meant to answer it, by label. */
  readonly accountLabel: string | null;
}

/** The post's reply (one at most) as it stands now. */
export interface TracedReply {
  readonly id: number;
  readonly status: ReplyStatus;
  readonly model: string | null;
  readonly createdAt: Date;
  readonly cardMessageId: number | null;
  readonly decidedBy: number | null;
  readonly decidedAt: Date | null;
  readonly scheduledAt: Date | null;
  readonly publishedAt: Date | null;
  readonly replyTweetId: string | null;
  readonly failureReason: string | null;
  /** The published reply on X (any username resolves it), when there is one. */
  readonly url: string | null;
}

/** One thing that happened to the item, in time order (see {@link PostTimeline.steps}). */
export type TimelineStep =
  | { readonly kind: "gate"; readonly at: Date; readonly score: number | null; readonly reason: string | null }
  /** A row of workflow_events: discovered, skipped, drafted, approved, rejected, edited, regenerated, published… */
  | { readonly kind: "event"; readonly at: Date; readonly event: string; readonly actor: number | null }
  | {
      readonly kind: "attempt";
      readonly at: Date;
      readonly accountLabel: string | null;
      readonly finishedAt: Date | null;
      readonly outcome: string | null;
      readonly error: string | null;
    }
  | {
      readonly kind: "dead_letter";
      readonly at: Date;
      readonly id: number;
      readonly status: DeadLetterStatus;
      readonly retryCount: number;
      readonly nextRetryAt: Date | null;
      readonly errorType: string;
      readonly error: string;
    };

/** Everything the database knows of one post and its reply. */
export interface PostTimeline {
  readonly post: TracedPost;
  readonly reply: TracedReply | undefined;
  /** Oldest first; steps at the same instant keep the order gate, events, attempts, dead letters. */
  readonly steps: readonly TimelineStep[];
}

/** The link to a published reply: X resolves `/i/web/status/<id>` whatever the account's username. */
export function publishedReplyUrl(replyTweetId: string): string {
  return `https://x.com/i/web/status/${replyTweetId}`;
}

/** Reads one item's timeline by its post id (the trace id of its log lines) for /trace. */
export function createTraceView(db: Database) {
  return {
    /** The post's whole timeline, or undefined when no post has this id. */
    async timeline(postTweetId: string): Promise<PostTimeline | undefined> {
      const [post] = await db
        .select({ post: posts, accountLabel: xAccounts.label })
        .from(posts)
        .leftJoin(xAccounts, eq(xAccounts.id, posts.accountId))
        .where(eq(posts.tweetId, postTweetId));
      if (!post) return undefined;
      const [reply] = await db.select().from(replies).where(eq(replies.postTweetId, postTweetId));
      // Events about the post carry its id; events about the reply (approved, edited…) may carry only the reply's.
      const aboutItem = reply
        ? or(eq(workflowEvents.postTweetId, postTweetId), eq(workflowEvents.replyId, reply.id))
        : eq(workflowEvents.postTweetId, postTweetId);
      const events = await db.select().from(workflowEvents).where(aboutItem).orderBy(asc(workflowEvents.at), asc(workflowEvents.id));
      const attempts = reply
        ? await db
            .select({ attempt: publishAttempts, accountLabel: xAccounts.label })
            .from(publishAttempts)
            .leftJoin(xAccounts, eq(xAccounts.id, publishAttempts.accountId))
            .where(eq(publishAttempts.replyId, reply.id))
            .orderBy(asc(publishAttempts.startedAt))
        : [];
      const letters = reply
        ? await db.select().from(deadLetters).where(eq(deadLetters.replyId, reply.id)).orderBy(asc(deadLetters.createdAt), asc(deadLetters.id))
        : [];

      const p = post.post;
      const steps: TimelineStep[] = [
        ...(p.gateCheckedAt ? [{ kind: "gate" as const, at: p.gateCheckedAt, score: p.gateScore, reason: p.gateReason }] : []),
        ...events.map((event) => ({ kind: "event" as const, at: event.at, event: event.kind, actor: event.actor })),
        ...attempts.map(({ attempt, accountLabel }) => ({
          kind: "attempt" as const,
          at: attempt.startedAt,
          accountLabel,
          finishedAt: attempt.finishedAt,
          outcome: attempt.outcome,
          error: attempt.error,
        })),
        ...letters.map((entry) => ({
          kind: "dead_letter" as const,
          at: entry.createdAt,
          id: entry.id,
          status: entry.status,
          retryCount: entry.retryCount,
          nextRetryAt: entry.nextRetryAt,
          errorType: entry.errorType,
          error: entry.error,
        })),
      ];
      // Array.prototype.sort is stable: equal instants keep the order above.
      steps.sort((a, b) => a.at.getTime() - b.at.getTime());
      return {
        post: {
          tweetId: p.tweetId,
          authorUsername: p.authorUsername,
          authorId: p.authorId,
          text: p.text,
          source: p.source,
          sourceDetail: p.sourceDetail,
          state: p.state,
          skipReason: p.skipReason,
          discoveredAt: p.discoveredAt,
          accountLabel: post.accountLabel,
        },
        reply: reply && {
          id: reply.id,
          status: reply.status,
          model: reply.model,
          createdAt: reply.createdAt,
          cardMessageId: reply.cardMessageId,
          decidedBy: reply.decidedBy,
          decidedAt: reply.decidedAt,
          scheduledAt: reply.scheduledAt,
          publishedAt: reply.publishedAt,
          replyTweetId: reply.replyTweetId,
          failureReason: reply.failureReason,
          url: reply.replyTweetId ? publishedReplyUrl(reply.replyTweetId) : null,
        },
        steps,
      };
    },
  };
}

/** The /trace read service. */
export type TraceView = ReturnType<typeof createTraceView>;
