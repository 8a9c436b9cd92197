import { createTransport } from "nodemailer";
import type { Config } from "../config.js";
import { fail, ok, reasonOf, skip, type DoctorCheck } from "./check.js";

const NAME = "SMTP";

/** host:port of SMTP_URL, never its user or password. */
function whereOf(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  return `${url.hostname}:${url.port || (url.protocol === "smtps:" ? "465" : "587")}`;
}

/**
 * The e-mail alert channel, when SMTP_URL is set: nodemailer's `verify()` over the transport the channel uses —
 * connect, EHLO, STARTTLS when offered, and the login when SMTP_URL has one. No mail is sent.
 */
export function smtpCheck(config: Config, timeoutMs: number): DoctorCheck {
  return {
    name: NAME,
    onTimeout: "check SMTP_URL and that the mail server is reachable from here",
    async run() {
      const email = config.alerts.email;
      if (!email) return skip(NAME, "not configured (SMTP_URL and ALERT_EMAIL_TO unset): no e-mail alerts");
      const where = whereOf(email.smtpUrl);
      const transport = createTransport({ url: email.smtpUrl, connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs });
      try {
        await transport.verify();
        return ok(NAME, `${where} accepts the connection; alerts go to ${email.to}`);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code === "EAUTH") return fail(NAME, `${where} refused the login (${reasonOf(error)})`, "check the user and password in SMTP_URL");
        return fail(NAME, `cannot talk to ${where} (${reasonOf(error)})`, "check SMTP_URL and that the mail server is running and reachable from here");
      } finally {
        transport.close();
      }
    },
  };
}
