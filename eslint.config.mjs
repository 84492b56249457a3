// typescript-eslint's recommended rules, plus the kit's layering as import rules: the stack program
// and the examples use the kit only through its public entry point, and the pure generators know
// nothing of Pulumi. Formatting is Prettier's (npm run format:check), not a lint rule.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", ".build/", ".cache/", ".local-farm/", "examples/*/node_modules/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // Mock inputs and policy props are untyped data; `any` there is honest.
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
      "@typescript-eslint/no-namespace": "off",
    },
  },
  {
    files: ["infra/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["../components/*", "**/components/**"],
              message: 'The stack program uses the kit through its public entry point: import from "../components".',
            },
          ],
        },
      ],
    },
  },
  {
    files: ["examples/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["../*", "../../*"],
              message: 'An example uses the kit as a user\'s program does: import from "aspnet-webfarm".',
            },
          ],
        },
      ],
    },
  },
  {
    files: ["components/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            {
              name: "@pulumi/aws",
              message:
                'Import the AWS service module ("@pulumi/aws/ec2"): the package root loads every service\'s types.',
            },
          ],
          patterns: [
            {
              // By folder name: the library's parts sit at different depths, and none of these
              // names is a folder of components/.
              group: ["**/infra/**", "**/engine/**", "**/test/**", "**/tools/**", "**/policy/**", "**/examples/**"],
              message: "The library depends on nothing outside components/.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["components/**/windows/**/*.ts", "components/network/cidr.ts", "components/args/rules.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@pulumi/*"],
              message: "Pure generators know nothing of Pulumi: take plain values, return text.",
            },
            {
              // Another generator (a windows/ folder of any part), the shared rules, CIDR math, the call catalogue.
              regex: "^\\.\\./(?!(\\.\\./)*([\\w]+/)*(windows/[\\w.]+|rules|cidr|iam/calls)$)",
              message: "Pure generators use only the shared rules, CIDR math and the call catalogue's types.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    languageOptions: {
      globals: {
        require: "readonly",
        module: "writable",
        __dirname: "readonly",
        process: "readonly",
        console: "readonly",
      },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
