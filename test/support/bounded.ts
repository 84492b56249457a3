// A function bounded in time, as Jest bounds a test or hook: it fails once `timeoutMs` passes
// without it settling. Used by timeouts.ts, which applies it to every test and hook.

export type Fn = (this: unknown, done?: (error?: unknown) => void) => unknown;

export function bounded(fn: Fn, timeoutMs: number, what: string): () => Promise<unknown> {
  return function (this: unknown) {
    // A function that takes `done` finishes when it calls it; any other when its promise settles.
    const work =
      fn.length >= 1
        ? new Promise((resolve, reject) => fn.call(this, (error) => (error ? reject(error) : resolve(undefined))))
        : Promise.resolve().then(() => fn.call(this));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Exceeded timeout of ${timeoutMs} ms for ${what}.`)), timeoutMs);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  };
}
