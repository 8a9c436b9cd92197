import type { Choice, Prompter } from "../../src/setup/prompter.js";

/** One expected question and its answer (computed when asked, so a test can act at that moment). */
export interface ScriptedAnswer {
  /** Part of the question (or a pattern) the wizard must be asking now. */
  readonly asks: string | RegExp;
  readonly answer: string | boolean | (() => string | boolean | Promise<string | boolean>);
}

/** A {@link Prompter} that answers from a script, in order, and records every question and printed line. */
export interface ScriptedPrompter extends Prompter {
  /** Questions and lines, in order ("? …" for a question, the line itself for `say`). */
  readonly transcript: string[];
  /** Script entries not asked yet. */
  remaining(): number;
}

function matches(message: string, asks: string | RegExp): boolean {
  return typeof asks === "string" ? message.includes(asks) : asks.test(message);
}

/**
 * Scripted answers for the wizard's steps. A question that is not the next one in the script fails the test with
 * the transcript; a select's answer is the `value` of a choice (checked against the choices offered); Enter on a
 * text prompt is "" (the fallback is taken, as in the terminal).
 */
export function scriptedPrompter(script: readonly ScriptedAnswer[]): ScriptedPrompter {
  const queue = [...script];
  const transcript: string[] = [];
  async function next(message: string): Promise<string | boolean> {
    transcript.push(`? ${message}`);
    const entry = queue.shift();
    if (entry === undefined || !matches(message, entry.asks)) {
      throw new Error(`unexpected question ${JSON.stringify(message)} (script expected ${String(entry?.asks)}); transcript:\n${transcript.join("\n")}`);
    }
    return typeof entry.answer === "function" ? entry.answer() : entry.answer;
  }
  return {
    transcript,
    remaining: () => queue.length,
    async text(message, options = {}) {
      const answer = String(await next(message));
      const value = answer === "" ? (options.fallback ?? "") : answer;
      const valid = options.validate?.(value) ?? true;
      if (valid !== true) throw new Error(`the wizard refused ${JSON.stringify(value)}: ${valid}`);
      return value;
    },
    async secret(message) {
      return String(await next(message));
    },
    async confirm(message) {
      return Boolean(await next(message));
    },
    async choose<T>(message: string, choices: readonly Choice<T>[]): Promise<T> {
      const answer = await next(message);
      const choice = choices.find((c) => c.value === answer);
      if (choice === undefined) throw new Error(`no choice ${String(answer)} offered for ${message}: ${choices.map((c) => String(c.value)).join(", ")}`);
      return choice.value;
    },
    say(line) {
      transcript.push(line);
    },
  };
}
