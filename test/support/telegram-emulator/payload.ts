// Reading a Bot API request: query string, JSON, urlencoded and multipart bodies.
import type { IncomingMessage } from "node:http";
import { isJson, parseMaybeJson, type Json } from "./values.js";

const NUMERIC_FIELDS = new Set([
  "chat_id", "message_id", "from_chat_id", "reply_to_message_id", "message_thread_id", "user_id",
  "offset", "limit", "timeout", "cache_time", "duration", "width", "height",
]);
const BOOLEAN_FIELDS = new Set([
  "show_alert", "disable_notification", "protect_content", "drop_pending_updates", "allow_sending_without_reply",
  "disable_web_page_preview", "has_spoiler", "supports_streaming", "is_personal", "revoke_messages",
]);

/** Form/query values are strings; give known numeric/boolean fields their JSON types (and parse JSON objects). */
function coerceFormValue(key: string, value: string): unknown {
  if (NUMERIC_FIELDS.has(key) && /^-?\d+$/.test(value.trim())) return Number(value);
  if (BOOLEAN_FIELDS.has(key) && (value === "true" || value === "false")) return value === "true";
  return parseMaybeJson(value);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/** Parses JSON, urlencoded and multipart bodies (plus query parameters) into a payload. */
export async function parsePayload(req: IncomingMessage, url: URL): Promise<Json> {
  const payload: Json = {};
  for (const [k, v] of url.searchParams) payload[k] = coerceFormValue(k, v);
  const body = await readBody(req);
  if (body.length === 0) return payload;
  const rawType = req.headers["content-type"] ?? "";
  const type = rawType.toLowerCase();
  if (type.includes("application/json")) {
    const parsed: unknown = JSON.parse(body.toString("utf8"));
    if (!isJson(parsed)) throw new Error("JSON body is not an object");
    return { ...payload, ...parsed };
  }
  if (type.includes("application/x-www-form-urlencoded")) {
    for (const [k, v] of new URLSearchParams(body.toString("utf8"))) payload[k] = coerceFormValue(k, v);
    return payload;
  }
  if (type.includes("multipart/form-data")) return { ...payload, ...parseMultipart(body, rawType) };
  throw new Error(`unsupported content-type "${type}"`);
}

/**
 * Lenient multipart/form-data parser. grammY's encoder writes `content-disposition:form-data;name="x"`
 * and unquoted `filename=a.png`, which undici's `Response.formData()` rejects. Files become
 * `{ file, size, type }`; `attach://id` field values are replaced by the attached file.
 */
function parseMultipart(body: Buffer, rawType: string): Json {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(rawType);
  const boundary = m?.[1] ?? m?.[2]?.trim();
  if (!boundary) throw new Error("multipart body without boundary");
  const delimiter = Buffer.from(`--${boundary}`);
  const fields: Json = {};
  const files = new Map<string, Json>();
  let pos = body.indexOf(delimiter);
  while (pos >= 0) {
    let start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString("latin1") === "--") break;
    if (body.subarray(start, start + 2).toString("latin1") === "\r\n") start += 2;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start, Math.max(start, next - 2)); // drop the CRLF before the delimiter
    const sep = part.indexOf("\r\n\r\n");
    const head = sep < 0 ? "" : part.subarray(0, sep).toString("utf8");
    const content = sep < 0 ? part : part.subarray(sep + 4);
    const name = /[;:\s]name=(?:"([^"]*)"|([^;\r\n]*))/i.exec(head);
    const filename = /filename=(?:"([^"]*)"|([^;\r\n]*))/i.exec(head);
    const key = name?.[1] ?? name?.[2]?.trim();
    if (key !== undefined) {
      if (filename) {
        const ctype = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1]?.trim();
        files.set(key, { file: filename[1] ?? filename[2]?.trim() ?? "", size: content.length, ...(ctype ? { type: ctype } : {}) });
      } else fields[key] = coerceFormValue(key, content.toString("utf8"));
    }
    pos = next;
  }
  const attached = new Set<string>();
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v !== "string" || !v.startsWith("attach://")) continue;
    const id = v.slice("attach://".length);
    const file = files.get(id);
    if (file) {
      fields[k] = file;
      attached.add(id);
    }
  }
  for (const [k, f] of files) if (!attached.has(k) && !(k in fields)) fields[k] = f;
  return fields;
}
