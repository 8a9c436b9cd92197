import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../logger.js";

/** What a handler answers: a status and a body — JSON-serialised unless a `contentType` is given (then a string). */
export interface RouteResult {
  readonly status: number;
  readonly body: unknown;
  readonly contentType?: string;
  /** Extra response headers (e.g. `www-authenticate`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What the router hands a handler besides the raw request. */
export interface RouteContext {
  /** Values of the `:name` segments of the route's path, URL-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly url: URL;
  /**
   * The request body parsed as JSON (undefined when empty). Throws {@link HttpError} 413 past the
   * server's body limit and 400 `{ error, field: "body" }` when it is not JSON. Read at most once.
   */
  json(): Promise<unknown>;
}

/** A route handler; existing `(request) => …` handlers keep working (the context is extra). */
export type RouteHandler = (request: IncomingMessage, context: RouteContext) => Promise<RouteResult>;

/** Thrown by a handler (or `json()`) to answer with this status and JSON body instead of a 500. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: { readonly error: string; readonly field?: string },
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(body.error);
    this.name = "HttpError";
  }
}

/** Largest request body `json()` reads by default. */
export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;

interface PatternRoute {
  readonly method: string;
  readonly segments: readonly string[];
  readonly handler: RouteHandler;
}

function splitPath(path: string): string[] {
  return path.split("/").filter((segment) => segment !== "");
}

/** Matches `/a/:id/b` against a path; the params on a match. */
function matchSegments(pattern: readonly string[], path: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, segment] of pattern.entries()) {
    const actual = path[index]!;
    if (segment.startsWith(":")) {
      try {
        params[segment.slice(1)] = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
    } else if (segment !== actual) return undefined;
  }
  return params;
}

/** The HTTP surface: a tiny router over node:http (exact paths and `:param` segments), JSON in and out. */
export class HttpServer {
  private readonly server: Server;
  private readonly routes = new Map<string, RouteHandler>();
  private readonly patterns: PatternRoute[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly options: { readonly bodyLimitBytes?: number } = {},
  ) {
    this.server = createServer((request, response) => {
      void this.handle(request, response);
    });
  }

  /** Registers a handler for `METHOD /path`; a segment `:name` matches any one segment (see `context.params`). */
  route(method: string, path: string, handler: RouteHandler): void {
    if (path.split("/").some((segment) => segment.startsWith(":"))) {
      this.patterns.push({ method: method.toUpperCase(), segments: splitPath(path), handler });
    } else {
      this.routes.set(`${method.toUpperCase()} ${path}`, handler);
    }
  }

  private find(
    method: string,
    path: string,
  ): { handler: RouteHandler; params: Record<string, string> } | { allowed: string[] } | undefined {
    const exact = this.routes.get(`${method} ${path}`);
    if (exact) return { handler: exact, params: {} };
    const segments = splitPath(path);
    const allowed = new Set<string>();
    for (const [key] of this.routes) {
      const [routeMethod, routePath] = key.split(" ", 2);
      if (routePath === path && routeMethod) allowed.add(routeMethod);
    }
    for (const route of this.patterns) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      if (route.method === method) return { handler: route.handler, params };
      allowed.add(route.method);
    }
    return allowed.size > 0 ? { allowed: [...allowed] } : undefined;
  }

  private readJson(request: IncomingMessage): Promise<unknown> {
    const limit = this.options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
    return new Promise((resolve, reject) => {
      const declared = Number(request.headers["content-length"]);
      if (Number.isFinite(declared) && declared > limit) {
        reject(new HttpError(413, { error: `body larger than ${limit} bytes`, field: "body" }));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      request.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          reject(new HttpError(413, { error: `body larger than ${limit} bytes`, field: "body" }));
          request.removeAllListeners("data");
          request.resume();
          return;
        }
        chunks.push(chunk);
      });
      request.on("error", reject);
      request.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        if (text.trim() === "") {
          resolve(undefined);
          return;
        }
        try {
          resolve(JSON.parse(text));
        } catch {
          reject(new HttpError(400, { error: "body is not valid JSON", field: "body" }));
        }
      });
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://localhost");
    const path = url.pathname;
    const found = this.find((request.method ?? "GET").toUpperCase(), path);
    let result: RouteResult = { status: 404, body: { error: "not found" } };
    if (found && "allowed" in found) {
      result = { status: 405, body: { error: "method not allowed" }, headers: { allow: found.allowed.join(", ") } };
    } else if (found) {
      let body: Promise<unknown> | undefined;
      const context: RouteContext = { params: found.params, url, json: () => (body ??= this.readJson(request)) };
      try {
        result = await found.handler(request, context);
      } catch (error) {
        if (error instanceof HttpError) {
          result = { status: error.status, body: error.body, headers: error.headers };
        } else {
          this.logger.error({ err: error, path }, "http handler failed");
          result = { status: 500, body: { error: "internal error" } };
        }
      }
    }
    const raw = result.contentType !== undefined && typeof result.body === "string";
    response.writeHead(result.status, {
      ...result.headers,
      "content-type": raw ? result.contentType! : "application/json; charset=utf-8",
      "cache-control": "no-store",
    });
    response.end(raw ? (result.body as string) : JSON.stringify(result.body));
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
