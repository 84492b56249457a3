// Jest's runner: jest-light-runner in child processes, with one fix. Each child asks the parent for
// Jest's configuration once it has loaded, over a channel tinypool hands every task; jest-light-runner
// gives all tasks one channel, whose listeners (one per task, each sending to its own child) all
// answer the first child that asks and are then dropped. A second child that had not yet begun to
// listen lost its answer, asked in turn, found no listener left and waited forever: an `npm test`
// hung with one worker idle (seen once in about fifteen runs here). Here each task gets a channel of
// its own (channelOfOne.cjs), so a child's question is answered by its own task's listener only.
import { existsSync } from "fs";
import { createRequire } from "module";
import { dirname, join } from "path";
import Tinypool from "tinypool";
import channels from "./channelOfOne.cjs";

// The fix patches the Tinypool jest-light-runner loads: it must be this one, not a copy of its own.
const runnerDir = dirname(createRequire(import.meta.url).resolve("jest-light-runner"));
if (existsSync(join(runnerDir, "..", "node_modules", "tinypool")))
  throw new Error("jest-light-runner has a tinypool of its own: test/support/runner.mjs would not apply");

const run = Tinypool.prototype.run;
Tinypool.prototype.run = function (task, options) {
  return run.call(
    this,
    task,
    options?.channel ? { ...options, channel: channels.channelOfOne(options.channel) } : options,
  );
};

export { default } from "jest-light-runner/child-process";
