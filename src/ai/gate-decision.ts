/** Defensive parsing of the gate model's JSON answer. */
import { AiError } from "./errors.js";

/** A parsed gate answer, before the model name is attached. */
export interface ParsedGate {
  /** Relevance from 0 to 1 (clamped). */
  score: number;
  /** The model's short justification ("" when it gave none). */
  reason: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** JSON candidates in a model answer: the whole text, fenced blocks, then the outermost {...}. */
function candidates(text: string): string[] {
  const out = [text.trim()];
  for (const match of text.matchAll(/```[a-zA-Z]*\s*\n?([\s\S]*?)```/g)) out.push((match[1] ?? "").trim());
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  if (start >= 0 && end > start) out.push(text.slice(start, end + 1));
  return out;
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function toScore(value: unknown): number | undefined {
  const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
  return Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : undefined;
}

/**
 * Parses `{"score": number, "reason": string}` from a model answer, also when wrapped in a code fence or prose.
 * The score may be a numeric string and is clamped to 0..1; a missing or non-string reason becomes "".
 * @throws AiError kind `bad_response` when no such object can be found.
 */
export function parseGateDecision(text: string, model?: string): ParsedGate {
  for (const candidate of candidates(text)) {
    const value = tryParse(candidate);
    if (!isRecord(value)) continue;
    const score = toScore(value.score);
    if (score === undefined) continue;
    return { score, reason: typeof value.reason === "string" ? value.reason.trim() : "" };
  }
  const preview = text.replace(/\s+/g, " ").trim().slice(0, 120);
  throw new AiError("bad_response", `gate answer is not a {score, reason} JSON object: "${preview}"`, {
    model,
    answerProblem: "unparseable",
  });
}
