import { run, type RunnerHandle, type RunOptions } from "@grammyjs/runner";
import { GrammyError, type Bot } from "grammy";
import type { Update } from "grammy/types";
import type { Logger } from "../logger.js";
import { settleBy } from "../resilience/deadline.js";
import type { BotContext } from "./context.js";
import { BOT_COMMANDS } from "./commands.js";

/** How long shutdown polls the runner for in-flight updates between checks. */
const DRAIN_POLL_MS = 20;
const MAX_RESTART_DELAY_MS = 60_000;

/** Thrown when Telegram rejects the bot token: retrying cannot help. */
export class BotTokenRejectedError extends Error {
  constructor() {
    super("Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): check the token from @BotFather");
    this.name = "BotTokenRejectedError";
  }
}

/** The update kinds the bot handles, asked of getUpdates and of setWebhook alike. */
export const ALLOWED_UPDATES = ["message", "edited_message", "callback_query"] as const;

/** Runner settings for a given long-polling timeout; short polling (0) is throttled so it cannot spin. */
export function runnerOptions(pollTimeoutSeconds: number): RunOptions<Update> {
  const throttle = pollTimeoutSeconds === 0 ? { speedTrafficBalance: 0.5, maxDelayMilliseconds: 100 } : {};
  return {
    runner: {
      fetch: { timeout: pollTimeoutSeconds, allowed_updates: [...ALLOWED_UPDATES] },
      silent: true,
      retryInterval: "exponential",
    },
    source: throttle,
  };
}

/**
 * Keeps the bot polling for as long as the process wants it: initialises it, registers the
 * command menu (a failure there is only a warning), and restarts the runner with backoff when
 * Telegram is unreachable or another instance holds getUpdates. A rejected token is fatal.
 */
export class PollingSupervisor {
  private handle: RunnerHandle | undefined;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wake: () => void = () => undefined;
  private readonly abort = new AbortController();

  constructor(
    private readonly bot: Bot<BotContext>,
    private readonly logger: Logger,
    private readonly options: RunOptions<Update>,
    private readonly onFatal: (error: Error) => void,
  ) {}

  /** True while the runner is fetching updates. */
  isPolling(): boolean {
    return this.handle?.isRunning() ?? false;
  }

  /** Starts the supervision loop in the background. */
  start(): void {
    this.loop = this.supervise().catch((error: unknown) => {
      this.onFatal(error instanceof Error ? error : new Error(String(error)));
    });
  }

  private async supervise(): Promise<void> {
    let delay = 1_000;
    while (!this.stopping) {
      try {
        // init() retries network errors forever; the signal lets shutdown interrupt it.
        if (!this.bot.isInited()) await this.bot.init(this.abort.signal as Parameters<Bot["init"]>[0]);
        await this.prepare();
        if (this.stopping) return;
        this.handle = run(this.bot, this.options);
        this.logger.info({ username: this.bot.botInfo.username }, "polling Telegram for updates");
        delay = 1_000;
        await this.handle.task();
        if (this.stopping) return;
      } catch (error) {
        if (error instanceof GrammyError && error.error_code === 401) throw new BotTokenRejectedError();
        if (this.stopping) return;
        this.logger.warn({ err: error, retryInMs: delay }, "Telegram polling interrupted; retrying");
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      delay = Math.min(delay * 2, MAX_RESTART_DELAY_MS);
    }
  }

  private async prepare(): Promise<void> {
    try {
      await this.bot.api.deleteWebhook();
    } catch (error) {
      if (error instanceof GrammyError && error.error_code === 401) throw error;
      this.logger.warn({ err: error }, "deleteWebhook failed; polling anyway");
    }
    try {
      await this.bot.api.setMyCommands(BOT_COMMANDS);
    } catch (error) {
      if (error instanceof GrammyError && error.error_code === 401) throw error;
      this.logger.warn({ err: error }, "setMyCommands failed; the command menu may be stale");
    }
  }

  /** Stops fetching, then waits (until the deadline) for the updates already being handled. */
  async stop(deadline: number): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    this.wake();
    const handle = this.handle;
    if (handle) {
      await handle.stop();
      while (handle.size() > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
      }
      if (handle.size() > 0) this.logger.warn({ inFlight: handle.size() }, "shutdown deadline hit with updates in flight");
    }
    if (this.loop) await settleBy(this.loop, deadline);
  }
}
