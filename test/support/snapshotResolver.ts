// Jest runs the compiled tests in .build/test; their snapshots stay beside the sources, in
// test/**/__snapshots__/<name>.test.ts.snap, where they are reviewed and committed.
import { basename, dirname, join, relative } from "path";
import { REPO_ROOT } from "../../tools/scripts/repoRoot";

const BUILT_TESTS = join(REPO_ROOT, ".build", "test");
const TESTS = join(REPO_ROOT, "test");

export = {
  resolveSnapshotPath: (testPath: string, extension: string) =>
    join(
      TESTS,
      relative(BUILT_TESTS, dirname(testPath)),
      "__snapshots__",
      basename(testPath).replace(/\.js$/, ".ts") + extension,
    ),
  resolveTestPath: (snapshotPath: string, extension: string) =>
    join(
      BUILT_TESTS,
      relative(TESTS, dirname(dirname(snapshotPath))),
      basename(snapshotPath, extension).replace(/\.ts$/, ".js"),
    ),
  testPathForConsistencyCheck: join(BUILT_TESTS, "windows", "webConfig.test.js"),
};
