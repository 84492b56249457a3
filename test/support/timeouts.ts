// Jest's per-test and per-hook timeouts, for jest-light-runner (setupFilesAfterEnv). That runner
// runs each test function as it is and ignores the timeout a test or hook asks for, so a hung
// network test would hang the whole run. Each test and hook is wrapped as it is registered: the
// timeout given to test()/beforeAll() (or the default below) bounds it, as Jest itself would.
import { addEventHandler, getState } from "jest-circus";
import { bounded, Fn } from "./bounded";

/** The suite's default, as its testTimeout was under Jest's own runner. */
export const DEFAULT_TIMEOUT_MS = 30000;

addEventHandler((event) => {
  const block = getState().currentDescribeBlock;
  if (event.name === "add_test") {
    const test = block.children.at(-1);
    if (test?.type === "test" && test.fn === event.fn)
      test.fn = bounded(event.fn as Fn, event.timeout ?? DEFAULT_TIMEOUT_MS, `a test ("${event.testName}")`);
  } else if (event.name === "add_hook") {
    const hook = block.hooks.at(-1);
    if (hook && hook.fn === event.fn)
      hook.fn = bounded(event.fn as Fn, event.timeout ?? DEFAULT_TIMEOUT_MS, `a ${event.hookType} hook`);
  }
});
