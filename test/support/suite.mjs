// `npm test` and `npm run test:unit`: compile, type-check and run the tests, with the type-check beside
// the tests rather than before them. Every TypeScript file is transpiled on its own into .build/
// (TypeScript's transpileModule: the project sets isolatedModules, so the JavaScript is what `tsc` would
// write), which takes a couple of seconds where `tsc` spent about ten type-checking first. `npm test`
// then runs test/support/typecheck.ts (what `tsc --declaration --emitDeclarationOnly` does: the whole
// type-check, as before, and the declarations the package test packs; then the schema inference on
// that same program) at the same time as Jest, and fails if either fails.
// `npm run test:unit` (--unit) skips the type-check, the local farm's acceptance suites and the
// package test. Both transpile only the files changed since the last run (a record of each source's
// hash, .build/transpiled.json): on a 2-core machine the 2.5 s of a whole transpile held up every test.
//
// usage: node test/support/suite.mjs [--unit] [Jest's options and test paths ...]
import { spawn } from "child_process";
import { createHash } from "crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { createRequire } from "module";
import { dirname, join, relative, resolve, sep } from "path";
import { fileURLToPath } from "url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BUILD = join(ROOT, ".build");
/** Written once the type-check's declarations are out; the package test waits for it (its variable). */
const TYPECHECK_DONE = join(BUILD, "typecheck.json");
/** Written once the type-check has stored the schema inference; the provider test waits for it. */
const SCHEMA_DONE = join(BUILD, "schema.json");
/** The record of what was transpiled: output path -> hash of its source and the options. */
const MANIFEST = join(BUILD, "transpiled.json");
/** The manifest's entry for the hash of every source as they were at its last clean transpile. */
const FINGERPRINT = "sources";
/** Tells jest.config.js to leave out what test:unit does not run. */
const UNIT_ENV = "WEBFARM_TEST_UNIT";
/**
 * V8's young generation for the test processes: a program run under the mocks makes some hundred
 * thousand short-lived Outputs and promises, and with the default semi-space (16 MB on this machine) about
 * 40% of the unit tests' time was scavenges. 64 MB took `npm run test:unit` from 17 s to 11 s here.
 */
const NODE_OPTIONS = [process.env.NODE_OPTIONS, "--max-semi-space-size=64"].filter(Boolean).join(" ");

const require = createRequire(join(ROOT, "package.json"));
/** TypeScript, loaded only when something is to be transpiled (it takes half a second to load). */
let ts;
const typescript = () => (ts ??= require("typescript"));

/** Folders no source of the project lives in. */
const NOT_SOURCES = new Set(["node_modules", ".build", ".cache", ".git", "dist", "plans"]);

/**
 * A hash of everything a transpile depends on, read without TypeScript: tsconfig.json, the compiler's
 * version and every TypeScript file of the repository (a superset of the project's sources).
 */
function sourcesFingerprint() {
  const hash = createHash("sha256");
  hash.update(readFileSync(join(ROOT, "tsconfig.json")));
  hash.update(readFileSync(require.resolve("typescript/package.json")));
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.isDirectory()) {
        if (!NOT_SOURCES.has(entry.name)) walk(join(dir, entry.name));
      } else if (entry.name.endsWith(".ts") || (dir !== ROOT && entry.name.endsWith(".json"))) {
        const file = join(dir, entry.name);
        hash.update(`\0${relative(ROOT, file)}\0`).update(readFileSync(file));
      }
    }
  };
  walk(ROOT);
  return hash.digest("hex");
}

/** The deepest folder holding every source, as `tsc` computes where outDir's tree starts. */
function commonDir(files) {
  let dir = dirname(files[0]);
  for (const file of files) while (!file.startsWith(dir + sep)) dir = dirname(dir);
  return dir;
}

/**
 * The sources and every TypeScript file they import by a relative path, as `tsc` compiles (and emits)
 * a file the program imports even when tsconfig's include does not name it.
 */
function withImports(roots) {
  const files = new Set(roots);
  for (const file of files) {
    if (file.endsWith(".json")) continue;
    for (const { fileName } of typescript().preProcessFile(readFileSync(file, "utf8"), true, false).importedFiles) {
      if (!fileName.startsWith(".")) continue;
      const target = resolve(dirname(file), fileName);
      // A JSON module (resolveJsonModule) is copied beside the JavaScript, as tsc emits it.
      if (target.endsWith(".json")) {
        if (existsSync(target)) files.add(target);
        continue;
      }
      const found = [`${target}.ts`, join(target, "index.ts")].find((f) => existsSync(f));
      if (found) files.add(found);
    }
  }
  return [...files];
}

/** Transpiles the project's sources into .build/, only those changed since last time. */
function transpile() {
  const before = existsSync(MANIFEST) ? JSON.parse(readFileSync(MANIFEST, "utf8")) : {};
  const fingerprint = sourcesFingerprint();
  const { [FINGERPRINT]: last, ...outputs } = before;
  if (last === fingerprint && Object.keys(outputs).every((out) => existsSync(out))) return [];
  const ts = typescript();
  const config = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    },
  );
  if (config.errors.length > 0) return config.errors;
  const sources = withImports(config.fileNames.filter((f) => !f.endsWith(".d.ts")));
  const base = commonDir(sources);
  const optionsHash = JSON.stringify([ts.version, config.options]);
  const after = {};
  const problems = [];
  for (const file of sources) {
    const text = readFileSync(file, "utf8");
    const hash = createHash("sha256").update(optionsHash).update(text).digest("hex");
    const out = join(BUILD, relative(base, file)).replace(/\.ts$/, ".js");
    if (outputs[out] === hash && existsSync(out)) {
      after[out] = hash;
      continue;
    }
    if (file.endsWith(".json")) {
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, text);
      after[out] = hash;
      continue;
    }
    const { outputText, diagnostics } = ts.transpileModule(text, {
      compilerOptions: config.options,
      fileName: file,
      reportDiagnostics: true,
      // JSDoc is not needed to write JavaScript (comments are copied as text).
      jsDocParsingMode: ts.JSDocParsingMode.ParseNone,
    });
    problems.push(...diagnostics);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
    // A file with problems is transpiled again next time, so that they are reported again.
    if (diagnostics.length === 0) after[out] = hash;
  }
  // JavaScript or declarations of no current source (one deleted or renamed, whoever compiled it:
  // this script, or `tsc --outDir .build`): its old test must not run on, nor be packed.
  const written = new Set(sources.map((file) => join(BUILD, relative(base, file)).replace(/\.ts$/, ".js")));
  for (const entry of readdirSync(BUILD, { recursive: true, withFileTypes: true })) {
    const file = join(entry.parentPath ?? entry.path, entry.name);
    if (!entry.isFile() || !/\.(js|d\.ts)$/.test(file)) continue;
    if (!written.has(file.replace(/\.d\.ts$/, ".js"))) rmSync(file, { force: true });
  }
  // Only a clean transpile lets the next run skip TypeScript altogether.
  writeFileSync(MANIFEST, JSON.stringify(problems.length === 0 ? { [FINGERPRINT]: fingerprint, ...after } : after));
  return problems;
}

/** Runs a command; resolves with its exit status (1 if a signal ended it). */
function run(command, args, options) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { cwd: ROOT, ...options });
    child.on("error", (err) => {
      console.error(`${command}: ${err.message}`);
      resolvePromise(1);
    });
    child.on("exit", (code) => resolvePromise(code ?? 1));
    if (options.onOutput) {
      child.stdout.on("data", options.onOutput);
      child.stderr.on("data", options.onOutput);
    }
  });
}

async function main() {
  const args = process.argv.slice(2);
  const unit = args[0] === "--unit";
  const jestArgs = unit ? args.slice(1) : args;
  const started = Date.now();
  const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

  // What the tests wait for must be this run's.
  for (const done of [TYPECHECK_DONE, SCHEMA_DONE]) rmSync(done, { force: true });
  const problems = transpile();
  if (problems.length > 0) {
    const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => "\n" };
    console.error(typescript().formatDiagnostics(problems, host));
    console.error("the sources do not compile (above)");
    process.exitCode = 1;
    return;
  }
  console.error(`compiled into .build/ in ${seconds(started)}${unit ? "" : "; type-checking beside the tests"}`);

  let typecheck = Promise.resolve(0);
  let typecheckOutput = "";
  let typecheckSeconds = "";
  if (!unit) {
    // test/support/typecheck.ts: tsc's whole check and declarations, then the schema inference on
    // the same program. Whatever becomes of it, the tests waiting for its files are let go.
    typecheck = run(
      process.execPath,
      ["--max-semi-space-size=64", join(BUILD, "test", "support", "typecheck.js"), TYPECHECK_DONE, SCHEMA_DONE],
      {
        stdio: ["ignore", "pipe", "pipe"],
        onOutput: (chunk) => (typecheckOutput += chunk),
      },
    ).then((status) => {
      typecheckSeconds = seconds(started);
      for (const done of [TYPECHECK_DONE, SCHEMA_DONE])
        if (!existsSync(done)) writeFileSync(done, JSON.stringify({ status }));
      return status;
    });
  }

  const tests = await run(process.execPath, [require.resolve("jest/bin/jest"), "--ci", ...jestArgs], {
    stdio: "inherit",
    env: {
      ...process.env,
      NODE_OPTIONS,
      ...(unit ? { [UNIT_ENV]: "1" } : { WEBFARM_TYPECHECK_DONE: TYPECHECK_DONE, WEBFARM_SCHEMA_DONE: SCHEMA_DONE }),
    },
  });
  const typecheckStatus = await typecheck;
  if (!unit) {
    if (typecheckOutput.trim()) process.stderr.write(typecheckOutput.trimEnd() + "\n");
    console.error(
      `type-check (tsc): ${typecheckStatus === 0 ? "passed" : "FAILED (above)"}, done ${typecheckSeconds} after the start`,
    );
  }
  console.error(
    `${unit ? "test:unit" : "npm test"}: ${tests === 0 && typecheckStatus === 0 ? "passed" : "FAILED"} in ${seconds(started)}`,
  );
  process.exitCode = tests || typecheckStatus;
}

await main();
