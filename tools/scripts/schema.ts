// `npm run schema [-- --check]`: writes the component package's schema (what every language's SDK
// is generated from) to schema.json, or checks the committed one is current (CI).
import { readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { FarmProvider } from "../../provider";
import { REPO_ROOT } from "./repoRoot";

export const SCHEMA_FILE = join(REPO_ROOT, "schema.json");

/** The schema as committed: pretty, with a final newline, so reviews read it. */
export async function generatedSchema(provider = new FarmProvider(REPO_ROOT)): Promise<string> {
  return JSON.stringify(JSON.parse(await provider.getSchema()), null, 2) + "\n";
}

async function main() {
  const schema = await generatedSchema();
  if (process.argv.includes("--check")) {
    if (readFileSync(SCHEMA_FILE, "utf8") !== schema) {
      console.error("schema.json is out of date with the components: run npm run schema and commit it");
      process.exitCode = 1;
    } else console.log("schema.json is up to date");
    return;
  }
  writeFileSync(SCHEMA_FILE, schema);
  console.log(`wrote ${SCHEMA_FILE}`);
}

if (require.main === module)
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
