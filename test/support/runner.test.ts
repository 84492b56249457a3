// The runner's fix (test/support/runner.mjs): a child's question for Jest's configuration is answered
// by its own task's listener only, where jest-light-runner's one shared channel answered every task's.
import { join } from "path";
import { REPO_ROOT } from "../../tools/scripts/repoRoot";

// The source file (CommonJS, not compiled): .build holds only what TypeScript writes.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ASK, channelOfOne } = require(join(REPO_ROOT, "test", "support", "channelOfOne.cjs"));

/** jest-light-runner's shared channel (src/index.js): every listener answers the first question, then goes. */
function sharedChannel() {
  const listeners = new Set<(m: unknown) => void>();
  return {
    onMessage: (l: (m: unknown) => void) => void listeners.add(l),
    postMessage(message: unknown) {
      if (message !== ASK) return;
      for (const l of listeners) {
        l({ type: "worker-data" });
        listeners.delete(l);
      }
    },
  };
}

type Channel = ReturnType<typeof sharedChannel>;

/** Two tasks start on two children; the first child asks; later the second asks. Who got answers when. */
function twoChildren(channelFor: (shared: Channel) => Channel) {
  const shared = sharedChannel();
  const answered: string[] = [];
  const [a, b] = [channelFor(shared), channelFor(shared)];
  a.onMessage(() => answered.push("child a"));
  b.onMessage(() => answered.push("child b"));
  a.postMessage(ASK);
  const afterFirst = [...answered];
  b.postMessage(ASK);
  return { afterFirst, afterBoth: answered };
}

test("each child's question is answered by its own task only, and the second child still gets its answer", () => {
  expect(twoChildren(channelOfOne)).toEqual({ afterFirst: ["child a"], afterBoth: ["child a", "child b"] });
});

test("control: on jest-light-runner's one shared channel the first question answers both, the second none", () => {
  expect(twoChildren((shared) => shared)).toEqual({
    afterFirst: ["child a", "child b"],
    afterBoth: ["child a", "child b"],
  });
});
