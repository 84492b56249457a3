// The per-stack program, run offline from the committed Pulumi.<stack>.yaml files; and the config
// declarations generated from the one argument schema.
import * as pulumi from "@pulumi/pulumi";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import YAML from "yaml";
import { argsSchema, FLAT_ARGUMENTS, ROLE_TAG } from "../../components";
import { forgetWarnings } from "../../components/args/flat";
import {
  argumentPathOf,
  CONFIG,
  CONFIG_DEFAULTS,
  CONFIG_ONLY,
  configShapeOf,
  FLAT_CONFIG_KEYS,
  flatKey,
  IMAGE_ARGUMENTS,
  NESTED_ARGUMENTS,
  NOT_CONFIGURABLE,
  projectConfig,
  readStackSettings,
} from "../../infra/config";
import { program } from "../../infra/program";
import { keysSetByStack, projectDefaults, stackConfig } from "../../infra/stackFile";
import { REPO_ROOT } from "../../tools/scripts/repoRoot";
import {
  EXISTING_NETWORK,
  EXISTING_SUBNETS,
  FIXTURE_FARM_AMI,
  FIXTURE_WINDOWS_AMI,
  fixtureFarmAmi,
  fixtures,
  Subnet,
} from "../../engine/fixtures";
import { generatedProjectFile, generatedConfigPage } from "../../tools/scripts/docs";
import { attempt, T } from "../support/graph";

async function runStack(config: Record<string, string>, subnets?: Record<string, Subnet>) {
  const { graph, error } = await attempt(program, { config, fixtures: fixtures({ subnets }) });
  return { graph, error };
}
async function outputsOf(config: Record<string, string>) {
  let outputs: Record<string, pulumi.Output<unknown>> = {};
  await attempt(async () => (outputs = await program()), { config });
  return outputs;
}

const withConfig = (stack: string, overrides: Record<string, string>) => ({ ...stackConfig(stack), ...overrides });
const key = (k: string) => `aspnet-webfarm:${k}`;
const byo = {
  [key("vpcId")]: EXISTING_NETWORK.vpcId,
  [key("publicSubnetIds")]: JSON.stringify(EXISTING_NETWORK.publicSubnetIds),
  [key("privateSubnetIds")]: JSON.stringify(EXISTING_NETWORK.privateSubnetIds),
};

describe("stack program", () => {
  test("dev: two small nodes over two AZs, one NAT gateway, HTTP only", async () => {
    const { graph, error } = await runStack(stackConfig("dev"));
    expect(error).toBeUndefined();
    const nodes = graph.ofType(T.instance).filter((i) => i.inputs.tags[ROLE_TAG] === "web-node");
    expect(nodes.map((n) => n.inputs.instanceType)).toEqual(["t3.medium", "t3.medium"]);
    expect(graph.count(T.nat)).toBe(1);
    expect(graph.ofType(T.listener).map((l) => l.inputs.port)).toEqual([80]);
    expect(nodes[0].inputs.tags).toMatchObject({ env: "dev", app: "shop" });
  });

  test("prod: four nodes over three AZs, NAT per AZ, HTTPS, sessions in a protected Multi-AZ SQL Server", async () => {
    const { graph, error } = await runStack(stackConfig("prod"));
    expect(error).toBeUndefined();
    const nodes = graph.webNodes();
    expect(nodes).toHaveLength(4);
    expect(new Set(nodes.map((n) => n.inputs.subnetId)).size).toBe(3);
    expect(graph.count(T.nat)).toBe(3);
    expect(
      graph
        .ofType(T.listener)
        .map((l) => l.inputs.port)
        .sort(),
    ).toEqual([443, 80]);
    expect(graph.byRole("state-server")).toEqual([]);
    expect(graph.one("aws:rds/instance:Instance").inputs).toMatchObject({
      engine: "sqlserver-se",
      multiAz: true,
      deletionProtection: true,
    });
  });

  test("exports the farm's outputs, the fragment as a secret", async () => {
    const outputs = await outputsOf(stackConfig("dev"));
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        "url",
        "loadBalancerDnsName",
        "loadBalancerZoneId",
        "stateServerAddress",
        "webNodeIds",
        "webConfigFragment",
        "nodeRoleArn",
      ]),
    );
    expect(await pulumi.isSecret(outputs.webConfigFragment)).toBe(true);
  });

  test("a broken config lists every problem at once and registers nothing", async () => {
    const { graph, error } = await runStack(
      withConfig("dev", {
        [key("nodesCount")]: "two",
        [key("networkNatPerAz")]: "yes",
        [key("networkVpcCidr")]: "8.8.0.0/16",
        [key("stateServerPort")]: "80",
        [key("loadBalancerAllowedCidrs")]: "[]",
        [key("nodeCnt")]: "3",
      }),
    );
    expect(error).toBeDefined();
    const paths = (error as pulumi.InputPropertiesError).errors.map((e) => e.propertyPath).sort();
    expect(paths).toEqual([
      "loadBalancerAllowedCidrs",
      "networkNatPerAz",
      "networkVpcCidr",
      "nodeCnt",
      "nodesCount",
      "stateServerPort",
    ]);
    expect(error!.message).toContain('nodesCount: must be a number; got "two"');
    expect(graph.resources).toEqual([]);
  });

  test("azCount above what the region offers is reported with the region's AZs", async () => {
    const { graph, error } = await runStack(withConfig("dev", { [key("azCount")]: "4" }));
    expect(error!.message).toContain(
      "azCount: is 4 but region eu-west-1 offers 3 AZs (eu-west-1a, eu-west-1b, eu-west-1c)",
    );
    expect(graph.resources).toEqual([]);
  });

  test("bring your own network: project defaults do not get in the way, own-network settings do", async () => {
    const good = await runStack({ ...projectDefaults(), ...byo });
    expect(good.error).toBeUndefined();
    expect(good.graph.count(T.vpc)).toBe(0);
    expect(good.graph.count(T.instance)).toBe(3);

    const mixed = await runStack({ ...projectDefaults(), ...byo, [key("vpcCidr")]: "10.20.0.0/16" });
    expect(mixed.error?.message).toContain(
      "vpcCidr: is a setting of the farm's own network, but existingNetwork is given too",
    );
    expect(mixed.graph.resources).toEqual([]);
  });

  test("bring your own network: subnets whose AZs do not match are reported, nothing registered", async () => {
    const skewed: typeof EXISTING_SUBNETS = {
      ...EXISTING_SUBNETS,
      "subnet-0d00000000000000d": { ...EXISTING_SUBNETS["subnet-0d00000000000000d"], availabilityZone: "eu-west-1c" },
    };
    const bad = await runStack({ ...projectDefaults(), ...byo }, skewed);
    expect(bad.error?.message).toContain(
      "privateSubnetIds: cover AZs eu-west-1a, eu-west-1c but publicSubnetIds cover eu-west-1a, eu-west-1b",
    );
    expect(bad.graph.resources).toEqual([]);
  });
});

describe("the 0.1 config keys", () => {
  // prod and asg as 0.1 wrote them: every key that moved, in its 0.1 spelling.
  const inFlatKeys = (stack: string) => {
    const config = stackConfig(stack);
    const back = Object.fromEntries(Object.entries(FLAT_CONFIG_KEYS).map(([flat, now]) => [key(now), key(flat)]));
    const own = readFileSync(`${REPO_ROOT}/Pulumi.${stack}.yaml`, "utf8");
    // The stack's own value wins over Pulumi.yaml's default, as with the CLI.
    const flat: Record<string, string> = { ...config };
    for (const [now, old] of Object.entries(back))
      if (own.includes(`${now}:`)) {
        flat[old] = config[now];
        delete flat[now];
      }
    return flat;
  };

  test.each(["prod", "asg"])("%s in the 0.1 keys builds the same graph as in the 0.2 keys", async (stack) => {
    const flat = inFlatKeys(stack);
    expect(Object.keys(flat).filter((k) => k.split(":")[1] in FLAT_CONFIG_KEYS).length).toBeGreaterThan(5);
    const [before, after] = [await runStack(flat), await runStack(stackConfig(stack))];
    expect(before.error).toBeUndefined();
    const shape = (g: typeof after.graph) =>
      g.resources.map(({ type, name, parent, inputs, options }) => ({ type, name, parent, inputs, options }));
    expect(shape(before.graph)).toEqual(shape(after.graph));
  });

  test("each 0.1 key is warned about once, naming its new key; both spellings of one key is an error", () => {
    forgetWarnings();
    const warn = jest.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
    try {
      for (let i = 0; i < 2; i++)
        readStackSettings(projectConfig(withConfig("dev", { [key("webInstanceType")]: "m6i.large" })));
      expect(warn.mock.calls.map((c) => c[0])).toEqual([
        "config key aspnet-webfarm:webInstanceType is the 0.1 spelling: use aspnet-webfarm:nodesInstanceType (docs/UPGRADE.md); it goes in 0.3",
      ]);
    } finally {
      warn.mockRestore();
    }
    const both = readStackSettings(
      projectConfig(
        withConfig("dev", { [key("nodeCount")]: "3", [key("nodesCount")]: "4", [key("maxNodeCount")]: "1" }),
      ),
    );
    expect(both.problems).toEqual([
      { propertyPath: "nodeCount", reason: "is the 0.1 key of nodesCount, which is set too: set nodesCount only" },
      { propertyPath: "maxNodeCount", reason: 'applies only with nodesMode "autoscaling"' },
    ]);
  });

  // A stack "edited" from dev: its file is dev's plus `extra` lines, read as the Pulumi CLI and the
  // program would (values with Pulumi.yaml's defaults; the keys the file names).
  const editedDev = (extra: string) => {
    const dir = mkdtempSync(join(tmpdir(), "stack-"));
    try {
      copyFileSync(join(REPO_ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
      const dev = readFileSync(join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8");
      writeFileSync(join(dir, "Pulumi.edited.yaml"), `${dev}${extra}`);
      return readStackSettings(projectConfig(stackConfig("edited", dir)), keysSetByStack("edited", dir));
    } finally {
      rmSync(dir, { recursive: true });
    }
  };

  test("a 0.1 key set to 0 or [] is read and checked, not taken as unset", () => {
    expect(editedDev("  aspnet-webfarm:allowedCidrs: []\n").problems).toEqual([
      { propertyPath: "allowedCidrs", reason: "must name at least one CIDR (use 0.0.0.0/0 for the internet); got []" },
    ]);
    expect(editedDev("  aspnet-webfarm:nodeCount: 0\n").problems.map((p) => p.propertyPath)).toEqual(["nodeCount"]);
    expect(keysSetByStack("absent", tmpdir())).toBeUndefined();
  });

  test("both spellings of one key is an error even where the new key is set to its default", () => {
    // dev sets nodesCount: 2 and networkNatPerAz: false, both the defaults.
    expect(editedDev("  aspnet-webfarm:nodeCount: 3\n  aspnet-webfarm:natPerAz: true\n").problems).toEqual([
      { propertyPath: "nodeCount", reason: "is the 0.1 key of nodesCount, which is set too: set nodesCount only" },
      {
        propertyPath: "natPerAz",
        reason: "is the 0.1 key of networkNatPerAz, which is set too: set networkNatPerAz only",
      },
    ]);
  });

  test("docs/UPGRADE.md names every 0.1 argument and config key with its new place", () => {
    const page = readFileSync(`${REPO_ROOT}/docs/UPGRADE.md`, "utf8");
    for (const [flat, place] of Object.entries(FLAT_ARGUMENTS))
      expect({ flat, listed: page.includes(`| \`${flat}\` | \`${place}\` |`) }).toEqual({ flat, listed: true });
    for (const [flat, now] of Object.entries(FLAT_CONFIG_KEYS))
      expect({ flat, listed: page.includes(`\`${flat}\` → \`${now}\``) }).toEqual({ flat, listed: true });
  });
});

describe("the farm image's stack, and farms that take its image", () => {
  test("images: builds the farm image and nothing of a farm, and exports its AMI id and the parameter its builds write", async () => {
    const { graph, error } = await runStack(stackConfig("images"));
    expect(error).toBeUndefined();
    expect(graph.count("aspnet-webfarm:index:FarmImage")).toBe(1);
    expect(graph.count(T.farm)).toBe(0);
    expect(graph.count(T.instance)).toBe(0);
    expect(graph.one("aws:imagebuilder/component:Component").inputs.version).toBe("2026.11.0");
    const outputs = await outputsOf(stackConfig("images"));
    expect(Object.keys(outputs).sort()).toEqual(["imageAmiParameter", "imageArn", "imageId", "imageVersion"]);
  });

  test("prod: the web nodes boot from the image stack's imageId; the session setup instance keeps Amazon's image", async () => {
    const { graph, error } = await runStack(stackConfig("prod"));
    expect(error).toBeUndefined();
    const reference = graph.one("pulumi:pulumi:StackReference");
    expect(reference.inputs.name).toBe("organization/aspnet-webfarm/images");
    for (const node of graph.webNodes()) expect(node.inputs.ami).toBe(FIXTURE_FARM_AMI);
    const setup = graph.one(T.instance, (i) => i.inputs.tags?.["webfarm:role"] === "session-setup");
    expect(setup.inputs.ami).toBe(FIXTURE_WINDOWS_AMI);
  });

  test("asg taking the image's parameter: read at `pulumi up`, or resolved at launch with autoRollout; no imageId from the image stack", async () => {
    const parameter = "/imagebuilder/shop-recipe-1a2b3c4/2026.11.0/ami";
    const run = (autoRollout: boolean) =>
      runStack(
        withConfig("asg", {
          [key("imageAmiParameter")]: parameter,
          [key("imageAutoRollout")]: String(autoRollout),
          [key("imageStack")]: "organization/aspnet-webfarm/images",
        }),
      );
    const atUp = await run(false);
    expect(atUp.error).toBeUndefined();
    expect(atUp.graph.count("pulumi:pulumi:StackReference")).toBe(0);
    expect(atUp.graph.one(T.template).inputs.imageId).toBe(fixtureFarmAmi(parameter));
    expect(atUp.graph.count("aws:sfn/stateMachine:StateMachine")).toBe(0);
    const rolling = await run(true);
    expect(rolling.error).toBeUndefined();
    expect(rolling.graph.count("pulumi:pulumi:StackReference")).toBe(0);
    expect(rolling.graph.one(T.template).inputs.imageId).toBe(`resolve:ssm:${parameter}`);
    expect(rolling.graph.count("aws:sfn/stateMachine:StateMachine")).toBe(1);
  });

  test("mixing the two kinds of stack is reported key by key, and imageStack with amiId too", () => {
    const farm = readStackSettings(
      projectConfig(
        withConfig("dev", {
          [key("imageVersion")]: "2.0.0",
          [key("imageStack")]: "organization/aspnet-webfarm/images",
          [key("amiId")]: "ami-0123456789abcdef0",
        }),
      ),
    );
    expect(farm.problems).toEqual([
      { propertyPath: "imageVersion", reason: "applies only to a stack that builds the image (buildsImage: true)" },
      { propertyPath: "imageStack", reason: "and amiId both name the nodes' image: set one" },
    ]);
    const image = readStackSettings(
      projectConfig(withConfig("images", { [key("nodeCount")]: "5", [key("imageVersion")]: "v2" })),
    );
    expect(image.problems).toEqual([
      { propertyPath: "nodeCount", reason: "applies to a farm stack, not to one that builds the image" },
      {
        propertyPath: "imageVersion",
        reason: 'must be a version x.y.z such as 1.0.0 (Image Builder\'s format); got "v2"',
      },
    ]);
    expect(readStackSettings(projectConfig(withConfig("dev", { [key("imageStack")]: "a b" }))).problems).toEqual([
      { propertyPath: "imageStack", reason: 'must be a stack name such as acme/aspnet-webfarm/images; got "a b"' },
    ]);
  });
});

describe("config declarations", () => {
  test("Pulumi.yaml's config section is the one generated from the argument schema and its doc comments", () => {
    const current = readFileSync(`${REPO_ROOT}/Pulumi.yaml`, "utf8");
    expect(current).toBe(generatedProjectFile(current));
    for (const decl of Object.values(YAML.parse(current).config) as Record<string, unknown>[]) {
      expect(Object.keys(decl)).toEqual(expect.arrayContaining(["type", "description", "default"]));
    }
  });

  test("docs/configuration.md's config table is the one generated", () => {
    const page = readFileSync(`${REPO_ROOT}/docs/configuration.md`, "utf8");
    expect(page).toBe(generatedConfigPage(page));
  });

  test("every config key is an argument (or a stack setting), groups flattened as nodesCount, appPath etc., typed as the schema says", () => {
    const top = Object.keys(argsSchema.shape).filter((k) => !NESTED_ARGUMENTS[k]);
    const grouped = Object.entries(NESTED_ARGUMENTS).flatMap(([group, { schema }]) =>
      Object.keys(schema.shape)
        .map((child) => flatKey(group, child))
        .filter((k) => !(NOT_CONFIGURABLE as readonly string[]).includes(k)),
    );
    const image = Object.keys(IMAGE_ARGUMENTS.schema.shape).map((k) => flatKey("image", k));
    expect(Object.keys(CONFIG).sort()).toEqual(
      [...Object.keys(CONFIG_ONLY), ...top, ...grouped, ...image, ...Object.keys(FLAT_CONFIG_KEYS)].sort(),
    );
    expect(argumentPathOf("appPath")).toBe("app.path");
    expect(argumentPathOf("nodesMaxCount")).toBe("nodes.maxCount");
    expect(CONFIG.nodesCount).toEqual({ type: "integer", default: CONFIG_DEFAULTS.nodesCount });
    expect(CONFIG.appSecretSettings).toEqual({ type: "array", default: [], items: { type: "string" } });
    expect(CONFIG.appNodesAtOnce).toEqual({ type: "integer", default: 1 });
    const groups = argsSchema.shape;
    expect(configShapeOf(groups.loadBalancer.unwrap().shape.allowedCidrs)).toEqual({
      type: "array",
      default: ["0.0.0.0/0"],
    });
    expect(configShapeOf(groups.loadBalancer.unwrap().shape.certificateArn)).toEqual({ type: "string", default: "" });
    expect(configShapeOf(groups.stateServer.unwrap().shape.protect)).toEqual({ type: "boolean", default: false });
    // The 0.1 keys: typed as their new keys, empty by default, so a stack that sets one is seen.
    expect(FLAT_CONFIG_KEYS).toMatchObject({ nodeCount: "nodesCount", vpcCidr: "networkVpcCidr", amiId: "imageAmiId" });
    expect(CONFIG.nodeCount).toEqual({ type: "integer", default: 0 });
    expect(CONFIG.allowedCidrs).toEqual({ type: "array", default: [], items: { type: "string" } });
  });

  test("the application's keys become WebFarmArgs.app: settings as maps, secrets as references", () => {
    const settings = readStackSettings(
      projectConfig(
        withConfig("dev", {
          [key("appSettings")]: JSON.stringify(["Greeting=hi", "Mode=a=b"]),
          [key("appSecretSettings")]: JSON.stringify([
            "PaymentKey=ssm:/shop/dev/payment",
            "Api=secretsmanager:shop/dev/api",
          ]),
        }),
      ),
    );
    expect(settings.problems).toEqual([]);
    expect(settings.args.app).toMatchObject({
      path: "tools/local/app",
      version: "v1",
      settings: { Greeting: "hi", Mode: "a=b" },
      secretSettings: {
        PaymentKey: { ssmParameter: "/shop/dev/payment" },
        Api: { secretsManagerSecret: "shop/dev/api" },
      },
    });
  });

  test("bad application keys are reported in the config's own terms", () => {
    const { problems } = readStackSettings(
      projectConfig(
        withConfig("dev", {
          [key("appPath")]: "no/such/folder",
          [key("appSecretSettings")]: JSON.stringify(["Key=vault:/x"]),
          [key("appNodesAtOnce")]: "2",
        }),
      ),
    );
    expect(problems.map((p) => p.propertyPath).sort()).toEqual(["appNodesAtOnce", "appPath", "appSecretSettings.Key"]);
    expect(problems.find((p) => p.propertyPath === "appPath")!.reason).toContain('"no/such/folder" does not exist');
    const withoutApp = readStackSettings(projectConfig({ ...projectDefaults(), [key("appVersion")]: "v3" }));
    expect(withoutApp.problems).toEqual([
      { propertyPath: "appVersion", reason: "applies only with an application: set appPath, or appBucket and appKey" },
    ]);
  });

  test("the stack files set only declared keys, in the 0.2 spelling", () => {
    for (const stack of ["dev", "prod", "images", "asg"]) {
      const keys = Object.keys(YAML.parse(readFileSync(`${REPO_ROOT}/Pulumi.${stack}.yaml`, "utf8")).config);
      for (const k of keys.filter((k) => k.startsWith("aspnet-webfarm:"))) {
        expect(Object.keys(CONFIG)).toContain(k.split(":")[1]);
        expect({ k, flat: k.split(":")[1] in FLAT_CONFIG_KEYS }).toEqual({ k, flat: false });
      }
    }
  });
});
