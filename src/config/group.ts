import { z } from "zod";

// A class, not a plain object, so that a leaf can never be mistaken for a nested part of the layout.
/** One environment variable and the schema that parses it: a leaf of a group's layout. */
class Setting<Variable extends string = string, Schema extends z.ZodType = z.ZodType> {
  constructor(
    readonly variable: Variable,
    readonly schema: Schema,
  ) {}
}

/** Reads `variable` with `schema`; its place in a group's layout is its place in the config. */
export const setting = <Variable extends string, Schema extends z.ZodType>(variable: Variable, schema: Schema) =>
  new Setting(variable, schema);

/** Where each setting goes in the config: nested objects whose leaves are settings. */
interface Layout {
  readonly [key: string]: Setting | Layout;
}

// Leaves are told apart by their variable name alone: comparing zod schemas structurally is too costly for tsc.
type SettingsOf<L> = { [K in keyof L]: L[K] extends { readonly variable: string } ? L[K] : SettingsOf<L[K]> }[keyof L];

type OutputOf<S> = S extends { readonly schema: infer Schema } ? z.output<Schema> : never;

/** The environment as a layout's variables parse it, keyed by variable name (what cross-field checks see). */
type EnvOf<L> = { [S in SettingsOf<L> as S extends { readonly variable: infer V extends string } ? V : never]: OutputOf<S> };

/** The slice of the config a layout produces. */
type SliceOf<L> = { [K in keyof L]: L[K] extends { readonly variable: string } ? OutputOf<L[K]> : SliceOf<L[K]> };

interface GroupOptions<L, Out> {
  /** Checks between variables; name the variable an issue is about in its `path`. */
  readonly check?: (env: EnvOf<L>, ctx: z.RefinementCtx) => void;
  /** Computes values that combine several variables (the X accounts, the e-mail channel). */
  readonly derive?: (slice: SliceOf<L>) => Out;
}

function collect(layout: Layout, shape: Record<string, z.ZodType>): Record<string, z.ZodType> {
  for (const entry of Object.values(layout)) {
    if (entry instanceof Setting) shape[entry.variable] = entry.schema;
    else collect(entry, shape);
  }
  return shape;
}

function place(layout: Layout, env: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(layout).map(([key, entry]) => [key, entry instanceof Setting ? env[entry.variable] : place(entry, env)]),
  );
}

/**
 * The schema of one config group: it parses the layout's variables from the environment, runs the checks between
 * them and outputs the layout filled in with their values (then `derive`d, if given).
 */
export function group<L extends Layout, Out = SliceOf<L>>(layout: L, options: GroupOptions<L, Out> = {}) {
  const { check, derive } = options;
  const object = z.object(collect(layout, {}));
  const checked = check ? object.superRefine((env, ctx) => check(env as EnvOf<L>, ctx)) : object;
  return checked.transform((env): Out => {
    const slice = place(layout, env) as SliceOf<L>;
    return derive ? derive(slice) : (slice as Out);
  });
}
