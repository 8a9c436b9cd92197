/**
 * Malformed requests written byte by byte on a raw socket against the real server: each gets a 4xx status line and
 * a closed socket, and nothing rejects unhandled.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpServer } from "../../src/http/server.js";
import { silentLogger } from "../support/logger.js";

/** Writes `head` (then `body`, then ends our side when `end`), and resolves with what came back once the server closed. */
function raw(port: number, head: string, options: { body?: string; end?: boolean } = {}): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString("latin1"), closed: false });
    }, 4_000);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString("latin1"), closed: true });
    });
    socket.write(head);
    if (options.body !== undefined) socket.write(options.body);
    if (options.end) socket.end();
  });
}

function statusOf(text: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
}

describe("malformed HTTP requests", () => {
  let http: HttpServer;
  let port: number;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);

  beforeAll(async () => {
    process.on("unhandledRejection", onRejection);
    http = new HttpServer(silentLogger());
    http.route("GET", "/health", () => Promise.resolve({ status: 200, body: { ok: true } }));
    http.route("GET", "/items/:id", (_request, context) => Promise.resolve({ status: 200, body: context.params }));
    http.route("POST", "/echo", (_request, context) => Promise.resolve({ status: 200, body: { got: context.body } }));
    port = (await http.listen("127.0.0.1", 0)).port;
  });
  afterAll(async () => {
    await http.close();
    process.off("unhandledRejection", onRejection);
  });

  it("answers GET //[/x with a 4xx and closes the socket", async () => {
    const answer = await raw(port, "GET //[/x HTTP/1.1\r\nHost: localhost\r\n\r\n");
    expect(statusOf(answer.text)).toBeGreaterThanOrEqual(400);
    expect(statusOf(answer.text)).toBeLessThan(500);
    expect(answer.closed).toBe(true);
  });

  it("answers a bad percent-escape with 400 and closes the socket", async () => {
    const answer = await raw(port, "GET /items/%E0%A4%A HTTP/1.1\r\nHost: localhost\r\n\r\n");
    expect(statusOf(answer.text)).toBe(400);
    expect(answer.closed).toBe(true);
  });

  it("answers a header over 16 KB with 431 and closes the socket", async () => {
    const answer = await raw(port, `GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
    expect(statusOf(answer.text)).toBe(431);
    expect(answer.closed).toBe(true);
  });

  it("answers a truncated body (Content-Length larger than sent, then the client ends) with a 4xx and closes", async () => {
    const head = "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n";
    const answer = await raw(port, head, { body: '{"a":', end: true });
    expect(statusOf(answer.text)).toBeGreaterThanOrEqual(400);
    expect(statusOf(answer.text)).toBeLessThan(500);
    expect(answer.closed).toBe(true);
  });

  it("still serves a well-formed request afterwards, and nothing rejected unhandled", async () => {
    const answer = await raw(port, "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    expect(statusOf(answer.text)).toBe(200);
    expect(answer.closed).toBe(true);
    expect(rejections).toEqual([]);
  });
});
