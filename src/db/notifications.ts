import { randomUUID } from "node:crypto";
import { openSessionClient } from "./postgres.js";

/** The channel every replica of one database listens on. */
export const WAKE_CHANNEL = "rgb_wake";

/**
 * What a replica tells the others: `publish` (a reply became due: run the publisher), `cards` (a stand-by changed
 * replies: the leader redraws the cards), `settings` (runtime settings changed: drop the cached ones), `accounts`
 * (a stored X account was added, connected, disabled, enabled or removed: reload the pool from the database, then
 * redraw the cards if leading and run the publisher).
 */
export const WAKE_TOPICS = ["publish", "cards", "settings", "accounts", "optouts"] as const;

/** One of {@link WAKE_TOPICS}. */
export type WakeTopic = (typeof WAKE_TOPICS)[number];

/** What a listener is told. */
export interface WakeHandlers {
  /** Another replica sent `topic` (a replica never hears its own). */
  onWake(topic: WakeTopic): void;
  /** The listening session came back after it was lost: what was sent meanwhile is lost, so catch up. */
  onResubscribed(): void;
}

/**
 * A wake-up as a statement sends it, `pg_notify(channel, payload)`: delivered when that statement's transaction
 * commits, so the other replicas wake at the commit itself, with no round trip of its own after it.
 */
export interface WakeSignal {
  readonly channel: string;
  readonly payload: string;
}

/** Wake-ups between the replicas of one database. */
export interface Notifications {
  /** Whether other processes may share the database (PostgreSQL) or this one is alone (PGlite). */
  readonly shared: boolean;
  /** What {@link send} sends, for a statement to send it itself (undefined when nobody else could hear it). */
  signal(topic: WakeTopic): WakeSignal | undefined;
  /** Tells the other replicas; resolves once the server has it (delivered to them when no transaction holds it). */
  send(topic: WakeTopic): Promise<void>;
  /** Starts listening (resolves once the first LISTEN is in place). */
  listen(handlers: WakeHandlers): Promise<void>;
  close(): Promise<void>;
}

/** PGlite: one process per data directory, nobody else to wake; the local calls do the work. */
export const soloNotifications: Notifications = {
  shared: false,
  signal: () => undefined,
  send: () => Promise.resolve(),
  listen: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

/** Parses `topic:sender`; undefined for anything else (another version's or a hand-sent message). */
export function parseWake(payload: string): { topic: WakeTopic; sender: string } | undefined {
  const at = payload.indexOf(":");
  const topic = payload.slice(0, at);
  if (at < 0 || !(WAKE_TOPICS as readonly string[]).includes(topic)) return undefined;
  return { topic: topic as WakeTopic, sender: payload.slice(at + 1) };
}

/**
 * LISTEN/NOTIFY on PostgreSQL through one dedicated single-connection client (never the query pool: LISTEN belongs
 * to a session). postgres.js opens the listening session on its own connection and LISTENs again after it is lost;
 * `onResubscribed` then says so, since a NOTIFY sent while nobody listened is gone. The payload names the sender
 * (a random id per instance, so two in one process are told apart), and a replica skips its own.
 */
export function connectNotifications(url: string, options: { channel?: string; id?: string } = {}): Notifications {
  const channel = options.channel ?? WAKE_CHANNEL;
  const id = options.id ?? randomUUID();
  const client = openSessionClient(url, "wake-ups");
  const signal = (topic: WakeTopic): WakeSignal => ({ channel, payload: `${topic}:${id}` });
  return {
    shared: true,
    signal,
    async send(topic) {
      const { payload } = signal(topic);
      await client.notify(channel, payload);
    },
    async listen(handlers) {
      let listened = false;
      await client.listen(
        channel,
        (payload) => {
          const wake = parseWake(payload);
          if (wake && wake.sender !== id) handlers.onWake(wake.topic);
        },
        () => {
          // Called after the first LISTEN and after every one postgres.js makes again on a new session.
          if (listened) handlers.onResubscribed();
          listened = true;
        },
      );
    },
    close: () => client.end({ timeout: 1 }),
  };
}
