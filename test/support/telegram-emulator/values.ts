// Reading Bot API payload values, and the 400s Telegram answers for missing ones.
import { BotApiError } from "./types.js";

/** A JSON object. */
export type Json = Record<string, unknown>;

/** Current time in Unix seconds, as Telegram dates are. */
export const nowSec = (): number => Math.floor(Date.now() / 1000);

/** A Telegram 400 "Bad Request: …". */
export function bad(description: string): BotApiError {
  return new BotApiError(400, `Bad Request: ${description}`);
}

/** Whether `v` is a JSON object. */
export function isJson(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A number given as a number or a numeric string. */
export function optNumber(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** A string given as a string or a number. */
export function optString(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  return undefined;
}

/** Form bodies carry objects as JSON strings; JSON bodies carry them as objects. */
export function parseMaybeJson(v: unknown): unknown {
  if (typeof v !== "string") return v;
  const t = v.trim();
  if (!(t.startsWith("{") || t.startsWith("["))) return v;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return v;
  }
}

/** `chat_id`, or Telegram's 400 for a missing or unknown one. */
export function requireChatId(p: Json): number {
  const id = optNumber(p.chat_id);
  if (id === undefined) {
    if (typeof p.chat_id === "string" && p.chat_id.startsWith("@")) throw bad("chat not found");
    throw bad("chat_id is empty");
  }
  return id;
}

/** `message_id`, or Telegram's 400 for a missing one. */
export function requireMessageId(p: Json): number {
  const id = optNumber(p.message_id);
  if (id === undefined) throw bad("message identifier is not specified");
  return id;
}
