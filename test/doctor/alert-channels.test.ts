import http from "node:http";
import { createServer as createNetServer } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertWebhookCheck } from "../../src/doctor/alert-webhook.js";
import { smtpCheck } from "../../src/doctor/smtp.js";
import { DOCTOR_TEST_TIMEOUT_MS, doctorConfig, printedLine } from "../support/doctor.js";

const BASE_ENV = { TELEGRAM_BOT_TOKEN: "123456:ABC-def_ghi", ADMIN_CHAT_ID: "4242" };
const SMTP_PASSWORD = "mail-password-31337";

async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("doctor: SMTP", () => {
  let smtp: SMTPServer;
  let port: number;
  const line = (smtpUrl: string) =>
    printedLine(smtpCheck(doctorConfig({ ...BASE_ENV, SMTP_URL: smtpUrl, ALERT_EMAIL_TO: "ops@example.test" }), DOCTOR_TEST_TIMEOUT_MS), [SMTP_PASSWORD]);

  beforeAll(async () => {
    smtp = new SMTPServer({
      disabledCommands: ["STARTTLS"],
      allowInsecureAuth: true,
      authOptional: true,
      onAuth: (_auth, _session, callback) => callback(new Error("Invalid username or password")),
    });
    await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
    port = (smtp.server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => smtp.close(resolve)));

  it("connects and greets the server (EHLO), sending no mail", async () => {
    expect(await line(`smtp://127.0.0.1:${port}`)).toBe(`✓ SMTP: 127.0.0.1:${port} accepts the connection; alerts go to ops@example.test`);
  });

  it("says a server that is down cannot be reached, and to check SMTP_URL", async () => {
    const dead = await closedPort();
    expect(await line(`smtp://127.0.0.1:${dead}`)).toMatch(
      new RegExp(`^✗ SMTP: cannot talk to 127\\.0\\.0\\.1:${dead} \\(.*ECONNREFUSED.*\\) — check SMTP_URL and that the mail server is running and reachable from here$`),
    );
  });

  it("says a refused login, without printing the password", async () => {
    const printed = await line(`smtp://alerts:${SMTP_PASSWORD}@127.0.0.1:${port}`);
    expect(printed).toMatch(new RegExp(`^✗ SMTP: 127\\.0\\.0\\.1:${port} refused the login \\(.*\\) — check the user and password in SMTP_URL$`));
    expect(printed).not.toContain(SMTP_PASSWORD);
  });

  it("is not configured without SMTP_URL", async () => {
    expect(await printedLine(smtpCheck(doctorConfig(BASE_ENV), DOCTOR_TEST_TIMEOUT_MS))).toBe(
      "- SMTP: not configured (SMTP_URL and ALERT_EMAIL_TO unset): no e-mail alerts",
    );
  });
});

describe("doctor: alert webhook", () => {
  let server: http.Server;
  let root: string;
  const received: { method: string; body: string }[] = [];
  const line = (url: string) => printedLine(alertWebhookCheck(doctorConfig({ ...BASE_ENV, ALERT_WEBHOOK_URL: url }), DOCTOR_TEST_TIMEOUT_MS), [url]);

  beforeAll(async () => {
    // A Slack-like receiver: a live hook refuses a message without text (400, nothing posted); a deleted one is 404.
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        received.push({ method: req.method ?? "", body });
        if (!req.url?.startsWith("/hooks/live-")) res.writeHead(404).end("no_service");
        else res.writeHead(400).end("no_text");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    root = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("finds a live webhook with an empty message it refuses to post; shows only the host", async () => {
    received.length = 0;
    expect(await line(`${root}/hooks/live-T000/B000/secret-path`)).toBe(
      `✓ Alert webhook: ${new URL(root).host} takes POSTs (400 to an empty message: nothing was posted)`,
    );
    expect(received).toEqual([{ method: "POST", body: "{}" }]);
  });

  it("says a deleted webhook (404) is gone, and to check ALERT_WEBHOOK_URL", async () => {
    expect(await line(`${root}/hooks/deleted-T000/secret-path`)).toBe(
      `✗ Alert webhook: ${new URL(root).host} answered 404: the webhook is gone or refused — check ALERT_WEBHOOK_URL (make a new webhook if it was deleted)`,
    );
  });

  it("says a receiver that is down is unreachable", async () => {
    const dead = await closedPort();
    expect(await line(`http://127.0.0.1:${dead}/hooks/live-x`)).toMatch(
      new RegExp(`^✗ Alert webhook: 127\\.0\\.0\\.1:${dead} unreachable \\(.*ECONNREFUSED.*\\) — check ALERT_WEBHOOK_URL and this machine's network$`),
    );
  });
});
