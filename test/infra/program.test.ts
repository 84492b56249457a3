// The per-stack program, run offline from the committed Pulumi.<stack>.yaml files.
import * as pulumi from "@pulumi/pulumi";
import { readdirSync, readFileSync } from "fs";
import YAML from "yaml";
import { ROLE_TAG } from "../../components";
import { CONFIG } from "../../infra/config";
import { program } from "../../infra/program";
import { projectDefaults, REPO_ROOT, stackConfig } from "../../infra/stackFile";
import { T } from "../farm";
import { DEFAULT_INVOKES, EXISTING_SUBNETS, RecordingMocks, runProgram, TEST_AZS } from "../mocks";

async function runStack(config: Record<string, string>, invokes = DEFAULT_INVOKES) {
  pulumi.runtime.setAllConfig(config);
  try {
    const { mocks, result } = await runProgram(program, { invokes, stack: "test" });
    return { mocks, outputs: result, error: undefined as Error | undefined };
  } catch (error) {
    return { mocks: (error as { mocks: RecordingMocks }).mocks, outputs: undefined, error: error as Error };
  }
}

const withConfig = (stack: string, overrides: Record<string, string>) => ({ ...stackConfig(stack), ...overrides });
const key = (k: string) => `aspnet-webfarm:${k}`;

describe("stack program", () => {
  test("dev: two small nodes over two AZs, one NAT gateway, HTTP only", async () => {
    const { mocks, error } = await runStack(stackConfig("dev"));
    expect(error).toBeUndefined();
    const nodes = mocks.ofType(T.instance).filter((i) => i.inputs.tags[ROLE_TAG] === "web-node");
    expect(nodes.map((n) => n.inputs.instanceType)).toEqual(["t3.medium", "t3.medium"]);
    expect(mocks.ofType(T.nat)).toHaveLength(1);
    expect(mocks.ofType(T.listener).map((l) => l.inputs.port)).toEqual([80]);
    expect(nodes[0].inputs.tags).toMatchObject({ env: "dev", app: "shop" });
  });

  test("prod: four nodes over three AZs, NAT per AZ, HTTPS, protected state server", async () => {
    const { mocks, error } = await runStack(stackConfig("prod"));
    expect(error).toBeUndefined();
    const nodes = mocks.ofType(T.instance).filter((i) => i.inputs.tags[ROLE_TAG] === "web-node");
    expect(nodes).toHaveLength(4);
    expect(new Set(nodes.map((n) => n.inputs.subnetId)).size).toBe(3);
    expect(mocks.ofType(T.nat)).toHaveLength(3);
    expect(mocks.ofType(T.listener).map((l) => l.inputs.port).sort()).toEqual([443, 80]);
    expect(mocks.named("shop-prod-state", T.instance).options.protect).toBe(true);
  });

  test("exports the farm's outputs, the fragment as a secret", async () => {
    const { outputs } = await runStack(stackConfig("dev"));
    expect(Object.keys(outputs!)).toEqual(expect.arrayContaining(["url", "loadBalancerDnsName", "stateServerAddress", "webNodeIds", "webConfigFragment"]));
    expect(await pulumi.isSecret(outputs!.webConfigFragment)).toBe(true);
  });

  test("a broken config lists every problem at once and registers nothing", async () => {
    const { mocks, error } = await runStack(withConfig("dev", {
      [key("nodeCount")]: "two",
      [key("natPerAz")]: "yes",
      [key("vpcCidr")]: "8.8.0.0/16",
      [key("statePort")]: "80",
      [key("allowedCidrs")]: "[]",
      [key("nodeCnt")]: "3",
    }));
    expect(error).toBeDefined();
    const paths = (error as pulumi.InputPropertiesError).errors.map((e) => e.propertyPath).sort();
    expect(paths).toEqual(["allowedCidrs", "natPerAz", "nodeCnt", "nodeCount", "statePort", "vpcCidr"]);
    expect(error!.message).toContain("nodeCount: must be a number; got \"two\"");
    expect(mocks.resources).toEqual([]);
  });

  test("azCount above what the region offers is reported with the region's AZs", async () => {
    const { mocks, error } = await runStack(withConfig("dev", { [key("azCount")]: "4" }));
    expect(error!.message).toContain(`azCount: is 4 but region eu-west-1 offers 3 AZs (${TEST_AZS.join(", ")})`);
    expect(mocks.resources).toEqual([]);
  });

  test("bring your own network: project defaults do not get in the way, own-network settings do", async () => {
    const byo = {
      [key("vpcId")]: "vpc-0e00000000000000e",
      [key("publicSubnetIds")]: JSON.stringify(["subnet-0a00000000000000a", "subnet-0b00000000000000b"]),
      [key("privateSubnetIds")]: JSON.stringify(["subnet-0c00000000000000c", "subnet-0d00000000000000d"]),
    };
    const good = await runStack({ ...projectDefaults(), ...byo });
    expect(good.error).toBeUndefined();
    expect(good.mocks.ofType(T.vpc)).toHaveLength(0);
    expect(good.mocks.ofType(T.instance)).toHaveLength(3);

    const mixed = await runStack({ ...projectDefaults(), ...byo, [key("vpcCidr")]: "10.20.0.0/16" });
    expect(mixed.error?.message).toContain("vpcCidr: applies only to the farm's own network");
    expect(mixed.mocks.resources).toEqual([]);
  });

  test("bring your own network: subnets whose AZs do not match are reported, nothing registered", async () => {
    const byo = {
      [key("vpcId")]: "vpc-0e00000000000000e",
      [key("publicSubnetIds")]: JSON.stringify(["subnet-0a00000000000000a", "subnet-0b00000000000000b"]),
      [key("privateSubnetIds")]: JSON.stringify(["subnet-0c00000000000000c", "subnet-0d00000000000000d"]),
    };
    const skewed: typeof EXISTING_SUBNETS = { ...EXISTING_SUBNETS, "subnet-0d00000000000000d": { ...EXISTING_SUBNETS["subnet-0d00000000000000d"], availabilityZone: "eu-west-1c" } };
    const invokes = { ...DEFAULT_INVOKES, "aws:ec2/getSubnet:getSubnet": (i: Record<string, any>) => ({ id: i.id, ...skewed[i.id] }) };
    const bad = await runStack({ ...projectDefaults(), ...byo }, invokes);
    expect(bad.error?.message).toContain("privateSubnetIds: cover AZs eu-west-1a, eu-west-1c but publicSubnetIds cover eu-west-1a, eu-west-1b");
    expect(bad.mocks.resources).toEqual([]);
  });
});

describe("config declarations", () => {
  const project = YAML.parse(readFileSync(`${REPO_ROOT}/Pulumi.yaml`, "utf8"));

  test("Pulumi.yaml declares every key the program reads, with type, description and default", () => {
    expect(project.config).toEqual(JSON.parse(JSON.stringify(CONFIG)));
    for (const decl of Object.values(project.config) as Record<string, unknown>[]) {
      expect(Object.keys(decl)).toEqual(expect.arrayContaining(["type", "description", "default"]));
    }
  });

  test("the stack files set only declared keys", () => {
    for (const stack of ["dev", "prod"]) {
      const keys = Object.keys(YAML.parse(readFileSync(`${REPO_ROOT}/Pulumi.${stack}.yaml`, "utf8")).config);
      for (const k of keys.filter((k) => k.startsWith("aspnet-webfarm:"))) expect(Object.keys(CONFIG)).toContain(k.split(":")[1]);
    }
  });

  test("the README's config table lists every key", () => {
    const readme = readFileSync(`${REPO_ROOT}/README.md`, "utf8");
    for (const k of Object.keys(CONFIG)) expect(readme).toContain(`| \`${k}\``);
  });
});

test("the program uses the kit only through its public entry point (components/index.ts)", () => {
  for (const file of readdirSync(`${REPO_ROOT}/infra`).filter((f) => f.endsWith(".ts"))) {
    const source = readFileSync(`${REPO_ROOT}/infra/${file}`, "utf8");
    const kitImports = [...source.matchAll(/from "([^"]*components[^"]*)"/g)].map((m) => m[1]);
    for (const specifier of kitImports) expect({ file, specifier }).toEqual({ file, specifier: "../components" });
  }
});
