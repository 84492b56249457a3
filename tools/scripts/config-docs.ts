// `npm run config:docs`: regenerates Pulumi.yaml's config declarations and the config table
// of docs/configuration.md from WebFarm's argument schema and doc comments. `-- --check` fails when either is stale.
import { readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { REPO_ROOT } from "./repoRoot";
import { generatedProjectFile, generatedConfigPage } from "./docs";

const files = [
  { path: join(REPO_ROOT, "Pulumi.yaml"), generate: generatedProjectFile },
  { path: join(REPO_ROOT, "docs", "configuration.md"), generate: generatedConfigPage },
];
const check = process.argv.includes("--check");
let stale = 0;
for (const { path, generate } of files) {
  const current = readFileSync(path, "utf8");
  const fresh = generate(current);
  if (fresh === current) continue;
  if (check) {
    stale++;
    console.error(`${path} is out of date with components/args/args.ts: run npm run config:docs`);
  } else {
    writeFileSync(path, fresh);
    console.log(`wrote ${path}`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
