import { confirm, input, password, select } from "@inquirer/prompts";

/** What a prompt's validate answers: true, or the message shown under the prompt. */
export type Validation = true | string;

/** A choice of a select prompt. */
export interface Choice<T> {
  readonly name: string;
  readonly value: T;
}

/**
 * The questions the wizard asks and the lines it prints: the terminal in `npm run setup`, a scripted stand-in in
 * tests. A secret is only ever asked with {@link Prompter.secret}, which shows nothing of what is typed.
 */
export interface Prompter {
  /** A line of free text; `fallback` is taken on Enter. */
  text(message: string, options?: { fallback?: string; validate?: (value: string) => Validation }): Promise<string>;
  /** A secret: nothing typed is shown (no mask, no reveal key). */
  secret(message: string): Promise<string>;
  /** Yes or no. */
  confirm(message: string, fallback: boolean): Promise<boolean>;
  /** One of `choices`; `fallback` is the one selected at first. */
  choose<T>(message: string, choices: readonly Choice<T>[], fallback?: T): Promise<T>;
  /** Prints a line. */
  say(line: string): void;
}

/** The {@link Prompter} of a terminal, on @inquirer/prompts. */
export function inquirerPrompter(output: NodeJS.WritableStream = process.stdout): Prompter {
  return {
    text: (message, options = {}) =>
      input({
        message,
        ...(options.fallback === undefined ? {} : { default: options.fallback }),
        ...(options.validate === undefined ? {} : { validate: options.validate }),
      }),
    // toggleMask off: inquirer's Ctrl+T would otherwise reveal the secret on the screen.
    secret: (message) => password({ message, toggleMask: false }),
    confirm: (message, fallback) => confirm({ message, default: fallback }),
    choose: (message, choices, fallback) =>
      select({ message, choices: choices.map((choice) => ({ ...choice })), ...(fallback === undefined ? {} : { default: fallback }) }),
    say: (line) => void output.write(`${line}\n`),
  };
}
