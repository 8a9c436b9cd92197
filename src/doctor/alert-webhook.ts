import type { Config } from "../config.js";
import { fail, ok, reasonOf, skip, warn, type DoctorCheck } from "./check.js";

const NAME = "Alert webhook";

/**
 * The webhook alert channel, when ALERT_WEBHOOK_URL is set: a POST, as the channel sends, of an empty JSON object.
 * Slack and Discord refuse a message with no text (400 "no_text", "Cannot send an empty message") and post nothing,
 * yet answer only after they have found the webhook: a deleted, revoked or archived one answers 401, 403, 404 or
 * 410 instead. A HEAD would post nothing either, but cannot tell a live hook from a deleted one. A receiver of
 * your own sees one `{}` with no alert fields. Only the host is shown: the URL itself is a credential.
 */
export function alertWebhookCheck(config: Config, timeoutMs: number): DoctorCheck {
  return {
    name: NAME,
    onTimeout: "check ALERT_WEBHOOK_URL and this machine's network",
    async run(signal) {
      const url = config.alerts.webhookUrl;
      if (url === undefined) return skip(NAME, "not configured (ALERT_WEBHOOK_URL unset)");
      const host = new URL(url).host;
      let response: Response;
      try {
        response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{}",
          redirect: "manual",
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
        });
      } catch (error) {
        return fail(NAME, `${host} unreachable (${reasonOf(error)})`, "check ALERT_WEBHOOK_URL and this machine's network");
      }
      const status = response.status;
      await response.body?.cancel();
      if ([401, 403, 404, 410].includes(status)) {
        return fail(NAME, `${host} answered ${status}: the webhook is gone or refused`, "check ALERT_WEBHOOK_URL (make a new webhook if it was deleted)");
      }
      if (status === 429) return warn(NAME, `${host} is rate limiting (429)`, "alerts wait and retry; nothing to do unless it lasts");
      if (status >= 500) return fail(NAME, `${host} answered ${status}`, "the receiver is failing: check it, or change ALERT_WEBHOOK_URL");
      if (status === 400 || (status >= 200 && status < 300)) return ok(NAME, `${host} takes POSTs (${status} to an empty message: nothing was posted)`);
      return fail(NAME, `${host} answered ${status} to a POST`, "check ALERT_WEBHOOK_URL: it must take a JSON POST");
    },
  };
}
