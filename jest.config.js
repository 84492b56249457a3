// Type-checking happens once, in `tsc` (npm test; its output in .build/ serves the package test);
// with isolatedModules in tsconfig, ts-jest only transpiles each file, so no test file re-checks
// @pulumi/aws's large declarations.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
  },
  testTimeout: 30000,
  // Both cores: the local farm and package tests wait on other processes while the mock tests run.
  maxWorkers: 2,
  // The examples import the kit by its package name, as a user's program does.
  moduleNameMapper: {
    "^aspnet-webfarm$": "<rootDir>/components/index.ts",
    // The SDK loads TypeScript and npm's arborist at start-up for closure serialization, which
    // mocked programs never use: about half a second per test file. Load them on first use instead.
    "^\\.\\./\\.\\./typescript-shim$": "<rootDir>/test/support/lazyTypescript.js",
    "^@npmcli/arborist$": "<rootDir>/test/support/noArborist.js",
  },
};
