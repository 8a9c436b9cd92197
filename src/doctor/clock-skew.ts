import type { Config } from "../config.js";
import { fail, ok, reasonOf, warn, type DoctorCheck } from "./check.js";

const NAME = "Clock";
/** Over this, a warning: still accepted everywhere, but drifting. */
export const CLOCK_WARN_MS = 30_000;
/** Over this, a failure: X refuses OAuth 1.0a signatures whose timestamp is this far off. */
export const CLOCK_FAIL_MS = 5 * 60_000;

/** How far this machine's clock is from a server's, from the `Date` header of one request (1 s resolution). */
async function offsetAgainst(root: string, signal: AbortSignal): Promise<number> {
  const sent = Date.now();
  const response = await fetch(root, { method: "HEAD", redirect: "manual", signal });
  const received = Date.now();
  const header = response.headers.get("date");
  const server = header === null ? Number.NaN : Date.parse(header);
  if (Number.isNaN(server)) throw new Error("no Date header");
  // The header is truncated to the second: its middle is the best guess; the request's middle is ours.
  return (sent + received) / 2 - (server + 500);
}

/** How this clock stands against a peer's, in whole seconds ("in step" within a second, the header's resolution). */
function describeOffset(ms: number, peer: string): string {
  const seconds = Math.round(Math.abs(ms) / 1000);
  if (seconds <= 1) return `in step with ${peer}`;
  return `${seconds} s ${ms > 0 ? "ahead of" : "behind"} ${peer}`;
}

/**
 * This machine's clock against X's and Telegram's `Date` headers (a HEAD of each API root, no token). It matters
 * because X checks the timestamp of every OAuth 1.0a signature and refuses one that is minutes off (401, as if the
 * tokens were wrong), and because X's post times and rate-limit resets are compared with this clock (a draft's
 * expiry, the wait after a 429). Over 30 s a warning; over 5 min a failure.
 */
export function clockSkewCheck(config: Config, timeoutMs: number): DoctorCheck {
  const peers = [
    { name: "X", root: config.x.apiRoot },
    { name: "Telegram", root: config.telegram.apiRoot },
  ];
  return {
    name: NAME,
    onTimeout: "check X_API_ROOT, TELEGRAM_API_ROOT and this machine's network",
    async run(signal) {
      const measured = await Promise.all(
        peers.map(async (peer) => {
          try {
            const offset = await offsetAgainst(peer.root, AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]));
            return { name: peer.name, offset, error: undefined };
          } catch (error) {
            return { name: peer.name, offset: undefined, error: reasonOf(error) };
          }
        }),
      );
      const known = measured.flatMap((peer) => (peer.offset === undefined ? [] : [peer.offset]));
      const detail = measured.map((peer) => (peer.offset !== undefined ? describeOffset(peer.offset, peer.name) : `${peer.name} not measured (${peer.error})`)).join(", ");
      if (known.length === 0) return warn(NAME, `not measured: ${detail}`, "the X and Telegram checks say why");
      const worst = Math.max(...known.map(Math.abs));
      const why = "X refuses OAuth 1.0a signatures from a clock minutes off, and compares post times and rate-limit resets with it";
      if (worst > CLOCK_FAIL_MS) return fail(NAME, `${detail}: off by more than 5 min`, `sync this machine's clock (NTP, e.g. timedatectl set-ntp true): ${why}`);
      if (worst > CLOCK_WARN_MS) return warn(NAME, `${detail}: off by more than 30 s`, `sync this machine's clock (NTP): ${why}`);
      return ok(NAME, detail);
    },
  };
}
