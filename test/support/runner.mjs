// Jest's runner: jest-light-runner in child processes, with one fix. Each child asks the parent for
// Jest's configuration once it has loaded, over a channel tinypool hands every task; jest-light-runner
// gives all tasks one channel, whose listeners (one per task, each sending to its own child) all
// answer the first child that asks and are then dropped. A second child that had not yet begun to
// listen lost its answer, asked in turn, found no listener left and waited forever: an `npm test`
// hung with one worker idle (seen once in about fifteen runs here). Here each task gets a channel of
// its own, so a child's question is answered by its own task's listener only.
import Tinypool from "tinypool";

const ASK = "jest-light-runner-get-worker-data";
const run = Tinypool.prototype.run;

/** A channel for one task: it forwards its child's question to the shared one with its own listener only. */
export function channelOfOne(shared) {
  let listener;
  return {
    onMessage(l) {
      listener = l;
    },
    postMessage(message) {
      if (message !== ASK || !listener) return;
      shared.onMessage(listener);
      shared.postMessage(message);
    },
  };
}

Tinypool.prototype.run = function (task, options) {
  return run.call(this, task, options?.channel ? { ...options, channel: channelOfOne(options.channel) } : options);
};

export { default } from "jest-light-runner/child-process";
