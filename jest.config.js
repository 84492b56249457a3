// Type-checking happens once, in `tsc --noEmit` (npm test); with isolatedModules in tsconfig,
// ts-jest only transpiles each file, which keeps
// each test file from re-checking @pulumi/aws's large declarations.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
  },
  testTimeout: 30000,
};
