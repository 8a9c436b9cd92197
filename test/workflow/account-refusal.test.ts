/**
 * The one rule of "X refused the account", over every reason of the X port (and the publisher's own reasons):
 * 401 and a 403 "suspended or locked" on any call; a plain 403 only on users/me, where nothing but the account
 * can be forbidden; nothing else, and never an answer that is not permanent.
 */
import { describe, expect, it } from "vitest";
import { isAccountRefusal, type RefusedCall } from "../../src/workflow/account-refusal.js";
import type { XErrorKind, XErrorReason } from "../../src/x/errors.js";

interface Row {
  readonly kind: XErrorKind;
  readonly reason: XErrorReason | "circuit_open" | "unexpected";
  /** The calls on which it is a refusal of the account. */
  readonly refusedOn: readonly RefusedCall[];
}

const ROWS: Row[] = [
  { kind: "permanent", reason: "unauthorized", refusedOn: ["users/me", "other"] },
  { kind: "permanent", reason: "account_suspended", refusedOn: ["users/me", "other"] },
  { kind: "permanent", reason: "forbidden", refusedOn: ["users/me"] },
  { kind: "permanent", reason: "bad_request", refusedOn: [] },
  { kind: "permanent", reason: "not_found", refusedOn: [] },
  { kind: "permanent", reason: "duplicate_content", refusedOn: [] },
  { kind: "permanent", reason: "not_summoned", refusedOn: [] },
  { kind: "permanent", reason: "deleted_post", refusedOn: [] },
  { kind: "permanent", reason: "reply_restricted", refusedOn: [] },
  { kind: "permanent", reason: "unexpected", refusedOn: [] },
  { kind: "transient", reason: "network", refusedOn: [] },
  { kind: "transient", reason: "timeout", refusedOn: [] },
  { kind: "transient", reason: "server_error", refusedOn: [] },
  { kind: "transient", reason: "aborted", refusedOn: [] },
  { kind: "transient", reason: "circuit_open", refusedOn: [] },
  { kind: "rate_limited", reason: "rate_limited", refusedOn: [] },
  // Only a permanent answer is a verdict, whatever its reason says.
  { kind: "transient", reason: "unauthorized", refusedOn: [] },
];

describe("isAccountRefusal", () => {
  it.each(ROWS.flatMap((row) => (["users/me", "other"] as const).map((call) => ({ ...row, call }))))(
    "$kind $reason on $call",
    ({ kind, reason, call, refusedOn }) => {
      expect(isAccountRefusal({ kind, reason }, call)).toBe(refusedOn.includes(call));
    },
  );
});
