// The type-check `npm test` runs beside the tests (test/support/suite.mjs starts it): what
// `tsc --outDir .build --declaration --emitDeclarationOnly` does (every diagnostic tsc reports, the
// declarations the package test packs), then the component package's schema inference on the program
// it has just checked, stored in the schema cache (tools/scripts/schema.ts). The inference would
// otherwise build and check that same program again in the provider test: some 7 s of CPU.
//
// usage: node .build/test/support/typecheck.js <file written once the declarations are out>
//                                             <file written once the schema is stored>
import { writeFileSync } from "fs";
import Module from "module";
import { join } from "path";
import * as ts from "typescript";
import { REPO_ROOT } from "../../tools/scripts/repoRoot";

function typecheck(): { program: ts.Program; diagnostics: ts.Diagnostic[] } {
  const host: ts.ParseConfigFileHost = {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
  };
  const overrides = { outDir: join(REPO_ROOT, ".build"), declaration: true, emitDeclarationOnly: true };
  const config = ts.getParsedCommandLineOfConfigFile(join(REPO_ROOT, "tsconfig.json"), overrides, host)!;
  const program = ts.createProgram({
    rootNames: config.fileNames,
    options: config.options,
    projectReferences: config.projectReferences,
    configFileParsingDiagnostics: ts.getConfigFileParsingDiagnostics(config),
  });
  // As tsc: the configuration's, the options', the syntax's, the globals', the types', then emit's.
  const diagnostics = [...ts.getPreEmitDiagnostics(program)];
  diagnostics.push(...program.emit().diagnostics);
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
  const programs = reusePrograms();
  // Loaded (and the sources hashed, as the program reads them next: the schema cache's key) before
  // the check; a library that fails to load must not keep the type-check from reporting.
  const inference = import("../../tools/scripts/schema").then((schema) => ({
    ...schema,
    readBefore: schema.analysisKey(REPO_ROOT),
  }));
  await inference.catch(() => undefined);
  const { program, diagnostics } = typecheck();
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
  process.exitCode = status;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
