// The order Jest hands test files to its two workers: the longest first, so that neither worker is
// left with a long file at the end while the other sits idle. Jest's own order uses the durations of
// an earlier run, which a fresh clone does not have (it falls back to file size, and the acceptance
// suites are small files that run for half a minute). The figures are wall seconds measured on the
// project's 2-core machine (DEVELOPING.md, "The test harness"); a file not listed is weighed by size.
import Sequencer from "@jest/test-sequencer";
import { statSync } from "fs";
import { relative } from "path";
import { REPO_ROOT } from "../../tools/scripts/repoRoot";

type Test = Parameters<Sequencer["sort"]>[0][number];

/** Seconds each slow file takes, by its path under .build/test. */
export const SECONDS: Record<string, number> = {
  "tools/local/release.test.js": 30,
  "tools/local/farm.test.js": 9,
  "tools/local/sessionStore.test.js": 8,
  "tools/local/guard.test.js": 6,
  // These two wait for the type-check beside the tests (its schema inference, its declarations):
  // ranked after the acceptance suites, whatever they take, so that no worker waits early.
  "provider.test.js": 5.5,
  // The packed package, then a team's project through its bin (three commands, a process each).
  "package.test.js": 10,
  "engine/plan.test.js": 4,
  "farm/webFarm.test.js": 3,
  "aws/iam/permissions.test.js": 3,
  "infra/program.test.js": 2,
  "engine/testing.test.js": 1.5,
  "cli/main.test.js": 1.5,
};

/** About a second for every 20 kB of a file not listed (the mock tests run at about that rate). */
const BYTES_PER_SECOND = 20000;

export function weight(path: string): number {
  const key = relative(`${REPO_ROOT}/.build/test`, path).split("\\").join("/");
  return SECONDS[key] ?? statSync(path).size / BYTES_PER_SECOND;
}

export default class HeaviestFirst extends Sequencer {
  sort(tests: Test[]): Test[] {
    return [...tests].sort((a, b) => weight(b.path) - weight(a.path) || a.path.localeCompare(b.path));
  }
}
