// What the kit's two dynamic providers (the release, the serving gate) share: a clock they are
// given (the real one in `pulumi up`, a scripted one in tests) and one bounded poll loop.
// The providers are serialized into the state with what they capture: this module is required
// by path from the package (package.json `exports` names dist/aws/waiter.js), so it imports
// nothing at run time.
import type * as pulumi from "@pulumi/pulumi";

/** Time and logging, injected so tests run a wait of an hour in no time. */
export interface WaitClock {
  sleep(ms: number): Promise<void>;
  now(): number;
  log(line: string): void;
}

export const realClock: WaitClock = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
  log: (line) => console.log(line),
};

/** What one poll saw. */
export interface Observation {
  /** Compared with the previous poll's: `line` is logged when it differs. */
  status: string;
  line: string;
  /** The wait is over: the observation is returned. */
  done: boolean;
  /** The wait cannot succeed: thrown (after the line is logged). */
  failure?: Error;
}

/**
 * Polls every `pollMs` until an observation is done (returned) or failed (thrown), logging each
 * new status; past the deadline, throws what `late` makes of the last observation.
 */
export async function pollUntil<O extends Observation>(
  clock: WaitClock,
  deadline: number,
  pollMs: number,
  observe: () => Promise<O>,
  late: (last: O) => Error,
): Promise<O> {
  let last = "";
  for (;;) {
    const seen = await observe();
    if (seen.status !== last) clock.log(seen.line);
    last = seen.status;
    if (seen.done) return seen;
    if (seen.failure) throw seen.failure;
    if (clock.now() >= deadline) throw late(seen);
    await clock.sleep(pollMs);
  }
}

/** A dynamic resource's arguments: each of its provider's inputs, or an Output of it. */
export type DynamicArgs<T> = { [K in keyof T]: pulumi.Input<T[K]> };
