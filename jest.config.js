// `npm test` compiles once into .build/ (test/support/suite.mjs, which type-checks beside the tests);
// Jest runs that compiled JavaScript.
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
  // `npm run test:unit` (test/support/suite.mjs --unit): the graph and generator tests, without the
  // local farm's acceptance suites and the packed-package test.
  testPathIgnorePatterns: [
    "/node_modules/",
    ...(process.env.WEBFARM_TEST_UNIT ? ["/\\.build/test/tools/local/", "/\\.build/test/package\\.test\\.js$"] : []),
  ],
  runner: "<rootDir>/test/support/runner.mjs",
  // Both cores: the local farm and package tests wait on other processes while the mock tests run.
  maxWorkers: 2,
  // Compiled already; nothing for Jest to transform.
  transform: {},
  setupFilesAfterEnv: ["<rootDir>/.build/test/support/timeouts.js", "<rootDir>/.build/test/support/kitByName.js"],
  snapshotResolver: "<rootDir>/.build/test/support/snapshotResolver.js",
  // The longest files first, from a fresh clone too (no durations of an earlier run).
  testSequencer: "<rootDir>/.build/test/support/sequencer.js",
};
