// `npm run schema [-- --check]`: writes the component package's schema (what every language's SDK
// is generated from) to schema.json, or checks the committed one is current (CI).
import * as analyzer from "@pulumi/pulumi/provider/experimental/analyzer";
import { createHash } from "crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "fs";
import { join } from "path";
import { FarmProvider } from "../../provider";
import { sourcesKey } from "./sourcesKey";
import { REPO_ROOT } from "./repoRoot";

/**
 * Every input of the inference's result, hashed (sourcesKey): test files are left out unless they declare
 * globals or augment a module, the only way one could change a type the components export.
 */
export const analysisKey = (dir: string): string => sourcesKey(dir, { tests: false });

export const SCHEMA_FILE = join(REPO_ROOT, "schema.json");

/** Inferred analyses by the hash of what they read (gitignored): inference type-checks for seconds. */
export const SCHEMA_CACHE = join(REPO_ROOT, ".cache", "schema");

type AnalyzerClass = typeof analyzer.Analyzer;
const inferring: AnalyzerClass = analyzer.Analyzer;

/**
 * Pulumi's schema inference (what FarmProvider's getSchema and construct run), answered from
 * SCHEMA_CACHE when nothing it reads has changed since a run that stored its result. Each instance
 * infers afresh on a miss, exactly as before, and stores what it found.
 */
class CachedAnalyzer {
  /** analysisKey of the sources as they were before the program to infer from was read, if known. */
  static readBefore: string | undefined;

  constructor(
    private readonly dir: string,
    private readonly name: string,
    private readonly packageJSON: Record<string, unknown>,
    private readonly componentNames: Set<string>,
  ) {}

  private entry(sources: string): string {
    const key = createHash("sha256")
      .update(JSON.stringify([sources, this.name, this.packageJSON, [...this.componentNames].sort()]))
      .digest("hex");
    return join(SCHEMA_CACHE, `${key}.json`);
  }

  analyze(): analyzer.AnalyzeResult {
    const now = analysisKey(this.dir);
    const file = this.entry(now);
    if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as analyzer.AnalyzeResult;
    const before = CachedAnalyzer.readBefore ?? now;
    const result = new inferring(this.dir, this.name, this.packageJSON, this.componentNames).analyze();
    // Stored only if no source changed while the program was read: never under another content's key.
    if (before === now && analysisKey(this.dir) === now) {
      mkdirSync(SCHEMA_CACHE, { recursive: true });
      // Whole or not at all: another process may read it at once.
      const partial = `${file}.${process.pid}`;
      writeFileSync(partial, JSON.stringify(result));
      renameSync(partial, file);
    }
    return result;
  }
}

/**
 * Makes the schema inference in this process use SCHEMA_CACHE (the provider test, `npm run schema`).
 * `readBefore`: analysisKey taken before an already built program the inference will reuse was read
 * (test/support/typecheck.ts), so that a source edited since is not stored under the wrong key.
 */
export function cacheSchemaInference(readBefore?: string): void {
  CachedAnalyzer.readBefore = readBefore;
  (analyzer as { Analyzer: unknown }).Analyzer = CachedAnalyzer;
}

/** The schema as committed: pretty, with a final newline, so reviews read it. */
export async function generatedSchema(provider = new FarmProvider(REPO_ROOT)): Promise<string> {
  return JSON.stringify(JSON.parse(await provider.getSchema()), null, 2) + "\n";
}

async function main() {
  cacheSchemaInference();
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
