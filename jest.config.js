// Type-checking happens once, in `tsc --noEmit` (npm test); with isolatedModules in tsconfig,
// ts-jest only transpiles each file, so no test file re-checks @pulumi/aws's large declarations.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
  },
  testTimeout: 30000,
  // The examples import the kit by its package name, as a user's program does.
  moduleNameMapper: { "^aspnet-webfarm$": "<rootDir>/components/index.ts" },
};
