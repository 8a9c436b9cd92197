import { redactSecrets } from "../logger.js";
import type { Prompter } from "./prompter.js";

/**
 * `prompter` whose every printed line and question is scrubbed of the secrets known at the time (and of URL
 * passwords): an error message that quotes a token must not put it on the screen.
 */
export function redactingPrompter(prompter: Prompter, secrets: () => readonly string[]): Prompter {
  const scrub = (text: string): string => redactSecrets(text, secrets());
  return {
    text: (message, options) => prompter.text(scrub(message), options),
    secret: (message) => prompter.secret(scrub(message)),
    confirm: (message, fallback) => prompter.confirm(scrub(message), fallback),
    choose: (message, choices, fallback) =>
      prompter.choose(
        scrub(message),
        choices.map((choice) => ({ ...choice, name: scrub(choice.name) })),
        fallback,
      ),
    say: (line) => prompter.say(scrub(line)),
  };
}
