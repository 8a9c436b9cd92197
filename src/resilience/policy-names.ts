/** The breaker/policy name of an X account (`x:main`); also its `/health` component and its alert key. */
export function xPolicyName(label: string): string {
  return `x:${label}`;
}

/** The breaker/policy name of an AI model (`ai:gpt-4o-mini`). */
export function aiPolicyName(model: string): string {
  return `ai:${model}`;
}
