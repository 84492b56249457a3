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
 * the program just checked, when it asks for the same files. Must run before the inference is loaded.
 */
function reuseProgram(program: ts.Program): void {
  const shim = require.resolve("@pulumi/pulumi/typescript-shim");
  const roots = new Set(program.getRootFileNames());
  const reusing = Object.create(ts, {
    createProgram: {
      value: (options: ts.CreateProgramOptions) =>
        !Array.isArray(options) &&
        options.rootNames.length === roots.size &&
        options.rootNames.every((f) => roots.has(f))
          ? program
          : ts.createProgram(options),
    },
  });
  const cached = new Module(shim);
  cached.filename = shim;
  cached.loaded = true;
  cached.exports = reusing;
  require.cache[shim] = cached;
}

async function main() {
  const [declarationsDone, schemaDone] = process.argv.slice(2);
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
    reuseProgram(program);
    const { cacheSchemaInference, generatedSchema } = await import("../../tools/scripts/schema");
    cacheSchemaInference();
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
