// The fault queue: canned misbehaviours consumed by the next matching requests.
import type { Route } from "./routes.js";
import type { FakeXFault, FakeXFaultMatch } from "./types.js";

interface QueuedFault {
  match: FakeXFaultMatch;
  fault: FakeXFault;
  remaining: number;
}

/** Queued faults, each with how many more requests it applies to. */
export class FaultQueue {
  private faults: QueuedFault[] = [];

  /** Queue `fault` for the next `times` requests matching `match`. */
  enqueue(match: FakeXFaultMatch, fault: FakeXFault, times: number): void {
    if (!Number.isInteger(times) || times < 1) throw new Error("fake-x: times must be a positive integer");
    this.faults.push({ match, fault, remaining: times });
  }

  /** Uses left across all queued faults. */
  pending(): number {
    return this.faults.reduce((n, f) => n + f.remaining, 0);
  }

  /** Consumes one use of the first fault matching this request, if any. */
  take(method: string, path: string, route: Route | undefined): FakeXFault | null {
    const idx = this.faults.findIndex((f) => {
      if (f.match.method !== undefined && f.match.method.toUpperCase() !== method) return false;
      const p = f.match.path;
      if (p === undefined) return true;
      if (p instanceof RegExp) return p.test(path);
      return p === path || (route !== undefined && route.key.slice(route.key.indexOf(" ") + 1) === p);
    });
    const queued = idx === -1 ? undefined : this.faults[idx];
    if (!queued) return null;
    queued.remaining -= 1;
    if (queued.remaining <= 0) this.faults.splice(idx, 1);
    return queued.fault;
  }

  /** Forgets every queued fault. */
  clear(): void {
    this.faults = [];
  }
}
