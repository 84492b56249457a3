// The type-check `npm test` runs beside the tests (test/support/suite.mjs starts it): what
// `tsc --outDir .build --declaration --emitDeclarationOnly` does (every diagnostic tsc reports, the
// declarations the package test packs), then the component package's schema inference on the program
// it has just checked, stored in the schema cache (tools/scripts/schema.ts). The inference would
// otherwise build and check that same program again in the provider test: some 7 s of CPU.
// A check that passed is kept under the hash of everything it read (.cache/typecheck, gitignored):
// when nothing has changed since, its declarations are written again and nothing is re-checked
// (about 10 s of CPU). A fresh clone, as in CI, always checks; `npm run typecheck` never uses it.
//
// usage: node .build/test/support/typecheck.js <file written once the declarations are out>
//                                             <file written once the schema is stored>
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "fs";
import Module from "module";
import { dirname, join, relative } from "path";
import * as ts from "typescript";
import { REPO_ROOT } from "../../tools/scripts/repoRoot";
import { parsedTsconfig, sourcesKey } from "../../tools/scripts/sourcesKey";

const BUILD = join(REPO_ROOT, ".build");
const CACHE = join(REPO_ROOT, ".cache", "typecheck");
/** Passing checks kept (the last used): the sources of the last few branches one switches between. */
const KEEP = 4;

/** A passing check: the declarations it wrote (path under .build -> text) and whether the schema was stored. */
interface Passed {
  declarations: Record<string, string>;
  schemaStored: boolean;
}

function store(key: string, passed: Passed): void {
  mkdirSync(CACHE, { recursive: true });
  // Whole or not at all: a run beside this one reads it.
  const file = join(CACHE, `${key}.json`);
  writeFileSync(`${file}.${process.pid}`, JSON.stringify(passed));
  renameSync(`${file}.${process.pid}`, file);
  const byAge = readdirSync(CACHE)
    .map((f) => join(CACHE, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  for (const old of byAge.slice(KEEP)) rmSync(old, { force: true });
}

function typecheck(declarations: Record<string, string>): { program: ts.Program; diagnostics: ts.Diagnostic[] } {
  const overrides = { outDir: BUILD, declaration: true, emitDeclarationOnly: true };
  const config = parsedTsconfig(REPO_ROOT, overrides);
  const program = ts.createProgram({
    rootNames: config.fileNames,
    options: config.options,
    projectReferences: config.projectReferences,
    configFileParsingDiagnostics: ts.getConfigFileParsingDiagnostics(config),
  });
  // As tsc: the configuration's, the options', the syntax's, the globals', the types', then emit's.
  const diagnostics = [...ts.getPreEmitDiagnostics(program)];
  const write: ts.WriteFileCallback = (file, text) => {
    declarations[relative(BUILD, file)] = text;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  };
  diagnostics.push(...program.emit(undefined, write).diagnostics);
  return { program, diagnostics: [...ts.sortAndDeduplicateDiagnostics(diagnostics)] };
}

/**
 * Pulumi's inference builds its program through @pulumi/pulumi's typescript-shim: this process hands it
 * the program it checked (set later), when it asks for the same files. Must run before the inference
 * is loaded (tools/scripts/schema.ts loads it).
 */
function reusePrograms(): { reuse(program: ts.Program): void } {
  let reused: ts.Program | undefined;
  const sameRoots = (names: readonly string[]) => {
    const roots = new Set(reused?.getRootFileNames() ?? []);
    return names.length === roots.size && names.every((f) => roots.has(f));
  };
  const shim = require.resolve("@pulumi/pulumi/typescript-shim");
  const cached = new Module(shim);
  cached.filename = shim;
  cached.loaded = true;
  cached.exports = Object.create(ts, {
    createProgram: {
      value: (options: ts.CreateProgramOptions) =>
        reused && !Array.isArray(options) && sameRoots(options.rootNames) ? reused : ts.createProgram(options),
    },
  });
  require.cache[shim] = cached;
  return { reuse: (program) => (reused = program) };
}

async function main() {
  const [declarationsDone, schemaDone] = process.argv.slice(2);
  // Hashed before anything is read for the check, and again after it: a pass is kept only when no
  // file changed meanwhile, so that it is never stored under sources it did not check.
  const key = sourcesKey(REPO_ROOT, { tests: true });
  const cached = join(CACHE, `${key}.json`);
  if (existsSync(cached)) {
    const now = new Date();
    utimesSync(cached, now, now);
    const passed = JSON.parse(readFileSync(cached, "utf8")) as Passed;
    for (const [file, text] of Object.entries(passed.declarations)) {
      mkdirSync(dirname(join(BUILD, file)), { recursive: true });
      writeFileSync(join(BUILD, file), text);
    }
    if (declarationsDone) writeFileSync(declarationsDone, JSON.stringify({ status: 0 }));
    if (schemaDone) writeFileSync(schemaDone, JSON.stringify({ stored: passed.schemaStored }));
    process.stdout.write(`not re-checked: these exact sources passed before (${relative(REPO_ROOT, cached)})\n`);
    return;
  }
  const programs = reusePrograms();
  // Loaded (and the sources hashed, as the program reads them next: the schema cache's key) before
  // the check; a library that fails to load must not keep the type-check from reporting.
  const inference = import("../../tools/scripts/schema").then((schema) => ({
    ...schema,
    readBefore: schema.analysisKey(REPO_ROOT),
  }));
  await inference.catch(() => undefined);
  const declarations: Record<string, string> = {};
  const { program, diagnostics } = typecheck(declarations);
  if (diagnostics.length > 0) {
    const host = {
      getCanonicalFileName: (f: string) => f,
      getCurrentDirectory: () => REPO_ROOT,
      getNewLine: () => "\n",
    };
    process.stdout.write(ts.formatDiagnostics(diagnostics, host));
    process.stdout.write(`\nFound ${diagnostics.length} error${diagnostics.length === 1 ? "" : "s"}.\n`);
  }
  const status = diagnostics.length > 0 ? 2 : 0;
  if (declarationsDone) writeFileSync(declarationsDone, JSON.stringify({ status }));
  // A program with errors is still inferred from: the provider test reports what it finds itself.
  let stored = false;
  try {
    const { cacheSchemaInference, generatedSchema, readBefore } = await inference;
    programs.reuse(program);
    cacheSchemaInference(readBefore);
    await generatedSchema();
    stored = true;
  } catch (err) {
    process.stdout.write(`the schema inference failed here (the provider test infers on its own): ${err}\n`);
  }
  if (schemaDone) writeFileSync(schemaDone, JSON.stringify({ stored }));
  if (status === 0 && sourcesKey(REPO_ROOT, { tests: true }) === key)
    store(key, { declarations, schemaStored: stored });
  process.exitCode = status;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
