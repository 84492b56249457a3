// The packed package works, not only the source tree: npm pack, install the tarball into a
// temporary program, type-check that program against the package's declarations, and run it
// under Pulumi's mocks with the program's own copy of @pulumi/pulumi. The program sets `app` and
// keeps the default waits, so each of the kit's dynamic providers (Release, ServingGate) is
// serialized by the SDK's closure serializer from the installed package, as `pulumi up` does.
//
// The install is what npm does for a file: dependency, without the download: the tarball is
// unpacked into node_modules and each dependency the packed package.json names (and nothing
// else) is linked from this repository's node_modules. A dependency missing from package.json
// is then missing at run time here too.
import { execFile, execFileSync } from "child_process";
import { createHash } from "crypto";
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { promisify } from "util";
import { REPO_ROOT as ROOT } from "../tools/scripts/repoRoot";
import { typecheckWrote } from "./support/typecheckFiles";

const env = { ...process.env, npm_config_audit: "false", npm_config_fund: "false" };
const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env });

/** The folders the package compiles into dist/ (tsconfig.build.json). */
const SHIPPED = ["components", "engine", "cli", "policy"];

/** The AGPL-3.0 IAM evaluator the permission proof uses: a dev tool, never part of the package. */
const AGPL_EVALUATOR = "@cloud-copilot/iam-simulate";

let dir: string;
let tarball: string;
let packedFiles: string[];
/** The program that installs the tarball; its copy of the package. */
let program: string;
let installed: string;

/**
 * `npm test` compiles once and keeps what it compiled in .build/: under it (the JavaScript transpiled
 * by content at its start, the declarations written by this run's type-check), or when .build/ is
 * newer than every source file of the library, pack that as dist/ rather than compile the library a
 * second time (npm pack's prepack build). Otherwise the test packs as a user would.
 */
function freshBuild(): string | undefined {
  const built = join(ROOT, ".build");
  const outputs = ["components/index.js", "components/index.d.ts", "cli/main.js", "engine/testing.js"].map((f) =>
    join(built, f),
  );
  if (!outputs.every((f) => existsSync(f))) return undefined;
  if (process.env.WEBFARM_TYPECHECK_DONE) return built;
  const sources = SHIPPED.flatMap((folder) =>
    (readdirSync(join(ROOT, folder), { recursive: true }) as string[])
      .filter((f) => f.endsWith(".ts"))
      .map((f) => join(ROOT, folder, f)),
  );
  const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs));
  return outputs.every((f) => statSync(f).mtimeMs >= newest) ? built : undefined;
}

/** The dependencies npm would install with the package: its own and the peers the program brings (not optional ones). */
const needed = (manifest: Record<string, Record<string, unknown> | undefined>) => {
  const optional = (name: string) =>
    (manifest.peerDependenciesMeta?.[name] as { optional?: boolean } | undefined)?.optional === true;
  return [
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}).filter((p) => !optional(p)),
  ].sort();
};

/**
 * Installs the tarball into `into`/node_modules as npm would, `edit` changing its package.json
 * first (the control), and links each dependency it names from this repository. Returns the
 * package's folder.
 */
function install(into: string, edit?: (manifest: Record<string, unknown>) => void): string {
  const modules = join(into, "node_modules");
  mkdirSync(join(modules, "@pulumi"), { recursive: true });
  mkdirSync(join(modules, "@aws-sdk"), { recursive: true });
  run("tar", ["-xzf", tarball, "-C", modules], into);
  const kit = join(modules, "aspnet-webfarm");
  renameSync(join(modules, "package"), kit);
  const manifest = JSON.parse(readFileSync(join(kit, "package.json"), "utf8"));
  if (edit) {
    edit(manifest);
    writeFileSync(join(kit, "package.json"), JSON.stringify(manifest));
  }
  for (const dep of needed(manifest)) symlinkSync(join(ROOT, "node_modules", dep), join(modules, dep), "dir");
  return kit;
}

beforeAll(async () => {
  // Under `npm test` the declarations come from the type-check beside the tests.
  await typecheckWrote("WEBFARM_TYPECHECK_DONE");
  // Not named after the package: the SDK finds a captured module's package.json at the first
  // "aspnet-webfarm" in its path (runtime/closure/package.js, indexOf), and silently skips the
  // exports check when that is a parent folder.
  dir = mkdtempSync(join(tmpdir(), "webfarm-pack-"));
  const built = freshBuild();
  let from = ROOT;
  const args = ["pack", "--json", "--pack-destination", dir];
  if (built) {
    from = join(dir, "stage");
    mkdirSync(from);
    for (const f of ["package.json", "README.md"]) copyFileSync(join(ROOT, f), join(from, f));
    // What `npm run build` would write: the shipped folders' JavaScript and declarations (.build holds
    // the tests' too), then the engine's data files and the policy pack's own files.
    for (const folder of SHIPPED) {
      cpSync(join(built, folder), join(from, "dist", folder), {
        recursive: true,
        filter: (f) => !f.endsWith(".test.js") && !f.endsWith(".test.d.ts"),
      });
    }
    run(process.execPath, [join(ROOT, "tools", "scripts", "packageFiles.mjs"), join(from, "dist")], ROOT);
    args.push("--ignore-scripts");
  }
  const packed = JSON.parse(run("npm", args, from));
  tarball = join(dir, packed[0].filename);
  packedFiles = packed[0].files.map((f: { path: string }) => f.path);
  program = join(dir, "program");
  installed = install(program);
}, 180000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the tarball holds the compiled library with declarations, and nothing else of the repository", () => {
  expect(packedFiles).toEqual(
    expect.arrayContaining([
      "package.json",
      "README.md",
      "dist/components/index.js",
      "dist/components/index.d.ts",
      "dist/components/farm/webFarm.js",
      "dist/components/windows/userData.js",
      "dist/cli/main.js",
      "dist/engine/plan.js",
      "dist/engine/testing.js",
      "dist/engine/testing.d.ts",
      "dist/policy/index.js",
      "dist/policy/PulumiPolicy.yaml",
      "dist/policy/package.json",
    ]),
  );
  // Only the library, the engine, its commands and the policy pack: none of the repository's tools.
  expect([...new Set(packedFiles.map((f) => f.split("/").slice(0, 2).join("/")))].sort()).toEqual([
    "README.md",
    "dist/cli",
    "dist/components",
    "dist/engine",
    "dist/policy",
    "package.json",
  ]);
  expect(packedFiles.filter((f) => !f.startsWith("dist/") && !["package.json", "README.md"].includes(f))).toEqual([]);
  expect(packedFiles.some((f) => f.endsWith(".test.js") || f.startsWith("dist/test"))).toBe(false);
});

test("the package needs only its runtime libraries and peers: never the AGPL IAM evaluator, named by no file", () => {
  const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8"));
  expect(needed(manifest)).toEqual([
    "@aws-sdk/client-codedeploy",
    "@aws-sdk/client-elastic-load-balancing-v2",
    "@aws-sdk/client-resource-groups-tagging-api",
    "@pulumi/aws",
    "@pulumi/pulumi",
    "@pulumi/random",
    "fast-xml-parser",
    "fflate",
    "ipaddr.js",
    "yaml",
    "zod",
  ]);
  for (const field of ["dependencies", "peerDependencies", "optionalDependencies", "bundleDependencies"]) {
    expect(Object.keys(manifest[field] ?? {})).not.toContain(AGPL_EVALUATOR);
  }
  const shipped = packedFiles.filter((f) => f.startsWith("dist/"));
  expect(shipped.length).toBeGreaterThan(50);
  const naming = shipped.filter((f) => readFileSync(join(installed, f), "utf8").includes(AGPL_EVALUATOR));
  expect(naming).toEqual([]);
});

/** Passing checks of the program by the hash of what they read; the JavaScript each wrote. */
const CHECKED = join(ROOT, ".cache", "package-typecheck");

/**
 * `tsc -p .` in the program: a type error fails the test. A pass is kept (as npm test keeps its own
 * type-check's, test/support/typecheck.ts) under the hash of everything the check reads: the program's
 * files, every file of the installed package, and this repository's installed packages its
 * dependencies link to (npm's record of them, TypeScript's version with them). Unchanged, the check
 * would parse @pulumi/aws's declarations again for some 5 s of CPU to the same result.
 */
function typecheckProgram(at: string, kit: string): void {
  const hash = createHash("sha256");
  const add = (name: string, file: string) => hash.update(`${name}\0`).update(readFileSync(file));
  const installedPackages = join(ROOT, "node_modules", ".package-lock.json");
  add("installed", existsSync(installedPackages) ? installedPackages : join(ROOT, "package-lock.json"));
  for (const f of ["tsconfig.json", "index.ts"]) add(f, join(at, f));
  for (const f of (readdirSync(kit, { recursive: true }) as string[]).sort())
    if (statSync(join(kit, f)).isFile()) add(`kit/${f}`, join(kit, f));
  const passed = join(CHECKED, `${hash.digest("hex")}.js`);
  if (existsSync(passed)) {
    const now = new Date();
    utimesSync(passed, now, now);
    return copyFileSync(passed, join(at, "index.js"));
  }
  run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "."], at);
  mkdirSync(CHECKED, { recursive: true });
  copyFileSync(join(at, "index.js"), passed);
  // The last few used: one per version of the package a branch builds.
  const byUse = readdirSync(CHECKED)
    .map((f) => join(CHECKED, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  for (const old of byUse.slice(4)) rmSync(old, { force: true });
}

/** Where the program prints what it registered and how its serialized providers load. */
interface Run {
  recorded: string[];
  /** Per dynamic resource type: the modules its serialized provider requires, and its methods once loaded. */
  providers: Record<string, { requires: string[]; methods: string[] }>;
}

const DYNAMIC = "pulumi-nodejs:dynamic/aspnet-webfarm:";

// The program runs under the mocks. The SDK's closure serializer, while it serializes a dynamic
// provider, turns each module it captures by reference into require("<package>/<path>") and
// checks that path against the package's `exports` (runtime/closure/package.js); it finds that
// package.json with require.resolve from its own folder. Here @pulumi/pulumi is a link into this
// repository's node_modules and Node follows it, so from there the kit is not found: the check
// would be skipped silently. NODE_PATH gives the SDK the lookup an installed @pulumi/pulumi next
// to the kit has. Each serialized provider is then loaded the way the SDK's dynamic provider host
// does (cmd/dynamic-provider: require-from-string, resolving from the program's folder).
const RUN_JS = `
const { dirname } = require("path");
const pulumi = require("@pulumi/pulumi");
const requireFromString = require(require.resolve("require-from-string", { paths: [dirname(require.resolve("@pulumi/pulumi"))] }));
const recorded = [];
const serialized = {};
pulumi.runtime.setMocks({
  newResource: (a) => {
    recorded.push(a.type + "::" + a.name);
    if (a.type.startsWith("${DYNAMIC}")) serialized[a.type] = a.inputs.__provider;
    return { id: a.type.split(":").pop() + "-" + a.name, state: { ...a.inputs, arn: "arn:aws:ssm:eu-west-1:123456789012:parameter/" + a.name, privateIp: "10.0.0.10", hex: "AB".repeat(a.inputs.length || 1) } };
  },
  call: (c) => {
    if (c.token === "aws:index/getAvailabilityZones:getAvailabilityZones") return { names: ["eu-west-1a", "eu-west-1b"] };
    if (c.token === "aws:index/getRegion:getRegion") return { region: "eu-west-1", name: "eu-west-1" };
    if (c.token === "aws:index/getPartition:getPartition") return { partition: "aws", dnsSuffix: "amazonaws.com" };
    if (c.token === "aws:ssm/getParameter:getParameter") return { value: "ami-0123456789abcdef0" };
    if (c.token === "aws:index/getCallerIdentity:getCallerIdentity") return { accountId: "123456789012" };
    throw new Error("unmocked invoke " + c.token);
  },
}, "consumer", "test", false);
pulumi.runtime.runInPulumiStack(async () => { require("./index.js").build(); return {}; })
  .then(() => pulumi.runtime.waitForRPCs ? pulumi.runtime.waitForRPCs() : undefined)
  .then(() => {
    const providers = {};
    for (const [type, text] of Object.entries(serialized)) {
      const provider = requireFromString(text).handler();
      providers[type] = {
        requires: [...text.matchAll(/require\\("([^"]+)"\\)/g)].map((m) => m[1]),
        methods: Object.keys(provider).filter((k) => typeof provider[k] === "function").sort(),
      };
    }
    console.log(JSON.stringify({ recorded, providers }));
  })
  .catch((e) => { console.error(String(e)); process.exit(1); });
`;

const runProgram = async (at: string): Promise<Run> => {
  const { stdout } = await promisify(execFile)(process.execPath, ["run.js"], {
    cwd: at,
    encoding: "utf8",
    env: { ...env, NODE_PATH: join(at, "node_modules") },
  });
  return JSON.parse(stdout.trim().split("\n").pop()!);
};

/** The dynamic resource classes the package ships (each needs its provider serialized). */
const shippedDynamicClasses = () =>
  packedFiles
    .filter((f) => f.startsWith("dist/") && f.endsWith(".js"))
    .flatMap((f) => [
      ...readFileSync(join(installed, f), "utf8").matchAll(/class (\w+) extends pulumi\.dynamic\.Resource\b/g),
    ])
    .map((m) => m[1])
    .sort();

describe("a program that installs the tarball", () => {
  let control: Promise<unknown>;
  let result: Run;

  beforeAll(async () => {
    writeFileSync(
      join(program, "package.json"),
      JSON.stringify({ name: "consumer", private: true, dependencies: { "aspnet-webfarm": `file:${tarball}` } }),
    );
    writeFileSync(
      join(program, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "commonjs",
          strict: true,
          esModuleInterop: true,
          skipLibCheck: true,
          types: [],
        },
        files: ["index.ts"],
      }),
    );
    // An application from a build CI put in S3, with the default waits (waitForDeployments): a
    // Release, and a ServingGate per node.
    writeFileSync(
      join(program, "index.ts"),
      [
        'import { WebFarm, WebFarmArgs } from "aspnet-webfarm";',
        "const args: WebFarmArgs = {",
        "  nodeCount: 2,",
        '  tags: { app: "consumer" },',
        '  app: { bucket: "consumer-builds", key: "shop/1.0.0/site.zip" },',
        "};",
        'export function build(): WebFarm { return new WebFarm("packed", args); }',
      ].join("\n"),
    );
    writeFileSync(join(program, "run.js"), RUN_JS);
    // Type-check against the installed package's .d.ts (not the source tree), then compile.
    typecheckProgram(program, installed);

    // The control, run beside it: the same program on a package whose exports name only its entry
    // point (as the kit's did): the SDK must refuse to serialize, or the check above proves nothing.
    const hidden = join(dir, "hidden");
    install(hidden, (manifest) => {
      const exports = manifest.exports as Record<string, unknown>;
      manifest.exports = { ".": exports["."], "./package.json": exports["./package.json"] };
    });
    for (const f of ["package.json", "index.js", "run.js"]) copyFileSync(join(program, f), join(hidden, f));
    control = runProgram(hidden).then(
      () => "ran",
      (e: { stderr?: string }) => e.stderr ?? String(e),
    );
    result = await runProgram(program);
  }, 180000);

  test("registers a farm with its application under the mocks", () => {
    const { recorded } = result;
    expect(recorded).toContain("aspnet-webfarm:index:WebFarm::packed");
    expect(recorded.filter((r) => r.startsWith("aws:ec2/instance:Instance::"))).toHaveLength(3);
    expect(recorded).toContain("aws:ssm/parameter:Parameter::packed-key-parameter");
    expect(recorded).toContain("aws:codedeploy/deploymentGroup:DeploymentGroup::packed-app-group");
    expect(recorded.filter((r) => r.startsWith(DYNAMIC)).sort()).toEqual([
      `${DYNAMIC}Release::packed-app-release`,
      `${DYNAMIC}ServingGate::packed-web-0-serving`,
      `${DYNAMIC}ServingGate::packed-web-1-serving`,
    ]);
  });

  test("every dynamic provider the package ships serializes from it and loads in the program's folder", () => {
    const types = Object.keys(result.providers).map((t) => t.slice(DYNAMIC.length));
    expect(types.sort()).toEqual(shippedDynamicClasses());
    const exported = Object.keys(JSON.parse(readFileSync(join(installed, "package.json"), "utf8")).exports);
    for (const { requires, methods } of Object.values(result.providers)) {
      // A module of the kit the provider requires is one the package exports (the SDK checked it).
      for (const r of requires.filter((m) => m.startsWith("aspnet-webfarm/"))) {
        const path = `.${r.slice("aspnet-webfarm".length)}`;
        expect({
          path,
          exported: exported.some((e) => e === path || (e.endsWith("*") && path.startsWith(e.slice(0, -1)))),
        }).toEqual({ path, exported: true });
      }
      expect(methods).toEqual(expect.arrayContaining(["create", "delete", "diff"]));
    }
  });

  test("control: with only the entry point exported, the SDK cannot serialize the providers", async () => {
    expect(await control).toMatch(
      /error serializing property "__provider": package\.json export path for "aspnet-webfarm\/dist\/[\w/]+\.js" not found/,
    );
  });
});

/**
 * A team's own Pulumi project, as the README tells them to use the kit: the tarball installed beside
 * TypeScript, a program that adds resources of its own around a farm with an application, a stack
 * file with a secret; then `aspnet-webfarm plan`, `diff` and `policy` through the installed bin's own
 * module in this process (a process each would load Pulumi's SDK again: a second and a half of CPU
 * per command), and the bin npm links run as a process of its own for its exit code and stderr.
 */
describe("a team's own project, through the installed aspnet-webfarm bin", () => {
  let team: string;
  interface Outcome {
    code: number;
    stdout: string;
    stderr: string;
  }
  /** The installed bin as npm links it, in a process of its own: its exit code, its two streams. */
  const bin = (...args: string[]): Promise<Outcome> =>
    new Promise((resolvePromise) =>
      execFile(
        join(team, "node_modules", ".bin", "aspnet-webfarm"),
        args,
        { cwd: team, encoding: "utf8", env },
        (error, stdout, stderr) =>
          resolvePromise({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
  /**
   * The installed bin's own module, run in this process: the same file, the team's copy of Pulumi's
   * SDK (a link to the one this worker has loaded), without a second second of start-up per command.
   */
  const inProcess = async (...args: string[]): Promise<Outcome> => {
    const installedBin = join(team, "node_modules", "aspnet-webfarm", "dist", "cli", "main.js");
    const { run: runBin } = (await import(installedBin)) as { run(a: string[], root: string): Promise<number> };
    const out: string[] = [];
    const err: string[] = [];
    const log = jest.spyOn(console, "log").mockImplementation((...a) => void out.push(a.join(" ")));
    const error = jest.spyOn(console, "error").mockImplementation((...a) => void err.push(a.join(" ")));
    try {
      return { code: await runBin(args, team), stdout: out.join("\n"), stderr: err.join("\n") };
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  };
  const git = (...args: string[]) =>
    run("git", ["-c", "user.email=team@example.com", "-c", "user.name=team", ...args], team);
  let planned: Outcome;
  let diffed: Outcome;
  let checked: Outcome;
  let noStack: Outcome;

  beforeAll(async () => {
    team = join(dir, "team");
    const kit = install(team);
    // What npm does for the team: their own TypeScript, and the package's bin linked and executable.
    symlinkSync(join(ROOT, "node_modules", "typescript"), join(team, "node_modules", "typescript"), "dir");
    mkdirSync(join(team, "node_modules", ".bin"));
    chmodSync(join(kit, "dist", "cli", "main.js"), 0o755);
    symlinkSync("../aspnet-webfarm/dist/cli/main.js", join(team, "node_modules", ".bin", "aspnet-webfarm"));
    writeFileSync(
      join(team, "Pulumi.yaml"),
      ["name: team", "runtime:", "  name: nodejs", "  options:", "    typescript: true", "main: index.ts", ""].join(
        "\n",
      ),
    );
    writeFileSync(
      join(team, "Pulumi.dev.yaml"),
      [
        "config:",
        "  aws:region: eu-west-1",
        "  team:dbPassword:",
        "    secure: AAABADQXFlU0mxC9qmHsnZ/MrpB3rz==",
        "",
      ].join("\n"),
    );
    writeFileSync(join(team, "package.json"), JSON.stringify({ name: "team", private: true, main: "index.ts" }));
    writeFileSync(
      join(team, "index.ts"),
      [
        'import * as pulumi from "@pulumi/pulumi";',
        'import * as aws from "@pulumi/aws";',
        'import { WebFarm } from "aspnet-webfarm";',
        "const config = new pulumi.Config();",
        'const farm = new WebFarm("team", {',
        "  nodes: { count: 2 },",
        '  app: { bucket: "team-builds", key: "shop/1.0.0/site.zip" },',
        "});",
        "// The team's own resources around the farm.",
        'new aws.sns.Topic("team-alerts", {});',
        'if (config.getBoolean("openStatePort"))',
        '  new aws.vpc.SecurityGroupIngressRule("team-debug", {',
        "    securityGroupId: farm.stateServerSecurityGroupId as pulumi.Output<string>,",
        '    cidrIpv4: "0.0.0.0/0",',
        '    ipProtocol: "tcp",',
        "    fromPort: 42424,",
        "    toPort: 42424,",
        "  });",
        "export const url = farm.url;",
        "",
      ].join("\n"),
    );
    git("init", "-q");
    planned = await inProcess("plan", "--stack", "dev");
    git("add", "-A");
    git("commit", "-q", "-m", "the farm's plan");
    // The change under review: the team opens the state port to the internet.
    writeFileSync(
      join(team, "Pulumi.dev.yaml"),
      readFileSync(join(team, "Pulumi.dev.yaml"), "utf8") + '  team:openStatePort: "true"\n',
    );
    diffed = await inProcess("diff", "--stack", "dev");
    checked = await inProcess("policy", "--stack", "dev");
    // The bin as npm links it, in a process of its own: its shebang, its link, its exit code and
    // stderr (a stack it does not have: answered before the engine loads).
    noStack = await bin("plan", "--stack", "nope");
  }, 180000);

  test("plan writes the team's plans/dev.json and .md, with their own resources and the secret as a labelled placeholder", () => {
    expect(planned.stderr).toBe("");
    expect(planned.stdout).not.toMatch(/DOES NOT CONVERGE/);
    expect(planned.code).toBe(0);
    const plan = JSON.parse(readFileSync(join(team, "plans", "dev.json"), "utf8"));
    const names = plan.resources.map((r: { type: string; name: string }) => `${r.type}::${r.name}`);
    expect(names).toContain("aspnet-webfarm:index:WebFarm::team");
    expect(names).toContain("aws:sns/topic:Topic::team-alerts");
    expect(names.filter((n: string) => n.startsWith("pulumi-nodejs:dynamic/aspnet-webfarm:Release"))).toHaveLength(1);
    expect(plan.note).toContain("npx aspnet-webfarm plan");
    expect(plan.note).toContain("team:dbPassword: a secret (secure:)");
    const summary = readFileSync(join(team, "plans", "dev.md"), "utf8");
    expect(summary).toContain("converges");
  });

  test("diff flags the team's rule that opens the state port to 0.0.0.0/0, and exits 2", () => {
    expect(diffed.code).toBe(2);
    expect(diffed.stdout).toMatch(/team-debug/);
    expect(diffed.stdout).toMatch(/0\.0\.0\.0\/0/);
    expect(diffed.stderr).toMatch(/security-broadening change\(s\).*--approve-security/);
  });

  test("policy names the violated policy and the team's resource, and exits 1", () => {
    expect(checked.code).toBe(1);
    expect(checked.stdout).toMatch(
      /VIOLATION \S+ on aws:vpc\/securityGroupIngressRule:SecurityGroupIngressRule team-debug/,
    );
    expect(checked.stdout).toMatch(/1 mandatory policy violation\(s\) in stack dev/);
  });

  test("the linked bin runs as a process: one clear error on stderr, exit code 1", () => {
    expect(noStack.code).toBe(1);
    expect(noStack.stdout).toBe("");
    expect(noStack.stderr).toMatch(/^aspnet-webfarm: no .*Pulumi\.nope\.yaml: is "nope" a stack of this project\?\n$/);
  });
});
