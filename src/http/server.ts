import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../logger.js";

/** A route handler: resolves with a status and a JSON-serialisable body. */
export type RouteHandler = (request: IncomingMessage) => Promise<{ status: number; body: unknown }>;

/** The HTTP surface: a tiny router over node:http, JSON in and out. */
export class HttpServer {
  private readonly server: Server;
  private readonly routes = new Map<string, RouteHandler>();

  constructor(private readonly logger: Logger) {
    this.server = createServer((request, response) => {
      void this.handle(request, response);
    });
  }

  /** Registers a handler for `METHOD /path`. */
  route(method: string, path: string, handler: RouteHandler): void {
    this.routes.set(`${method} ${path}`, handler);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const handler = this.routes.get(`${request.method ?? "GET"} ${path}`);
    let status = 404;
    let body: unknown = { error: "not found" };
    if (handler) {
      try {
        ({ status, body } = await handler(request));
      } catch (error) {
        this.logger.error({ err: error, path }, "http handler failed");
        status = 500;
        body = { error: "internal error" };
      }
    }
    response.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
    response.end(JSON.stringify(body));
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Stops accepting connections and closes idle keep-alive ones. */
  close(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }
}
