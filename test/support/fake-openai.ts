/**
 * Fake OpenAI API: a plain `node:http` server on 127.0.0.1 (random port) answering non-streaming
 * `POST /v1/chat/completions` and `GET /v1/models[/:id]` like the real API, for the `openai` SDK created
 * with `baseURL: fake.baseUrl` (paths without the `/v1` prefix are accepted too).
 *
 * Answer selection for a chat completion: `setDown` status → next queued fault → next queued reply
 * (`enqueueReply`) → responder (`setResponder`, default {@link defaultFakeReply}).
 * Every request must carry `Authorization: Bearer …` (any key) or gets the real 401.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

/** A chat message as sent by the client (content may be a string or an array of parts). */
export interface FakeChatMessage {
  role: string;
  content?: unknown;
  [key: string]: unknown;
}

/** The parsed body of a chat completion request. */
export interface FakeChatRequest {
  model: string;
  messages: FakeChatMessage[];
  response_format?: unknown;
  [key: string]: unknown;
}

/** An error (or any non-completion) answer: `body` defaults to the OpenAI error JSON for `status`; a string body is sent raw. */
export interface FakeOpenAIStatusReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What a responder returns: the assistant text, or a status answer. */
export type FakeOpenAIResponderResult = string | FakeOpenAIStatusReply;

/** Computes the answer to a chat completion; `n` is the 1-based number of this completion since start/reset. */
export type FakeOpenAIResponder = (
  request: FakeChatRequest,
  context: { n: number },
) => FakeOpenAIResponderResult | Promise<FakeOpenAIResponderResult>;

/** A canned misbehaviour for the next chat completion request(s). */
export type FakeOpenAIFault =
  /** Answer this status (OpenAI error body by default). */
  | FakeOpenAIStatusReply
  /** Wait, then answer normally (nothing is answered if the client gave up meanwhile). */
  | { delayMs: number }
  /** Never answer until `releaseHangs()` / `close()` (which destroy the socket). */
  | { hang: true }
  /** Destroy the socket without answering. */
  | { drop: true };

/** A request as recorded by the fake (the Authorization header is never stored, only `hasBearer`). */
export interface FakeOpenAIRequest {
  method: string;
  path: string;
  model: string | null;
  messages: FakeChatMessage[] | null;
  body: unknown;
  /** Request headers, lower-cased, without `authorization`. */
  headers: Record<string, string>;
  hasBearer: boolean;
  /** Epoch milliseconds when the request arrived. */
  at: number;
  /** Status answered; null while pending or when never answered (drop/hang/client gone). */
  status: number | null;
  fault: "status" | "delay" | "hang" | "drop" | "down" | null;
  /** Assistant content answered, if a completion was returned. */
  reply: string | null;
}

/** Handle on a running fake OpenAI server. */
export interface FakeOpenAI {
  /** `http://127.0.0.1:PORT/v1` — pass as the SDK's `baseURL`. */
  readonly baseUrl: string;
  /** Replace the responder (`null` restores the default). */
  setResponder(responder: FakeOpenAIResponder | null): void;
  /** Queue a fixed assistant text for the next completion (consumed before the responder). */
  enqueueReply(text: string): void;
  /** Queue a fault for the next `times` chat completion requests. */
  enqueueFault(fault: FakeOpenAIFault, times?: number): void;
  /** Number of queued fault uses not yet consumed. */
  pendingFaults(): number;
  /** While non-null, every request is answered with this status. */
  setDown(status: number | null): void;
  /** Whether GET /models is served (default true); false answers it 404, as some OpenAI-compatible servers do. */
  setModelsListed(listed: boolean): void;
  /** Recorded requests (live records), oldest first. */
  requests(): readonly Readonly<FakeOpenAIRequest>[];
  /** Recorded chat completion requests only. */
  chatRequests(): readonly Readonly<FakeOpenAIRequest>[];
  /** Destroy the sockets of all hung requests; returns how many there were. */
  releaseHangs(): number;
  /** Forget requests, queues, responder, down state, the models listing and the completion counter. */
  reset(): void;
  /** Stop the server, destroying any open connection. */
  close(): Promise<void>;
}

const JSON_TYPE = "application/json";
const MODELS = ["gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-4.1"];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Text of a message's content (string, or the concatenated `text` of content parts). */
export function messageText(message: FakeChatMessage): string {
  const { content } = message;
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (isRecord(part) && typeof part.text === "string" ? part.text : ""))
      .filter(Boolean)
      .join("\n");
  }
  return "";
}

/** OpenAI-format error body for a status (`{error:{message,type,param,code}}`). */
export function openAIErrorBody(status: number, message?: string): { error: { message: string; type: string; param: null; code: string | null } } {
  const pick = (): { message: string; type: string; code: string | null } => {
    switch (status) {
      case 400:
        return { message: "Invalid request.", type: "invalid_request_error", code: null };
      case 401:
        return { message: "Incorrect API key provided.", type: "invalid_request_error", code: "invalid_api_key" };
      case 403:
        return { message: "You are not allowed to access this resource.", type: "invalid_request_error", code: "unsupported_country_region_territory" };
      case 404:
        return { message: "The requested resource does not exist.", type: "invalid_request_error", code: "model_not_found" };
      case 429:
        return { message: "Rate limit reached for requests. Please try again later.", type: "requests", code: "rate_limit_exceeded" };
      case 500:
        return { message: "The server had an error while processing your request. Sorry about that!", type: "server_error", code: null };
      case 502:
      case 503:
        return { message: "The server is overloaded or not ready yet.", type: "server_error", code: null };
      default:
        return { message: http.STATUS_CODES[status] ?? "Error", type: status >= 500 ? "server_error" : "invalid_request_error", code: null };
    }
  };
  const e = pick();
  return { error: { message: message ?? e.message, type: e.type, param: null, code: e.code } };
}

/** A minimal value satisfying a JSON schema, with every string leaf set to `text` (used for json_schema requests). */
export function sampleFromJsonSchema(schema: unknown, text: string, root: unknown = schema, depth = 0): unknown {
  if (!isRecord(schema) || depth > 12) return null;
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
  if (typeof schema.$ref === "string") {
    const target = schema.$ref
      .replace(/^#\/?/, "")
      .split("/")
      .filter(Boolean)
      .reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), root);
    return sampleFromJsonSchema(target, text, root, depth + 1);
  }
  for (const key of ["anyOf", "oneOf", "allOf"] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length) {
      const preferred = options.find((o) => !(isRecord(o) && o.type === "null")) ?? options[0];
      return sampleFromJsonSchema(preferred, text, root, depth + 1);
    }
  }
  const type = Array.isArray(schema.type)
    ? (schema.type as unknown[]).find((t) => t !== "null")
    : schema.type ?? (isRecord(schema.properties) ? "object" : undefined);
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      if (isRecord(schema.properties)) {
        for (const [key, sub] of Object.entries(schema.properties)) out[key] = sampleFromJsonSchema(sub, text, root, depth + 1);
      }
      return out;
    }
    case "array": {
      const count = typeof schema.minItems === "number" && schema.minItems > 0 ? schema.minItems : 1;
      return Array.from({ length: count }, () => sampleFromJsonSchema(schema.items, text, root, depth + 1));
    }
    case "string":
      return typeof schema.maxLength === "number" ? text.slice(0, schema.maxLength) : text;
    case "integer":
    case "number":
      return typeof schema.minimum === "number" ? schema.minimum : 0;
    case "boolean":
      return false;
    default:
      return null;
  }
}

/**
 * The default responder: `Reply #N: <first words of the last user message>` (with `@`/`#` stripped so it never
 * mentions anyone). For `response_format` json_schema it returns JSON satisfying the schema (strings = that
 * text); for json_object it returns `{"reply": text}`.
 */
export function defaultFakeReply(request: FakeChatRequest, context: { n: number }): string {
  const lastUser = [...request.messages].reverse().find((m) => m.role === "user");
  const excerpt = (lastUser ? messageText(lastUser) : "")
    .replace(/[@#＠]/g, "")
    .replace(/\s+/g, " ")
    .trim()
    .split(" ")
    .slice(0, 6)
    .join(" ")
    .slice(0, 40);
  const text = excerpt ? `Reply #${context.n}: ${excerpt}` : `Reply #${context.n}`;
  const format = request.response_format;
  if (isRecord(format) && format.type === "json_schema" && isRecord(format.json_schema)) {
    return JSON.stringify(sampleFromJsonSchema(format.json_schema.schema, text));
  }
  if (isRecord(format) && format.type === "json_object") return JSON.stringify({ reply: text });
  return text;
}

function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

class FakeOpenAIServer implements FakeOpenAI {
  baseUrl = "";
  private readonly server: http.Server;
  private responder: FakeOpenAIResponder = defaultFakeReply;
  private replies: string[] = [];
  private faults: { fault: FakeOpenAIFault; remaining: number }[] = [];
  private recorded: FakeOpenAIRequest[] = [];
  private down: number | null = null;
  private modelsListed = true;
  private completions = 0;
  private hung = new Set<http.ServerResponse>();
  private waiters = new Set<() => void>();
  private closed = false;

  constructor() {
    this.server = http.createServer((req, res) => {
      this.onRequest(req, res).catch((error: unknown) => {
        console.error("fake-openai: handler crashed", error);
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { "content-type": JSON_TYPE });
          res.end(JSON.stringify(openAIErrorBody(500, `fake-openai crashed: ${String(error)}`)));
        }
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${address.port}/v1`;
  }

  setResponder(responder: FakeOpenAIResponder | null): void {
    this.responder = responder ?? defaultFakeReply;
  }

  enqueueReply(text: string): void {
    this.replies.push(text);
  }

  enqueueFault(fault: FakeOpenAIFault, times = 1): void {
    if (!Number.isInteger(times) || times < 1) throw new Error("fake-openai: times must be a positive integer");
    this.faults.push({ fault, remaining: times });
  }

  pendingFaults(): number {
    return this.faults.reduce((n, f) => n + f.remaining, 0);
  }

  setDown(status: number | null): void {
    this.down = status;
  }

  setModelsListed(listed: boolean): void {
    this.modelsListed = listed;
  }

  requests(): readonly Readonly<FakeOpenAIRequest>[] {
    return [...this.recorded];
  }

  chatRequests(): readonly Readonly<FakeOpenAIRequest>[] {
    return this.recorded.filter((r) => r.method === "POST" && /\/chat\/completions$/.test(r.path));
  }

  releaseHangs(): number {
    const n = this.hung.size;
    for (const res of this.hung) res.destroy();
    this.hung.clear();
    return n;
  }

  reset(): void {
    this.releaseHangs();
    this.responder = defaultFakeReply;
    this.replies = [];
    this.faults = [];
    this.recorded = [];
    this.down = null;
    this.modelsListed = true;
    this.completions = 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.releaseHangs();
    for (const wake of this.waiters) wake();
    this.waiters.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.waiters.add(wake);
    });
  }

  private takeFault(): FakeOpenAIFault | null {
    const first = this.faults[0];
    if (!first) return null;
    first.remaining -= 1;
    if (first.remaining <= 0) this.faults.shift();
    return first.fault;
  }

  private send(res: http.ServerResponse, record: FakeOpenAIRequest, answer: Answer): void {
    if (res.destroyed || res.writableEnded) return;
    const headers: Record<string, string> = {
      "x-request-id": `req_fake_${this.recorded.indexOf(record) + 1}`,
      "openai-processing-ms": "1",
      ...answer.headers,
    };
    const hasType = Object.keys(headers).some((h) => h.toLowerCase() === "content-type");
    let payload = "";
    if (typeof answer.body === "string") {
      payload = answer.body;
      if (!hasType) headers["content-type"] = "text/plain";
    } else if (answer.body !== undefined) {
      payload = JSON.stringify(answer.body);
      if (!hasType) headers["content-type"] = JSON_TYPE;
    }
    headers["content-length"] = String(Buffer.byteLength(payload));
    res.writeHead(answer.status, headers);
    res.end(payload);
    record.status = answer.status;
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    let body: unknown = undefined;
    let badJson = false;
    if (raw.length) {
      try {
        body = JSON.parse(raw) as unknown;
      } catch {
        body = raw;
        badJson = true;
      }
    }
    const method = (req.method ?? "GET").toUpperCase();
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    const route = path.replace(/^\/v1(?=\/)/, "");
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (key === "authorization" || value === undefined) continue;
      headers[key] = Array.isArray(value) ? value.join(", ") : value;
    }
    const hasBearer = /^Bearer\s+\S+/i.test(req.headers.authorization ?? "");
    const record: FakeOpenAIRequest = {
      method,
      path,
      model: isRecord(body) && typeof body.model === "string" ? body.model : null,
      messages: isRecord(body) && Array.isArray(body.messages) ? (body.messages as FakeChatMessage[]) : null,
      body,
      headers,
      hasBearer,
      at: Date.now(),
      status: null,
      fault: null,
      reply: null,
    };
    this.recorded.push(record);
    let clientGone = false;
    res.on("close", () => {
      if (!res.writableFinished) clientGone = true;
    });

    if (this.down !== null) {
      record.fault = "down";
      this.send(res, record, { status: this.down, body: openAIErrorBody(this.down) });
      return;
    }

    const isChat = method === "POST" && route === "/chat/completions";
    if (isChat) {
      const fault = this.takeFault();
      if (fault) {
        if ("status" in fault) {
          record.fault = "status";
          this.send(res, record, { status: fault.status, body: fault.body ?? openAIErrorBody(fault.status), headers: fault.headers });
          return;
        }
        if ("drop" in fault) {
          record.fault = "drop";
          res.destroy();
          return;
        }
        if ("hang" in fault) {
          record.fault = "hang";
          this.hung.add(res);
          res.on("close", () => this.hung.delete(res));
          return;
        }
        record.fault = "delay";
        await this.wait(fault.delayMs);
        if (clientGone || this.closed) return;
      }
    }

    if (!hasBearer) {
      this.send(res, record, {
        status: 401,
        body: openAIErrorBody(
          401,
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        ),
      });
      return;
    }

    if (method === "GET" && route === "/models" && this.modelsListed) {
      this.send(res, record, { status: 200, body: { object: "list", data: MODELS.map((id) => modelObject(id)) } });
      return;
    }
    const modelMatch = method === "GET" ? /^\/models\/([^/]+)$/.exec(route) : null;
    if (modelMatch?.[1]) {
      const id = decodeURIComponent(modelMatch[1]);
      this.send(
        res,
        record,
        MODELS.includes(id)
          ? { status: 200, body: modelObject(id) }
          : { status: 404, body: openAIErrorBody(404, `The model '${id}' does not exist`) },
      );
      return;
    }
    if (!isChat) {
      this.send(res, record, { status: 404, body: openAIErrorBody(404, `Invalid URL (${method} ${path})`) });
      return;
    }

    const answer = badJson ? invalid("We could not parse the JSON body of your request.") : await this.complete(body, record);
    if (clientGone || this.closed) return;
    this.send(res, record, answer);
  }

  private async complete(body: unknown, record: FakeOpenAIRequest): Promise<Answer> {
    if (!isRecord(body)) return invalid("We could not parse the JSON body of your request.");
    if (typeof body.model !== "string" || !body.model) return invalid("you must provide a model parameter", "model");
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      return invalid("[] is too short - 'messages'", "messages");
    }
    if (body.messages.some((m) => !isRecord(m) || typeof m.role !== "string")) {
      return invalid("Invalid value for 'messages': each message needs a string 'role'.", "messages");
    }
    if (body.stream === true) return invalid("fake-openai does not support stream: true", "stream");
    const request = body as FakeChatRequest;
    const n = ++this.completions;
    const queued = this.replies.shift();
    const result = queued ?? (await this.responder(request, { n }));
    if (typeof result !== "string") {
      return { status: result.status, body: result.body ?? openAIErrorBody(result.status), headers: result.headers };
    }
    record.reply = result;
    const prompt = request.messages.map((m) => messageText(m)).join("\n");
    const choices = typeof body.n === "number" && body.n > 1 ? body.n : 1;
    const promptTokens = estimateTokens(prompt);
    const completionTokens = estimateTokens(result) * choices;
    return {
      status: 200,
      body: {
        id: `chatcmpl-fake${n}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: request.model,
        choices: Array.from({ length: choices }, (_, index) => ({
          index,
          message: { role: "assistant", content: result, refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: "stop",
        })),
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          total_tokens: promptTokens + completionTokens,
          prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
          completion_tokens_details: {
            reasoning_tokens: 0,
            audio_tokens: 0,
            accepted_prediction_tokens: 0,
            rejected_prediction_tokens: 0,
          },
        },
        service_tier: "default",
        system_fingerprint: "fp_fake",
      },
    };
  }
}

function invalid(message: string, param: string | null = null): Answer {
  const body = openAIErrorBody(400, message);
  return { status: 400, body: { error: { ...body.error, param } } };
}

function modelObject(id: string): { id: string; object: "model"; created: number; owned_by: string } {
  return { id, object: "model", created: 1_700_000_000, owned_by: "system" };
}

/** Start a fake OpenAI API on 127.0.0.1 (random port); `baseUrl` ends in `/v1`. Call `close()` when done. */
export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const fake = new FakeOpenAIServer();
  await fake.listen();
  return fake;
}
