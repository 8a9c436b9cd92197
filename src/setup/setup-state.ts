import { emptyToUndefined } from "../config/fields.js";

/**
 * What the wizard knows and what it will write. `current` is what the bot would read now (the env file overlaid with
 * the environment); `updates` are the answers, variable by variable (undefined = the line is commented out).
 */
export class SetupState {
  readonly updates = new Map<string, string | undefined>();

  constructor(private readonly current: Readonly<Record<string, string | undefined>>) {}

  /** The value as the wizard leaves it: the answer if one was given, else the current one; blank counts as unset. */
  get(variable: string): string | undefined {
    const value = this.raw(variable);
    return emptyToUndefined(value) === undefined ? undefined : value;
  }

  /** Like {@link get}, but a blank value stays blank (QUIET_HOURS= means "none", not "unset"). */
  raw(variable: string): string | undefined {
    return this.updates.has(variable) ? this.updates.get(variable) : this.current[variable];
  }

  /** Records an answer. */
  set(variable: string, value: string | undefined): void {
    this.updates.set(variable, value);
  }

  /** Every secret value the wizard has seen, current or answered, for scrubbing anything it prints. */
  secrets(variables: readonly string[]): string[] {
    return variables
      .flatMap((variable) => [this.current[variable], this.updates.get(variable)])
      .filter((value): value is string => value !== undefined && value.length >= 4);
  }
}
