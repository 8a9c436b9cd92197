import type { Logger } from "../logger.js";
import { classifyFailure } from "../resilience/failure.js";
import type { ResiliencePolicy } from "../resilience/policy.js";

/**
 * Wraps scheduled jobs in the database policy: a lost database opens its breaker and the jobs pause (skip quietly)
 * until the half-open probe finds it back; any other failure is the job's own and is thrown to the scheduler.
 */
export function underDatabasePolicy(dbPolicy: Pick<ResiliencePolicy, "execute">, logger: Logger) {
  return (name: string, job: () => Promise<unknown>) => async (): Promise<void> => {
    try {
      await dbPolicy.execute(() => job());
    } catch (error) {
      if (classifyFailure(error).reason !== "circuit_open") throw error;
      logger.debug({ job: name }, "database breaker open; job skipped");
    }
  };
}
