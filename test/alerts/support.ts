/** Local peers and a fake clock for the alerting tests: a webhook receiver, an SMTP server, the Bot API. */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Api } from "grammy";
import { SMTPServer } from "smtp-server";
import { createAlerting, type Alerting, type AlertingDeps } from "../../src/alerts/alerting.js";
import { createTelegramAlertSender } from "../../src/alerts/channels.js";
import { loadConfig, type Config } from "../../src/config.js";
import type { Database } from "../../src/db/database.js";
import { alertDeliveries, alerts, alertState } from "../../src/db/schema.js";
import { ADMIN_CHAT, testEnvironment } from "../support/app-harness.js";
import { silentLogger } from "../support/logger.js";
import type { TelegramEmulator } from "../support/telegram-emulator/index.js";

/** Empties the alerting tables (alerts, their deliveries, the alerting state), so one database serves a whole file. */
export async function clearAlertTables(db: Database): Promise<void> {
  for (const table of [alertDeliveries, alerts, alertState]) await db.delete(table);
}

/** A clock the test moves by hand. */
export interface FakeClock {
  readonly now: () => Date;
  readonly advance: (ms: number) => void;
  readonly set: (at: Date) => void;
}

/** 12:00 UTC = 14:00 in Berlin. */
export const T0 = new Date("2025-07-01T12:00:00Z");

export function fakeClock(start: Date = T0): FakeClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance: (ms) => {
      current += ms;
    },
    set: (at) => {
      current = at.getTime();
    },
  };
}

/** A webhook peer on 127.0.0.1 that records the JSON it receives and answers `status` (changeable). */
export interface WebhookReceiver {
  readonly url: string;
  readonly received: Record<string, unknown>[];
  status: number;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: Record<string, unknown>[] = [];
  const receiver = {
    url: "",
    received,
    status: 200,
    close: () => Promise.resolve(),
  };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (receiver.status < 300) received.push(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>);
      response.writeHead(receiver.status, { "content-type": "text/plain" });
      response.end(receiver.status < 300 ? "ok" : "webhook down");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return receiver;
}

/** One mail an SMTP client delivered. */
export interface ReceivedMail {
  readonly from: string;
  readonly to: string[];
  readonly raw: string;
  readonly subject: string;
}

/** An SMTP server on 127.0.0.1 (no auth, no TLS) that keeps every mail. */
export interface SmtpReceiver {
  readonly url: string;
  readonly mails: ReceivedMail[];
  close(): Promise<void>;
}

/** Decodes a raw mail's Subject header (nodemailer may encode it as =?UTF-8?Q?…?= words). */
function decodeSubject(raw: string): string {
  const header = /^Subject: (.*(?:\r?\n[ \t].*)*)/im.exec(raw)?.[1] ?? "";
  return header
    .replace(/\r?\n[ \t]/g, " ")
    .replace(/=\?UTF-8\?([QB])\?([^?]*)\?=\s*/gi, (_, encoding: string, text: string) =>
      encoding.toUpperCase() === "B"
        ? Buffer.from(text, "base64").toString("utf8")
        : Buffer.from(
            text.replace(/_/g, " ").replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
            "latin1",
          ).toString("utf8"),
    );
}

export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          subject: decodeSubject(raw),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The config of a bot talking to the emulator, plus `env`. */
export function alertConfig(tg: TelegramEmulator, env: Record<string, string> = {}): Config {
  return loadConfig(testEnvironment(tg, { BOT_TIMEZONE: "Europe/Berlin", MIN_ALERT_LEVEL: "info", ...env }));
}

/** Alerting wired to the emulator's admin chat through a plain Api (no auto-retry), on the fake clock. */
export function alertingFor(
  tg: TelegramEmulator,
  db: Database,
  clock: FakeClock,
  env: Record<string, string> = {},
  extra: Partial<AlertingDeps> = {},
): { alerting: Alerting; config: Config } {
  const config = alertConfig(tg, env);
  const api = new Api(tg.token, { apiRoot: tg.apiRoot });
  const alerting = createAlerting({
    db,
    config,
    logger: silentLogger(),
    telegram: createTelegramAlertSender(api, ADMIN_CHAT.id),
    now: clock.now,
    ...extra,
  });
  return { alerting, config };
}
