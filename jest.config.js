// `npm test` type-checks and compiles once (tsc into .build/); Jest runs that compiled JavaScript.
// jest-light-runner keeps each worker's modules loaded from one test file to the next, where Jest's
// own runner loads the SDK and @pulumi/aws afresh for every file: that was most of the suite's time.
// Its workers are child processes (the SDK's closure serialization needs the inspector, which
// worker threads lack). The runner does not isolate test files or apply timeouts: the tests share
// no global state but Pulumi's mocks, which every program run sets afresh, and
// test/support/timeouts.js bounds every test and hook as Jest would.
/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  roots: ["<rootDir>/.build/test"],
  testMatch: ["**/*.test.js"],
  runner: "jest-light-runner/child-process",
  // Both cores: the local farm and package tests wait on other processes while the mock tests run.
  maxWorkers: 2,
  // Compiled already; nothing for Jest to transform.
  transform: {},
  setupFilesAfterEnv: ["<rootDir>/.build/test/support/timeouts.js", "<rootDir>/.build/test/support/kitByName.js"],
  snapshotResolver: "<rootDir>/.build/test/support/snapshotResolver.js",
};
