// The kit as a component package, without the Pulumi CLI: the provider's GetSchema (what every
// language's SDK is generated from) and Construct (what `new WebFarm(...)` in C# calls), in-process.
import * as pulumi from "@pulumi/pulumi";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { REPO_ROOT as ROOT } from "../tools/scripts/repoRoot";
import YAML from "yaml";
import { argsSchema, FLAT_ARGUMENTS, WebFarm } from "../components";
import { runProgram } from "../engine/engine";
import { FarmProvider, PACKAGE_NAME } from "../provider";
import { analysisKey, cacheSchemaInference, generatedSchema, SCHEMA_FILE } from "../tools/scripts/schema";
import { sharedFarm, Graph, T } from "./support/graph";
import { typecheckWrote } from "./support/typecheckFiles";

// The inference type-checks the whole program (seconds): kept by a hash of what it reads.
cacheSchemaInference();
const provider = new FarmProvider(ROOT);
type Property = {
  type?: string;
  $ref?: string;
  description?: string;
  default?: unknown;
  secret?: boolean;
  deprecationMessage?: string;
};
let schema: {
  name: string;
  resources: Record<
    string,
    {
      isComponent: boolean;
      inputProperties: Record<string, Property>;
      properties: Record<string, Property>;
      requiredInputs?: string[];
    }
  >;
};
beforeAll(async () => {
  // Under `npm test` the type-check beside the tests infers the schema from the program it checked.
  await typecheckWrote("WEBFARM_SCHEMA_DONE");
  schema = JSON.parse(await provider.getSchema());
}, 160000);

const webFarm = () => schema.resources[`${PACKAGE_NAME}:index:WebFarm`];

test("the schema serves the package aspnet-webfarm with the WebFarm and FarmImage components", () => {
  expect(schema.name).toBe("aspnet-webfarm");
  expect(Object.keys(schema.resources).sort()).toEqual([
    "aspnet-webfarm:index:FarmImage",
    "aspnet-webfarm:index:WebFarm",
  ]);
  for (const r of Object.values(schema.resources)) expect(r.isComponent).toBe(true);
});

test("every WebFarm argument is an input with its type and description, and its default where it has a plain one", () => {
  const inputs = webFarm().inputProperties;
  const flat = [...Object.keys(FLAT_ARGUMENTS), "sessionStore"];
  expect(Object.keys(inputs).sort()).toEqual([...Object.keys(argsSchema.shape), ...flat].sort());
  for (const [name, p] of Object.entries(inputs)) {
    expect({ name, typed: Boolean(p.type ?? p.$ref) }).toEqual({ name, typed: true });
    expect({ name, described: (p.description ?? "").length > 10 }).toEqual({ name, described: true });
  }
  // nodes is required in substance (nodes.count), but optional in the type while the 0.1 nodeCount still works.
  expect(webFarm().requiredInputs ?? []).toEqual([]);
  expect(inputs.nodes.$ref).toBe("#/types/aspnet-webfarm:index:NodesArgs");
  expect(inputs.sqlServer.$ref).toBe("#/types/aspnet-webfarm:index:SqlServerArgs");
  expect(inputs.sessionTimeoutMinutes).toMatchObject({ type: "number", default: 20 });
  const types = (schema as unknown as { types: Record<string, { properties: Record<string, Property> }> }).types;
  const typeOf = (name: string) => types[`${PACKAGE_NAME}:index:${name}`];
  expect(typeOf("NodesArgs")).toMatchObject({ required: ["count"], properties: { count: { type: "number" } } });
  expect(typeOf("StateServerArgs").properties.port).toMatchObject({ type: "number", default: 42424 });
  expect(typeOf("NodesArgs").properties.mode).toMatchObject({ type: "string", default: "instances" });
  expect(typeOf("ExistingNetworkArgs")).toMatchObject({ required: ["privateSubnetIds", "publicSubnetIds", "vpcId"] });
  // The 0.1 flat inputs: still there for one minor version, deprecated in every SDK, without defaults.
  for (const name of flat) {
    expect({ name, deprecated: inputs[name].deprecationMessage }).toEqual({
      name,
      deprecated: expect.stringMatching(/^The 0\.1 spelling: use /),
    });
    expect({ name, default: inputs[name].default }).toEqual({ name, default: undefined });
  }
  expect(inputs.nodeCount.deprecationMessage).toBe("The 0.1 spelling: use nodes.count (docs/UPGRADE.md).");
  // Its default differs by language (docs/languages.md): no schema default.
  expect(inputs.waitForDeployments.default).toBeUndefined();
});

test("every output WebFarm registers is a schema output; those holding the key are secret", async () => {
  const { farm } = await sharedFarm({ nodeCount: 1 });
  expect(Object.keys(webFarm().properties).sort()).toEqual(Object.keys(WebFarm.outputsOf(farm)).sort());
  const secret = Object.entries(webFarm().properties)
    .filter(([, p]) => p.secret)
    .map(([k]) => k);
  expect(secret.sort()).toEqual(["decryptionKey", "validationKey", "webConfigFragment"]);
});

test("the committed schema.json is the one the components give now", async () => {
  expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(await generatedSchema(provider));
});

test("Construct builds the farm under the engine and returns its outputs, with no Node.js-only resource by default", async () => {
  const { mocks, result } = await runProgram(() =>
    provider.construct("shop", `${PACKAGE_NAME}:index:WebFarm`, { nodes: { count: 2 } }, {}),
  );
  const graph = new Graph(mocks);
  expect(graph.one(T.farm).name).toBe("shop");
  expect(graph.webNodes()).toHaveLength(2);
  expect(graph.count(T.gate)).toBe(0);
  expect(graph.count(T.release)).toBe(0);
  expect(Object.keys(result.state).sort()).toEqual(Object.keys(webFarm().properties).sort());
  expect(await pulumi.isSecret(result.state.webConfigFragment as pulumi.Output<string>)).toBe(true);
});

test("Construct of FarmImage, and a refusal for a type the package does not have", async () => {
  const { mocks } = await runProgram(() => provider.construct("shop", `${PACKAGE_NAME}:index:FarmImage`, {}, {}));
  expect(new Graph(mocks).count("aws:imagebuilder/image:Image")).toBe(1);
  await expect(provider.construct("x", `${PACKAGE_NAME}:index:Nope`, {}, {})).rejects.toThrow(
    /Component class not found for 'Nope'/,
  );
});

/** `new T { A = ..., B = new U { ... } }` in C#: each initializer's type and the properties it sets. */
function initializers(code: string): { type: string; properties: string[] }[] {
  const found: { type: string; properties: string[] }[] = [];
  for (const m of code.matchAll(/new (\w+)\s*\{/g)) {
    let depth = 0;
    let body = "";
    for (const ch of code.slice(m.index! + m[0].length - 1)) {
      depth += ch === "{" ? 1 : ch === "}" ? -1 : 0;
      if (depth === 0) break;
      // Only this level's text: nested initializers are found on their own.
      if (depth === 1 && ch !== "{") body += ch;
    }
    found.push({ type: m[1], properties: [...body.matchAll(/^\s*([A-Z]\w*)\s*=/gm)].map((p) => p[1]) });
  }
  return found;
}

test("the C# and YAML examples set only inputs the schema has (the SDKs are generated from it)", () => {
  const full = JSON.parse(JSON.stringify(schema)) as typeof schema & {
    types: Record<string, { properties: Record<string, Property> }>;
  };
  const inputsOf: Record<string, Record<string, Property>> = {
    WebFarmArgs: webFarm().inputProperties,
    NodesArgsArgs: full.types[`${PACKAGE_NAME}:index:NodesArgs`].properties,
    SqlServerArgsArgs: full.types[`${PACKAGE_NAME}:index:SqlServerArgs`].properties,
    AppArgsArgs: full.types[`${PACKAGE_NAME}:index:AppArgs`].properties,
  };
  const camel = (p: string) => p[0].toLowerCase() + p.slice(1);
  const csharp = initializers(readFileSync(join(ROOT, "examples/csharp/Program.cs"), "utf8")).filter(
    (i) => i.type in inputsOf,
  );
  expect(csharp.map((i) => i.type)).toEqual(["WebFarmArgs", "NodesArgsArgs", "SqlServerArgsArgs", "AppArgsArgs"]);
  // They use the grouped spelling, not the deprecated 0.1 inputs.
  for (const i of csharp)
    for (const p of i.properties)
      expect({ p, deprecated: camel(p) in FLAT_ARGUMENTS }).toEqual({ p, deprecated: false });
  for (const i of csharp)
    for (const p of i.properties)
      expect({ type: i.type, property: p, known: camel(p) in inputsOf[i.type] }).toEqual({
        type: i.type,
        property: p,
        known: true,
      });

  const yaml = YAML.parse(readFileSync(join(ROOT, "examples/yaml/Pulumi.yaml"), "utf8"));
  const shop = yaml.resources.shop;
  expect(shop.type).toBe(`${PACKAGE_NAME}:index:WebFarm`);
  const jsType = (v: unknown) => (Array.isArray(v) ? "array" : typeof v === "object" ? "object" : typeof v);
  for (const [key, value] of Object.entries(shop.properties)) {
    const input = webFarm().inputProperties[key];
    expect({ key, known: input !== undefined, deprecated: input?.deprecationMessage }).toEqual({
      key,
      known: true,
      deprecated: undefined,
    });
    if (input.type) expect({ key, type: jsType(value) }).toEqual({ key, type: input.type });
  }
  for (const ref of Object.values(yaml.outputs as Record<string, string>)) {
    const output = /^\$\{shop\.(\w+)\}$/.exec(ref)![1];
    expect(webFarm().properties).toHaveProperty(output);
  }
});

test("the schema cache is never stale: its key changes with a source, the installed packages or a global a test declares", () => {
  const dir = mkdtempSync(join(tmpdir(), "webfarm-schema-key-"));
  try {
    for (const f of ["tsconfig.json", "package.json", "package-lock.json"]) cpSync(join(ROOT, f), join(dir, f));
    const write = (path: string, text: string) => {
      mkdirSync(join(dir, path, ".."), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    write("components/index.ts", 'export * from "./part";\n');
    write("components/part.ts", "export interface PartArgs { size?: number }\n");
    write("test/part.test.ts", "test('x', () => undefined);\n");
    const first = analysisKey(dir);
    expect(analysisKey(dir)).toBe(first);
    write("test/part.test.ts", "test('y', () => undefined);\n");
    expect(analysisKey(dir)).toBe(first);
    write("components/part.ts", "export interface PartArgs { size?: string }\n");
    const changed = analysisKey(dir);
    expect(changed).not.toBe(first);
    write("test/part.test.ts", "declare global { interface PartArgs { extra: string } }\nexport {};\n");
    expect(analysisKey(dir)).not.toBe(changed);
    const lock = readFileSync(join(dir, "package-lock.json"), "utf8");
    const withTest = analysisKey(dir);
    writeFileSync(join(dir, "package-lock.json"), lock.replace('"lockfileVersion"', '"lockfileVersion" '));
    expect(analysisKey(dir)).not.toBe(withTest);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
