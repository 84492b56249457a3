// The team's Pulumi project, as `npx aspnet-webfarm` finds it in the working folder: its Pulumi.yaml,
// its program (Pulumi.yaml's `main`, else package.json's), loaded the way Pulumi's Node.js runtime
// would run it, and the answers to lookups the offline engine cannot make (a fixtures file).
import { existsSync, readFileSync, statSync } from "fs";
import Module, { createRequire } from "module";
import { join, resolve, sep } from "path";
import { Fixtures, InvokeHandler, planFixtures } from "../engine/fixtures";
import { projectFile } from "../engine/stackFile";

/** The team's own answers for lookups: `aspnet-webfarm.fixtures.json` (or `.js`) beside Pulumi.yaml. */
export const FIXTURES_FILES = ["aspnet-webfarm.fixtures.js", "aspnet-webfarm.fixtures.json"];

export interface TeamFixtures {
  /** An invoke's token -> its answer (a JSON object), or in the .js file a function of the invoke's inputs. */
  invokes?: Record<string, Record<string, unknown> | InvokeHandler>;
  /** "<type>::<name>" -> outputs a resource of the program gets, e.g. a StackReference's `outputs`. */
  outputs?: Record<string, Record<string, unknown>>;
}

export interface TeamProject {
  root: string;
  name: string;
  /** The program's entry file, absolute. */
  main: string;
  fixturesFile?: string;
}

/** The entry Pulumi's Node.js runtime runs: Pulumi.yaml `main` (a file or a folder), else package.json's. */
function entryOf(root: string, main: string | undefined): string {
  const base = main ? resolve(root, main) : root;
  const candidates = [base];
  const pkgFile = join(base, "package.json");
  if (existsSync(pkgFile)) {
    const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { main?: string; exports?: unknown };
    const exported =
      typeof pkg.exports === "string"
        ? pkg.exports
        : ((pkg.exports as Record<string, unknown> | undefined)?.["."] as string | undefined);
    if (typeof exported === "string") candidates.unshift(resolve(base, exported));
    if (pkg.main) candidates.push(resolve(base, pkg.main));
  }
  for (const c of candidates)
    for (const file of [c, `${c}.ts`, `${c}.js`, join(c, "index.ts"), join(c, "index.js")])
      if (/\.(ts|js|cjs)$/.test(file) && existsSync(file) && statSync(file).isFile()) return file;
  throw new Error(
    `cannot find the program of ${root}: set \`main\` in Pulumi.yaml, or \`main\` in package.json, or add index.ts`,
  );
}

export function findProject(root: string): TeamProject {
  const project = projectFile(root);
  const fixturesFile = FIXTURES_FILES.map((f) => join(root, f)).find((f) => existsSync(f));
  return {
    root,
    name: project.name,
    main: entryOf(root, project.main),
    ...(fixturesFile ? { fixturesFile } : {}),
  };
}

/**
 * Lets Node require the program's TypeScript with the project's own compiler (Pulumi's TypeScript
 * projects have `typescript`), transpiled only, as Pulumi runs with `noCheck`: types are the team's
 * `tsc`'s business. Files under node_modules are left alone.
 */
function registerTypeScript(root: string): void {
  const extensions = (Module as unknown as { _extensions: Record<string, unknown> })._extensions;
  if (extensions[".ts"]) return;
  let ts: typeof import("typescript");
  try {
    ts = createRequire(join(root, "package.json"))("typescript");
  } catch {
    throw new Error(
      `the program is TypeScript, and ${root} has no \`typescript\` installed: npm install -D typescript`,
    );
  }
  extensions[".ts"] = (module: NodeModule & { _compile(code: string, file: string): void }, file: string) => {
    const source = readFileSync(file, "utf8");
    const { outputText } = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2020,
        esModuleInterop: true,
        sourceMap: false,
      },
    });
    module._compile(outputText, file);
  };
}

/**
 * The program as a function the engine runs inside its mocked stack: requiring the entry registers
 * its resources; an exported function (or a default export) is called, as Pulumi does, and its result
 * becomes the stack's outputs. The project's own files are loaded afresh each run.
 */
export function programOf(project: TeamProject): () => Promise<unknown> {
  return async () => {
    if (project.main.endsWith(".ts")) registerTypeScript(project.root);
    const own = (f: string) => f.startsWith(project.root + sep) && !f.includes(`${sep}node_modules${sep}`);
    for (const f of Object.keys(require.cache)) if (own(f)) delete require.cache[f];
    const loaded = createRequire(project.main)(project.main);
    const entry =
      typeof loaded === "function" ? loaded : typeof loaded?.default === "function" ? loaded.default : undefined;
    return entry ? await entry() : loaded;
  };
}

/** The kit's offline answers for the region, with the team's own added (theirs win). */
export function projectFixtures(project: TeamProject): (region: string) => Fixtures {
  const file = project.fixturesFile;
  const team: TeamFixtures = file
    ? file.endsWith(".json")
      ? JSON.parse(readFileSync(file, "utf8"))
      : createRequire(file)(file)
    : {};
  const where = file ? file.slice(project.root.length + 1) : FIXTURES_FILES[1];
  return (region) => {
    const base = planFixtures(region);
    // The kit's answers that cannot be given offline (a VPC or subnet of another network) say where
    // the team can give them.
    const invokes: Record<string, InvokeHandler> = Object.fromEntries(
      Object.entries(base.invokes).map(([token, handler]) => [
        token,
        (inputs: Record<string, any>) => {
          try {
            return handler(inputs);
          } catch (err) {
            throw new Error(`${(err as Error).message}; or answer ${token} in ${where}`, { cause: err });
          }
        },
      ]),
    );
    for (const [token, answer] of Object.entries(team.invokes ?? {}))
      invokes[token] = typeof answer === "function" ? answer : () => answer as Record<string, unknown>;
    return {
      ...base,
      invokes,
      outputs: (type, name, inputs, id) => ({
        ...base.outputs(type, name, inputs, id),
        ...(team.outputs?.[`${type}::${name}`] ?? {}),
      }),
      missingInvoke: (token) =>
        `the program calls ${token}, a lookup an offline plan cannot make (no cloud, no credentials): ` +
        `add its answer to ${where}, e.g. {"invokes": {"${token}": { ...the result's fields... }}}`,
    };
  };
}
