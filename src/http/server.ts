import type { AddressInfo } from "node:net";
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifySchema,
  type InjectOptions,
  type LightMyRequestResponse,
} from "fastify";
import type { Logger } from "../logger.js";

/** What a handler answers: a status and a body — JSON-serialised unless a `contentType` is given (then a string). */
export interface RouteResult {
  readonly status: number;
  readonly body: unknown;
  readonly contentType?: string;
  /** Extra response headers (e.g. `www-authenticate`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What a handler gets besides the request. */
export interface RouteContext {
  /** Values of the `:name` segments of the route's path, URL-decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** The request body parsed as JSON (undefined when empty). */
  readonly body: unknown;
  /** The field (`body` or a param name) the route's schema refused, if any; the handler answers it after its auth check. */
  readonly invalidField?: string;
}

/** A route handler. */
export type RouteHandler = (request: FastifyRequest, context: RouteContext) => Promise<RouteResult>;

/** Checks a request before its body is read; a result refuses it (e.g. a wrong secret header answers 401). */
export type RouteGuard = (request: FastifyRequest) => RouteResult | undefined;

/** Thrown by a handler to answer with this status and JSON body instead of a 500. */
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

/** Largest request body accepted by default. */
export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;

/** Largest request head Node accepts (it answers 431 past it). */
const MAX_HEADER_BYTES = 16 * 1024;
/** Methods answered with 405 on a path that has routes for other methods only. */
const METHODS = ["DELETE", "GET", "PATCH", "POST", "PUT"] as const;
const JSON_TYPE = "application/json; charset=utf-8";
const CLOSE = { connection: "close" } as const;

function send(reply: FastifyReply, result: RouteResult): FastifyReply {
  const raw = result.contentType !== undefined && typeof result.body === "string";
  return reply
    .code(result.status)
    .headers({ ...result.headers, "content-type": raw ? result.contentType : JSON_TYPE, "cache-control": "no-store" })
    .send(raw ? result.body : JSON.stringify(result.body));
}

function parseJson(_request: FastifyRequest, text: string | Buffer, done: (error: Error | null, body?: unknown) => void): void {
  const trimmed = text.toString().trim();
  if (trimmed === "") {
    done(null, undefined);
    return;
  }
  try {
    done(null, JSON.parse(trimmed));
  } catch {
    done(new HttpError(400, { error: "body is not valid JSON", field: "body" }));
  }
}

/** An HTML form's fields (`application/x-www-form-urlencoded`, the dashboard's login) as a plain object. */
function parseForm(_request: FastifyRequest, text: string | Buffer, done: (error: Error | null, body?: unknown) => void): void {
  done(null, Object.fromEntries(new URLSearchParams(text.toString())));
}

/** What Fastify attaches to a request its schema refused (typed `any` by Fastify). */
interface ValidationFailure {
  readonly validationContext?: string;
  readonly validation?: readonly { readonly instancePath: string; readonly params: { readonly missingProperty?: string } }[];
}

function invalidField(request: FastifyRequest): string | undefined {
  const error = request.validationError as ValidationFailure | undefined;
  if (!error) return undefined;
  const first = error.validation?.[0];
  const path = first?.instancePath.split("/").find((segment) => segment !== "");
  return error.validationContext === "body" ? "body" : (path ?? first?.params.missingProperty ?? "body");
}

/**
 * The HTTP surface on Fastify: JSON in and out, a body limit, per-route JSON schemas, 405 with `Allow`, and server
 * timeouts so a slow or malformed client gets a 4xx and a closed socket instead of holding one open.
 */
export class HttpServer {
  private readonly app: FastifyInstance;
  private readonly methods = new Map<string, Set<string>>();

  constructor(
    private readonly logger: Logger,
    options: { readonly bodyLimitBytes?: number } = {},
  ) {
    this.app = Fastify({
      bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
      connectionTimeout: 30_000,
      requestTimeout: 10_000,
      keepAliveTimeout: 5_000,
      routerOptions: { maxParamLength: 200 },
      http: { maxHeaderSize: MAX_HEADER_BYTES, headersTimeout: 10_000 },
      return503OnClosing: true,
      // A URL the router cannot decode: answer and drop the connection.
      frameworkErrors: (error, _request, reply) => {
        void send(reply, { status: 400, body: { error: error.message }, headers: CLOSE });
      },
    });
    this.app.removeAllContentTypeParsers();
    this.app.addContentTypeParser("*", { parseAs: "string" }, parseJson);
    this.app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, parseForm);
    // Unknown paths come from scanners and garbled clients: no reason to keep their connection.
    this.app.setNotFoundHandler((_request, reply) => send(reply, { status: 404, body: { error: "not found" }, headers: CLOSE }));
    this.app.setErrorHandler((error: FastifyError, request, reply) => {
      if (error instanceof HttpError) return send(reply, { status: error.status, body: error.body, headers: error.headers });
      if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
        return send(reply, { status: 413, body: { error: `body larger than ${this.app.initialConfig.bodyLimit} bytes`, field: "body" } });
      }
      const status = error.statusCode ?? 500;
      if (status >= 400 && status < 500) {
        // A request the framework refused (bad URL, bad body framing): answer and drop the connection.
        return send(reply, { status, body: { error: error.message }, headers: CLOSE });
      }
      this.logger.error({ err: error, path: request.url }, "http handler failed");
      return send(reply, { status: 500, body: { error: "internal error" } });
    });
  }

  /**
   * Registers a handler for `METHOD /path` (`:name` segments are params); a schema's refusals reach it as
   * `invalidField`. A `guard` runs before the body is read or parsed, so a refused request gets its answer whatever
   * its body holds.
   */
  route(method: string, path: string, handler: RouteHandler, schema?: FastifySchema, guard?: RouteGuard): void {
    const upper = method.toUpperCase();
    const known = this.methods.get(path) ?? new Set<string>();
    known.add(upper);
    this.methods.set(path, known);
    this.app.route({
      method: upper,
      url: path,
      schema,
      attachValidation: schema !== undefined,
      exposeHeadRoute: false,
      ...(guard
        ? {
            onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
              const refusal = guard(request);
              if (refusal) return send(reply, refusal);
            },
          }
        : {}),
      handler: async (request, reply) => {
        const context: RouteContext = {
          params: request.params as Record<string, string>,
          body: request.body,
          invalidField: invalidField(request),
        };
        return send(reply, await handler(request, context));
      },
    });
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  async listen(host: string, port: number): Promise<AddressInfo> {
    for (const [path, known] of this.methods) {
      const allow = [...known].sort().join(", ");
      const others = METHODS.filter((method) => !known.has(method));
      if (others.length === 0) continue;
      this.app.route({
        method: others,
        url: path,
        handler: (_request, reply) => send(reply, { status: 405, body: { error: "method not allowed" }, headers: { allow } }),
      });
    }
    await this.app.listen({ host, port });
    return this.app.server.address() as AddressInfo;
  }

  /** Answers one request in-process, without a socket (tests; the 405 routes exist only once listening). */
  inject(options: InjectOptions): Promise<LightMyRequestResponse> {
    return this.app.inject(options);
  }

  /** Stops accepting connections, closes idle keep-alive ones and waits for requests in flight. */
  close(): Promise<void> {
    return this.app.close();
  }
}
