// The packed package works, not only the source tree: npm pack, install the tarball into a
// temporary program, type-check that program against the package's declarations, and run it
// under Pulumi's mocks with the program's own copy of @pulumi/pulumi.
//
// The install is what npm does for a file: dependency, without the download: the tarball is
// unpacked into node_modules and each dependency the packed package.json names (and nothing
// else) is linked from this repository's node_modules. A dependency missing from package.json
// is then missing at run time here too.
import { execFileSync } from "child_process";
import {
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
  writeFileSync,
} from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { REPO_ROOT as ROOT } from "../scripts/repoRoot";

const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false" },
  });

let dir: string;
let tarball: string;

/**
 * `npm test` type-checks once and keeps what it compiled in .build/: when that is newer than every
 * source file of the library, pack it as dist/ rather than compile the library a second time
 * (npm pack's prepack build). Run alone, the test packs as a user would.
 */
function freshBuild(): string | undefined {
  const built = join(ROOT, ".build", "components");
  if (!existsSync(join(built, "index.js"))) return undefined;
  const sources = (readdirSync(join(ROOT, "components"), { recursive: true }) as string[]).filter((f) =>
    f.endsWith(".ts"),
  );
  const newest = Math.max(...sources.map((f) => statSync(join(ROOT, "components", f)).mtimeMs));
  return statSync(join(built, "index.js")).mtimeMs >= newest ? built : undefined;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "aspnet-webfarm-pack-"));
  const built = freshBuild();
  let from = ROOT;
  const args = ["pack", "--json", "--pack-destination", dir];
  if (built) {
    from = join(dir, "stage");
    mkdirSync(from);
    for (const f of ["package.json", "README.md"]) copyFileSync(join(ROOT, f), join(from, f));
    cpSync(built, join(from, "dist"), { recursive: true });
    args.push("--ignore-scripts");
  }
  const packed = JSON.parse(run("npm", args, from));
  tarball = join(dir, packed[0].filename);
  (globalThis as Record<string, unknown>).packedFiles = packed[0].files.map((f: { path: string }) => f.path);
}, 120000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the tarball holds the compiled library with declarations, and nothing else of the repository", () => {
  const files = (globalThis as Record<string, unknown>).packedFiles as string[];
  expect(files).toEqual(
    expect.arrayContaining([
      "package.json",
      "README.md",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/webFarm.js",
      "dist/windows/userData.js",
    ]),
  );
  expect(files.filter((f) => !f.startsWith("dist/") && !["package.json", "README.md"].includes(f))).toEqual([]);
  expect(files.some((f) => f.endsWith(".test.js") || f.startsWith("dist/test"))).toBe(false);
});

test("a program that installs the tarball type-checks and registers a farm under the mocks", () => {
  const program = join(dir, "program");
  const modules = join(program, "node_modules");
  mkdirSync(join(modules, "@pulumi"), { recursive: true });
  run("tar", ["-xzf", tarball, "-C", modules], program);
  renameSync(join(modules, "package"), join(modules, "aspnet-webfarm"));
  const packed = JSON.parse(readFileSync(join(modules, "aspnet-webfarm", "package.json"), "utf8"));
  const needed = [...Object.keys(packed.dependencies ?? {}), ...Object.keys(packed.peerDependencies ?? {})];
  expect(needed.sort()).toEqual([
    "@aws-sdk/client-codedeploy",
    "@aws-sdk/client-elastic-load-balancing-v2",
    "@aws-sdk/client-resource-groups-tagging-api",
    "@pulumi/aws",
    "@pulumi/pulumi",
    "@pulumi/random",
    "fast-xml-parser",
    "fflate",
    "ipaddr.js",
    "zod",
  ]);
  mkdirSync(join(modules, "@aws-sdk"), { recursive: true });
  for (const dep of needed) symlinkSync(join(ROOT, "node_modules", dep), join(modules, dep), "dir");
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
  writeFileSync(
    join(program, "index.ts"),
    [
      'import { WebFarm, WebFarmArgs } from "aspnet-webfarm";',
      'const args: WebFarmArgs = { nodeCount: 2, tags: { app: "consumer" } };',
      'export function build(): WebFarm { return new WebFarm("packed", args); }',
    ].join("\n"),
  );
  writeFileSync(
    join(program, "run.js"),
    `
    const pulumi = require("@pulumi/pulumi");
    const recorded = [];
    pulumi.runtime.setMocks({
      newResource: (a) => { recorded.push(a.type + "::" + a.name); return { id: a.type.split(":").pop() + "-" + a.name, state: { ...a.inputs, arn: "arn:aws:ssm:eu-west-1:123456789012:parameter/" + a.name, privateIp: "10.0.0.10", hex: "AB".repeat(a.inputs.length || 1) } }; },
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
      .then(() => console.log(JSON.stringify(recorded)))
      .catch((e) => { console.error(e); process.exit(1); });
  `,
  );
  // Type-check against the installed package's .d.ts (not the source tree), then compile.
  run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "."], program);
  const recorded: string[] = JSON.parse(run(process.execPath, ["run.js"], program).trim().split("\n").pop()!);
  expect(recorded).toContain("aspnet-webfarm:index:WebFarm::packed");
  expect(recorded.filter((r) => r.startsWith("aws:ec2/instance:Instance::"))).toHaveLength(3);
  expect(recorded).toContain("aws:ssm/parameter:Parameter::packed-key-parameter");
}, 180000);
