// A hash of everything the project's TypeScript program reads, for caches of what is computed from it
// (the schema inference, a passing type-check). Light on purpose: computed before anything heavy loads.
import { createHash } from "crypto";
import { existsSync, readFileSync } from "fs";
import { dirname, join, relative, resolve } from "path";
import * as ts from "typescript";

/** The project's tsconfig.json as `tsc` reads it, with `overrides`; throws what `tsc` could not read. */
export function parsedTsconfig(dir: string, overrides: ts.CompilerOptions = {}): ts.ParsedCommandLine {
  const config = ts.getParsedCommandLineOfConfigFile(join(dir, "tsconfig.json"), overrides, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
  });
  if (!config) throw new Error(`cannot read ${join(dir, "tsconfig.json")}`);
  return config;
}

/**
 * Every input of the inference's result, hashed: the installed packages (npm's record of them, with the
 * TypeScript and SDK versions), tsconfig.json and package.json, and the content of every source file of
 * the project's TypeScript program (tsconfig's files and what they import by a relative path); without
 * `tests`, the test files that declare no globals and augment no module are left out.
 */
export function sourcesKey(dir: string, options: { tests: boolean }): string {
  const hash = createHash("sha256");
  const add = (name: string, text: string) => hash.update(`${name}\0${text.length}\0${text}`);
  const installed = join(dir, "node_modules", ".package-lock.json");
  add("installed", readFileSync(existsSync(installed) ? installed : join(dir, "package-lock.json"), "utf8"));
  for (const f of ["tsconfig.json", "package.json"]) add(f, readFileSync(join(dir, f), "utf8"));
  const config = parsedTsconfig(dir);
  const files = new Set(config.fileNames.map((f) => resolve(f)));
  const texts = new Map<string, string>();
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    texts.set(file, text);
    for (const { fileName } of ts.preProcessFile(text, true, false).importedFiles) {
      if (!fileName.startsWith(".")) continue;
      const target = resolve(dirname(file), fileName);
      const found = [`${target}.ts`, `${target}.d.ts`, join(target, "index.ts")].find((f) => existsSync(f));
      if (found) files.add(found);
    }
  }
  const testDir = join(dir, "test");
  for (const file of [...files].sort()) {
    const text = texts.get(file)!;
    if (!options.tests && file.startsWith(testDir + "/") && !/\bdeclare\s+(global|module)\b/.test(text)) continue;
    add(relative(dir, file), text);
  }
  return hash.digest("hex");
}
