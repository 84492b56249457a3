// The arguments grouped by part (0.2): problems named by their grouped path, a choice made by a
// group's presence, and the 0.1 flat spelling still working (warned once) and building the same graph.
import * as pulumi from "@pulumi/pulumi";
import { join } from "path";
import { WebFarm, WebFarmArgs, webFarmArgProblems } from "../../components";
import { FLAT_ARGUMENTS, forgetWarnings } from "../../components/args/flat";
import { EXISTING_NETWORK } from "../../engine/fixtures";
import { REPO_ROOT } from "../../tools/scripts/repoRoot";
import { attempt, buildFarm } from "../support/graph";

const paths = (name: string, args: unknown) => webFarmArgProblems(name, args).map((p) => p.propertyPath);
const cert = "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012";
const site = join(REPO_ROOT, "tools", "local", "app");

describe("grouped arguments", () => {
  test("a bad value is named by its grouped path", () => {
    expect(
      paths("shop", {
        nodes: { count: 0, mode: "spot" },
        network: { vpcCidr: "8.8.0.0/16" },
        loadBalancer: { healthCheckPath: "health" },
        stateServer: { port: 80 },
        machineKey: { validation: "MD5" },
        observability: { logRetentionDays: 2 },
      }).sort(),
    ).toEqual([
      "loadBalancer.healthCheckPath",
      "machineKey.validation",
      "network.vpcCidr",
      "nodes.count",
      "nodes.mode",
      "observability.logRetentionDays",
      "stateServer.port",
    ]);
    expect(paths("shop", { nodes: { count: 2, size: 3 } })).toEqual(["nodes.size"]);
  });

  test("nodes.count is required, and maxCount applies to Auto Scaling", () => {
    expect(webFarmArgProblems("shop", {})).toEqual([
      { propertyPath: "nodes", reason: "is required: give at least nodes.count (how many web nodes)" },
    ]);
    expect(paths("shop", { nodes: { count: 2, maxCount: 4 } })).toEqual(["nodes.maxCount"]);
    expect(paths("shop", { nodes: { count: 2, mode: "autoscaling", maxCount: 4 } })).toEqual([]);
  });

  test("a group that is not an object is named with its interface", () => {
    expect(webFarmArgProblems("shop", { nodes: null })).toEqual([
      { propertyPath: "nodes", reason: "must be an object (NodesArgs); got null" },
    ]);
    expect(webFarmArgProblems("shop", { nodes: 3 })).toEqual([
      { propertyPath: "nodes", reason: "must be an object (NodesArgs); got 3" },
    ]);
  });

  test("the network and the session store are chosen by the group given; both given is an error naming both", () => {
    const both = webFarmArgProblems("shop", {
      nodes: { count: 2 },
      network: { vpcCidr: "10.1.0.0/16" },
      existingNetwork: EXISTING_NETWORK,
    });
    expect(both).toEqual([
      {
        propertyPath: "network.vpcCidr",
        reason:
          "is a setting of the farm's own network, but existingNetwork is given too: give one of them (the group given chooses the network)",
      },
    ]);
    expect(webFarmArgProblems("shop", { nodes: { count: 2 }, stateServer: {}, sqlServer: {} })).toEqual([
      {
        propertyPath: "stateServer",
        reason: "is given with sqlServer: give one of them (the group given chooses the session store)",
      },
    ]);
    expect(paths("shop", { nodes: { count: 2 }, sqlServer: {} })).toEqual([]);
    expect(paths("shop", { nodes: { count: 2 }, existingNetwork: { vpcId: EXISTING_NETWORK.vpcId } }).sort()).toEqual([
      "existingNetwork.privateSubnetIds",
      "existingNetwork.publicSubnetIds",
    ]);
  });

  test("every problem, grouped, flat and both spellings, comes in one error before anything is registered", async () => {
    const { error, graph } = await attempt(
      () =>
        new WebFarm("shop", {
          nodeCount: 2,
          nodes: { count: 3 },
          vpcCidr: "8.8.0.0/16",
          stateServer: { port: 80 },
        } as WebFarmArgs),
    );
    expect(pulumi.InputPropertiesError.isInstance(error)).toBe(true);
    expect((error as pulumi.InputPropertiesError).errors).toEqual([
      {
        propertyPath: "nodeCount",
        reason: "is the 0.1 spelling of nodes.count, which is given too: give nodes.count only",
      },
      { propertyPath: "vpcCidr", reason: 'must lie in private space (10/8, 172.16/12, 192.168/16); got "8.8.0.0/16"' },
      { propertyPath: "stateServer.port", reason: "must differ from the web ports 80 and 443; got 80" },
    ]);
    expect(graph.resources).toEqual([]);
  });
});

describe("the 0.1 flat arguments", () => {
  test("each flat argument is warned about once per process, naming its new place", () => {
    forgetWarnings();
    const warn = jest.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
    try {
      for (let i = 0; i < 3; i++)
        webFarmArgProblems("shop", { nodeCount: 2, nodeMode: "instances", sessionStore: "sqlServer" });
      expect(warn.mock.calls.map((c) => c[0]).sort()).toEqual([
        "WebFarm argument nodeCount is the 0.1 spelling: use nodes.count (docs/UPGRADE.md); it goes in 0.3",
        "WebFarm argument nodeMode is the 0.1 spelling: use nodes.mode (docs/UPGRADE.md); it goes in 0.3",
        "WebFarm argument sessionStore is the 0.1 spelling: use stateServer or sqlServer (the group given chooses the store; sqlServer: {} for SQL Server with its defaults) (docs/UPGRADE.md); it goes in 0.3",
      ]);
      webFarmArgProblems("shop", { nodes: { count: 2 } });
      expect(warn).toHaveBeenCalledTimes(3);
    } finally {
      warn.mockRestore();
    }
  });

  test("a problem is named as the user spelled each setting, mixed spellings included", () => {
    expect(webFarmArgProblems("shop", { nodes: { count: 2 }, nodeMode: "spot" })).toEqual([
      { propertyPath: "nodeMode", reason: 'must be one of instances, autoscaling; got "spot"' },
    ]);
    expect(webFarmArgProblems("shop", { nodes: { count: 4 }, maxNodeCount: 2, nodeMode: "autoscaling" })).toEqual([
      { propertyPath: "maxNodeCount", reason: "is 2, below nodes.count 4" },
    ]);
    const { vpcId } = EXISTING_NETWORK;
    expect(webFarmArgProblems("shop", { nodeCount: 1, vpcId, network: { azCount: 3 } })).toEqual([
      { propertyPath: "publicSubnetIds", reason: "must be a list of subnet ids; got nothing" },
      { propertyPath: "privateSubnetIds", reason: "must be a list of subnet ids; got nothing" },
      {
        propertyPath: "network.azCount",
        reason:
          "is a setting of the farm's own network, but vpcId is given too: give one of them (the group given chooses the network)",
      },
    ]);
    expect(
      webFarmArgProblems("shop", { nodes: { count: 2 }, stateServer: { port: 4000 }, sessionStore: "sqlServer" }),
    ).toEqual([
      {
        propertyPath: "stateServer.port",
        reason:
          'is a state server setting, but sessionStore "sqlServer" is given too: give one of them (the group given chooses the session store)',
      },
    ]);
  });

  test("every flat argument's new place exists in the grouped schema", () => {
    for (const [flat, place] of Object.entries(FLAT_ARGUMENTS)) {
      const [group, child] = place.split(".");
      const bad = { nodes: { count: 2 }, [group]: { ...(group === "nodes" ? { count: 2 } : {}), [child]: Symbol() } };
      expect({ flat, named: paths("shop", bad).includes(place) }).toEqual({ flat, named: true });
    }
  });

  // A prod-like farm: SQL Server sessions, Auto Scaling, HTTPS, an application, every group set.
  const flat = {
    nodeCount: 3,
    nodeMode: "autoscaling",
    maxNodeCount: 6,
    webInstanceType: "m6i.large",
    vpcCidr: "10.30.0.0/16",
    azCount: 3,
    natPerAz: true,
    availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
    allowedCidrs: ["10.0.0.0/8"],
    certificateArn: cert,
    healthCheckPath: "/up.aspx",
    accessLogs: true,
    sessionStore: "sqlServer",
    sqlServer: { edition: "standard", instanceClass: "db.m5.large", multiAz: true },
    amiId: "ami-0123456789abcdef0",
    stateAmiId: "ami-0fedcba9876543210",
    validation: "HMACSHA512",
    machineKeyVersion: "2",
    keyParameterName: "/shop/prod/key",
    logRetentionDays: 90,
    sessionTimeoutMinutes: 45,
    deletionProtection: true,
    tags: { env: "prod" },
    app: { path: site, version: "v1", validatePath: "/validate.aspx" },
  } as WebFarmArgs;
  const grouped: WebFarmArgs = {
    nodes: { count: 3, mode: "autoscaling", maxCount: 6, instanceType: "m6i.large" },
    network: {
      vpcCidr: "10.30.0.0/16",
      azCount: 3,
      natPerAz: true,
      availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
    },
    loadBalancer: { allowedCidrs: ["10.0.0.0/8"], certificateArn: cert, healthCheckPath: "/up.aspx", accessLogs: true },
    sqlServer: { edition: "standard", instanceClass: "db.m5.large", multiAz: true },
    image: { amiId: "ami-0123456789abcdef0", stateAmiId: "ami-0fedcba9876543210" },
    machineKey: { validation: "HMACSHA512", version: "2", parameterName: "/shop/prod/key" },
    observability: { logRetentionDays: 90 },
    sessionTimeoutMinutes: 45,
    deletionProtection: true,
    tags: { env: "prod" },
    app: { path: site, version: "v1", validatePath: "/validate.aspx" },
  };
  const recorded = async (args: WebFarmArgs) =>
    (await buildFarm(args, "shop")).graph.resources.map(({ type, name, parent, inputs, options }) => ({
      type,
      name,
      parent,
      inputs,
      options,
    }));

  test.each([
    ["a prod-like farm (SQL Server, Auto Scaling, HTTPS, an application)", flat, grouped],
    [
      "a farm on an existing network with a protected state server",
      {
        nodeCount: 2,
        ...EXISTING_NETWORK,
        statePort: 42000,
        protectStateServer: true,
        alarmTopicArn: "arn:aws:sns:eu-west-1:123456789012:ops",
      } as WebFarmArgs,
      {
        nodes: { count: 2 },
        existingNetwork: EXISTING_NETWORK,
        stateServer: { port: 42000, protect: true },
        observability: { alarmTopicArn: "arn:aws:sns:eu-west-1:123456789012:ops" },
      },
    ],
  ])("%s: the flat and the grouped spelling build the same graph", async (_label, old, now) => {
    const [before, after] = [await recorded(old), await recorded(now)];
    expect(after.length).toBeGreaterThan(50);
    expect(after).toEqual(before);
  });
});
