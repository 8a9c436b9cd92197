import type { Config } from "../config.js";
import { fail, ok, reasonOf, skip, type DoctorCheck } from "./check.js";

const NAME = "Alert webhook";

/**
 * The webhook alert channel, when ALERT_WEBHOOK_URL is set. A HEAD request, not a test alert: it proves the name
 * resolves, TLS holds and something answers at that address, and it posts nothing into the channel (a POST would
 * show a message to everyone there at every check). A 404, 410, 401 or 403 means the URL was deleted or refused
 * (Discord answers 404 for a deleted webhook); 405 or 400 means the endpoint is there and takes only POST with a
 * body (Slack). Only the host is shown: the URL itself is a credential.
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
        response = await fetch(url, { method: "HEAD", redirect: "manual", signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
      } catch (error) {
        return fail(NAME, `${host} unreachable (${reasonOf(error)})`, "check ALERT_WEBHOOK_URL and this machine's network");
      }
      const status = response.status;
      if ([401, 403, 404, 410].includes(status)) {
        return fail(NAME, `${host} answered ${status}: the webhook is gone or refused`, "check ALERT_WEBHOOK_URL (make a new webhook if it was deleted)");
      }
      if (status >= 500) return fail(NAME, `${host} answered ${status}`, "the receiver is failing: check it, or change ALERT_WEBHOOK_URL");
      return ok(NAME, `${host} answers (HEAD ${status}; nothing was posted)`);
    },
  };
}
