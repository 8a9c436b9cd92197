/**
 * The call X answered: `users/me` asks about the account alone; any other call (a reply POST, a read of a post)
 * has a target of its own that X may be refusing instead.
 */
export type RefusedCall = "users/me" | "other";

/** 401 (revoked, expired) and a 403 saying the account is suspended or locked condemn the account on any call. */
const REFUSED_ON_ANY_CALL = new Set(["unauthorized", "account_suspended"]);

/**
 * Whether X refused the account itself, the one rule of the boot verification, the health monitor and the
 * publisher. A plain 403 counts only on users/me: there nothing but the account can be forbidden, while on a
 * reply it is usually the post's reply restriction (a failure of that reply). Any other answer (5xx, 429, 400,
 * 404…) says nothing about the account.
 */
export function isAccountRefusal(failure: { readonly kind: string; readonly reason: string }, call: RefusedCall): boolean {
  if (failure.kind !== "permanent") return false;
  return REFUSED_ON_ANY_CALL.has(failure.reason) || (call === "users/me" && failure.reason === "forbidden");
}
