import { openSessionClient } from "./postgres.js";

/** Session-level advisory lock key of the replicas' leader ("rgb-leader" as a number; the migration lock is 7_261_990_133). */
export const LEADER_LOCK_KEY = 7_261_990_134;

/** One dedicated PostgreSQL session that may hold the leader lock. */
export interface LeaderLockConnection {
  /** Tries the lock without waiting; true when this session holds it now. */
  tryLock(): Promise<boolean>;
  /** Whether the session that took the lock is still the one connected (so the lock is still ours). */
  holds(): Promise<boolean>;
  /** Closes the session: the server releases the lock with it. */
  close(): Promise<void>;
}

/**
 * Opens a dedicated single-connection client for the leader lock (never the pool the queries use: a pooled
 * connection could hand the lock's session to other work, or recycle it). `onLost` is called when the connection
 * closes without {@link LeaderLockConnection.close} (the server terminated it, the network dropped).
 */
export function connectLeaderLock(url: string, onLost: () => void, key = LEADER_LOCK_KEY): LeaderLockConnection {
  let closing = false;
  // The lock lives as long as the session, so its client is never retired by postgres.js's idle or lifetime limits.
  const client = openSessionClient(url, "leader lock", () => {
    if (!closing) onLost();
  });
  // postgres.js reconnects on its own: a later query on a new session would succeed without the lock, so the
  // session is recognised by its backend pid.
  let lockedPid: number | undefined;
  return {
    async tryLock() {
      const [row] = await client<{ locked: boolean; pid: number }[]>`select pg_try_advisory_lock(${key}) as locked, pg_backend_pid() as pid`;
      if (row?.locked !== true) return false;
      lockedPid = row.pid;
      return true;
    },
    async holds() {
      if (lockedPid === undefined) return false;
      const [row] = await client<{ pid: number }[]>`select pg_backend_pid() as pid`;
      return row?.pid === lockedPid;
    },
    async close() {
      closing = true;
      lockedPid = undefined;
      await client.end({ timeout: 1 });
    },
  };
}
