// Web nodes: even spread over AZs, and the optional Auto Scaling mode.
import { subnetIndexOf } from "../../components/nodes/webNodes";
import { classifyChange, deletedFirst } from "../../engine/disruption";
import { EXISTING_NETWORK } from "../../engine/fixtures";
import { farmNames } from "../../components/aws/names";
import { bootScriptOf } from "../../components/windows/loader";
import { bootTextOf, buildFarm, sharedFarm, Graph, T, userDataOf } from "../support/graph";

describe("web nodes", () => {
  test.each([2, 3])("nodes 1-10 over %i AZs: no AZ holds more than one node more than another", (azs) => {
    for (let nodes = 1; nodes <= 10; nodes++) {
      const perAz = Array(azs).fill(0);
      for (let i = 0; i < nodes; i++) perAz[subnetIndexOf(i, azs)]++;
      expect({ nodes, spread: Math.max(...perAz) - Math.min(...perAz) }).toEqual({
        nodes,
        spread: nodes % azs === 0 ? 0 : 1,
      });
    }
  });

  test("the farm places its nodes by that rule over the private subnets", async () => {
    const { graph } = await buildFarm({ nodeCount: 7, azCount: 3 });
    const counts = new Map<string, number>();
    for (const n of graph.webNodes()) counts.set(n.inputs.subnetId, (counts.get(n.inputs.subnetId) ?? 0) + 1);
    expect([...counts.values()].sort()).toEqual([2, 2, 3]);
    const privateSubnets = graph
      .ofType(T.subnet)
      .filter((s) => s.name.includes("-private-"))
      .map((s) => s.id);
    for (const id of counts.keys()) expect(privateSubnets).toContain(id);
  });
});

describe("Auto Scaling mode", () => {
  let fixed: Graph;
  let scaled: Graph;
  let rotated: Graph;
  beforeAll(async () => {
    // One program at a time: the mock engine is global to the process.
    fixed = (await sharedFarm({ nodeCount: 2 })).graph;
    scaled = (await buildFarm({ nodeCount: 3, nodeMode: "autoscaling", maxNodeCount: 6 })).graph;
    rotated = (await buildFarm({ nodeCount: 3, nodeMode: "autoscaling", maxNodeCount: 6, machineKeyVersion: "2" }))
      .graph;
  });

  test("a launch template and a group (min = nodeCount, where a new group's desired size starts) in the private subnets, registered with the target group, ELB health checks", () => {
    expect(scaled.webNodes()).toHaveLength(0);
    expect(scaled.count(T.attachment)).toBe(0);
    const group = scaled.one(T.group);
    const template = scaled.one(T.template);
    const privateSubnets = scaled
      .ofType(T.subnet)
      .filter((s) => s.name.includes("-private-"))
      .map((s) => s.id);
    // It scales (maxNodeCount above nodeCount): the desired size is the autoscaler's (scaling.test.ts).
    expect(group.inputs).toMatchObject({ minSize: 3, maxSize: 6, healthCheckType: "ELB" });
    expect(group.inputs).not.toHaveProperty("desiredCapacity");
    expect([...group.inputs.vpcZoneIdentifiers].sort()).toEqual(privateSubnets.sort());
    expect(group.inputs.targetGroupArns).toEqual([scaled.one(T.tg).state.arn]);
    expect(group.inputs.launchTemplate).toEqual({ id: template.id, version: String(template.state.latestVersion) });
  });

  test("the template boots nodes like the fixed mode: the same user data but for the launch hook, IMDSv2, encrypted root, no public IP", () => {
    const template = scaled.one(T.template).inputs;
    // The hook's name, and the shared budget of the boot's waits: the hook gives up after an hour.
    const hookless = (userData: string) =>
      userData
        .replace(/\$LifecycleHook = .*/, "$LifecycleHook = <hook>")
        .replace(/^\$WaitsEnd = .*\n^function Get-WaitSeconds.*\n/m, "")
        .replace(/\(Get-WaitSeconds (\d+)\)/g, "$1");
    // The boot scripts compared (the compressed payloads differ with the hook's line).
    expect(hookless(bootScriptOf(userDataOf(scaled.one(T.template))))).toBe(
      hookless(bootScriptOf(userDataOf(fixed.webNodes()[0]))),
    );
    expect(template.metadataOptions.httpTokens).toBe("required");
    expect(template.blockDeviceMappings[0].ebs.encrypted).toBe("true");
    expect(template.networkInterfaces ?? []).toEqual([]);
    expect(template.tagSpecifications[0].tags["webfarm:role"]).toBe("web-node");
  });

  test("a changed template rolls the group: new nodes first, all of capacity kept healthy, rolled back on failure", () => {
    const group = (g: Graph) => g.one(T.group).inputs;
    expect(group(scaled).instanceRefresh).toEqual({
      strategy: "Rolling",
      preferences: { minHealthyPercentage: 100, maxHealthyPercentage: 200, instanceWarmup: "30", autoRollback: true },
    });
    expect(group(rotated).launchTemplate.version).not.toBe(group(scaled).launchTemplate.version);
  });

  test("every other replacement (an unhealthy node, an AZ rebalance) launches the new node before the old one goes", () => {
    expect(scaled.one(T.group).inputs.instanceMaintenancePolicy).toEqual({
      minHealthyPercentage: 100,
      maxHealthyPercentage: 200,
    });
  });

  test("a node enters service only once its boot completes the launch hook, so the grace period can be short", () => {
    const group = scaled.one(T.group).inputs;
    const hook = {
      name: "shop-ready",
      lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
      defaultResult: "ABANDON",
      heartbeatTimeout: 3600,
    };
    expect(group.initialLifecycleHooks).toEqual([hook]);
    expect(scaled.one(T.lifecycleHook).inputs).toEqual({
      ...hook,
      autoscalingGroupName: scaled.one(T.group).state.name,
    });
    expect(group.healthCheckGracePeriod).toBe(300);
    const userData = bootTextOf(scaled.one(T.template));
    expect(userData).toContain("$LifecycleHook = 'shop-ready'");
  });

  // Row 2 of issue 22: a policy built from group.arn is created after the group, which waits for
  // nodes that cannot complete their hook without it (ABANDON after the heartbeat, a replacement loop).
  test("the node may complete its launch hook before the group exists: the policy names the group, the group depends on it", () => {
    const group = scaled.one(T.group);
    const policy = scaled.one(T.rolePolicy, (p) => p.name === "shop-web-launch");
    expect(JSON.parse(policy.inputs.policy).Statement[0]).toEqual({
      Sid: "CompleteLaunch",
      Effect: "Allow",
      Action: ["autoscaling:CompleteLifecycleAction"],
      Resource: [
        `arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/${group.inputs.name}`,
      ],
    });
    expect(group.dependencies).toContain(policy.urn);
    expect(policy.dependencies).not.toContain(group.urn);
  });

  test("the group's name is unique per project, stack and farm, within Auto Scaling's 255 characters", () => {
    expect(scaled.one(T.group).inputs.name).toBe("aspnet-webfarm-test-shop-web");
    const names = [
      farmNames("aspnet-webfarm", "dev", "shop"),
      farmNames("aspnet-webfarm", "prod", "shop"),
      farmNames("aspnet-webfarm", "dev", "shop2"),
      farmNames("other", "dev", "shop"),
    ].map((n) => n.autoScalingGroup);
    expect(new Set(names).size).toBe(4);
    expect(farmNames("p".repeat(100), "s".repeat(100), "f".repeat(100)).autoScalingGroup).toHaveLength(255);
  });

  test("`pulumi up` waits until nodeCount nodes are healthy behind the load balancer (on create, as the group scales)", () => {
    expect(scaled.one(T.group).inputs).toMatchObject({ minElbCapacity: 3, waitForCapacityTimeout: "90m" });
  });

  // Issue 22, F1: initialLifecycleHooks is ForceNew, and the named group is replaced delete-first.
  test("a changed launch hook is made in place by the hook resource; a replaced group is created before the old one goes", () => {
    const group = scaled.one(T.group);
    expect(group.options.ignoreChanges).toEqual(["initialLifecycleHooks"]);
    const asPlan = { type: group.type, name: group.name, inputs: group.inputs, options: { ...group.options } };
    for (const path of ["inputs.initialLifecycleHooks[0].heartbeatTimeout", "inputs.initialLifecycleHooks[0].name"])
      expect(classifyChange(asPlan, path).effect).toBe("ignored");
    // Without the option it would replace the group; without deleteBeforeReplace: false, deleted first.
    expect(classifyChange({ ...asPlan, options: {} }, "inputs.initialLifecycleHooks[0].heartbeatTimeout").effect).toBe(
      "replace",
    );
    expect(group.options.deleteBeforeReplace).toBe(false);
    expect(deletedFirst(asPlan)).toBe(false);
    expect(deletedFirst({ ...asPlan, options: {} })).toBe(true);
    const hook = scaled.one(T.lifecycleHook);
    for (const path of ["inputs.heartbeatTimeout", "inputs.defaultResult"])
      expect(classifyChange({ type: hook.type, name: hook.name, inputs: hook.inputs }, path).effect).toBe("update");
  });

  test("the image resolved from Amazon's latest is ignored on each resource by its own property name", () => {
    // A property the resource does not have would be ignored silently, and every new image would roll the farm.
    const template = scaled.one(T.template);
    expect(template.options.ignoreChanges).toEqual(["imageId"]);
    expect(template.inputs).toHaveProperty("imageId");
    for (const node of fixed.ofType(T.instance)) {
      expect(node.options.ignoreChanges).toEqual(["ami"]);
      expect(node.inputs).toHaveProperty("ami");
    }
  });

  test("maxNodeCount below nodeCount, or without Auto Scaling mode, is rejected", async () => {
    await expect(buildFarm({ nodeCount: 3, nodeMode: "autoscaling", maxNodeCount: 2 })).rejects.toThrow(
      /maxNodeCount: is 2, below nodeCount 3/,
    );
    await expect(buildFarm({ nodeCount: 3, maxNodeCount: 4 })).rejects.toThrow(
      /maxNodeCount: applies only with nodes.mode "autoscaling"/,
    );
  });
});

describe("what a node waits for of its network (the network says)", () => {
  test("its own network: the NAT routes; a brought one: nothing", async () => {
    const own = (await buildFarm({ nodeCount: 1 })).graph;
    const brought = (await buildFarm({ nodeCount: 1, ...EXISTING_NETWORK })).graph;
    for (const node of own.webNodes()) expect(node.options.dependsOn).toContain("shop-net");
    for (const node of brought.webNodes()) expect(node.options.dependsOn).not.toContain("shop-net");
  });
});
