// getUpdates with real long polling and `offset` confirmation, and the webhook methods that touch the queue.
import type { ServerResponse } from "node:http";
import type { Answer, EmulatorState, PendingPoll } from "./state.js";
import { optNumber, type Json } from "./values.js";

/** getUpdates: answers at once when updates wait, else holds the poll up to `timeout` seconds. */
export async function getUpdates(s: EmulatorState, p: Json, res: ServerResponse): Promise<Answer | null> {
  const offset = optNumber(p.offset) ?? 0;
  const limit = Math.min(100, Math.max(1, optNumber(p.limit) ?? 100));
  const timeout = Math.max(0, optNumber(p.timeout) ?? 0);
  if (offset > 0) s.unconfirmed = s.unconfirmed.filter((u) => (optNumber(u.update_id) ?? 0) >= offset);
  s.pullUpdates();
  if (s.unconfirmed.length > 0 || timeout === 0 || s.closed) return { ok: true, result: s.unconfirmed.slice(0, limit) };
  // Like Telegram: a newer getUpdates terminates an older pending one (catches leaked bots).
  for (const old of [...s.polls]) {
    old.finish({
      ok: false,
      error_code: 409,
      description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    });
  }
  return new Promise<Answer | null>((resolve) => {
    const poll: PendingPoll = {
      wake: () => {
        s.pullUpdates();
        if (s.unconfirmed.length > 0) poll.finish({ ok: true, result: s.unconfirmed.slice(0, limit) });
      },
      finish: (answer) => {
        if (!s.polls.delete(poll)) return;
        clearTimeout(timer);
        resolve(answer);
      },
    };
    const timer = setTimeout(() => poll.finish({ ok: true, result: [] }), Math.min(timeout, 60) * 1000);
    res.once("close", () => poll.finish(null)); // the bot aborted (e.g. runner stop)
    s.polls.add(poll);
  });
}

/** deleteWebhook (drops the queue when asked). */
export function deleteWebhook(s: EmulatorState, p: Json): true {
  if (p.drop_pending_updates === true || p.drop_pending_updates === "true") {
    s.pullUpdates();
    s.unconfirmed = [];
  }
  return true;
}

/** getWebhookInfo (no webhook; the pending count). */
export function webhookInfo(s: EmulatorState): Json {
  s.pullUpdates();
  return { url: "", has_custom_certificate: false, pending_update_count: s.unconfirmed.length };
}
