// The state server survives failures: a stable DNS name, EC2 recovery, alarms, protections.
import { FIXTURE_WINDOWS_AMI, fixtures } from "../../../engine/fixtures";
import { bootTextOf, buildFarm, sharedFarm, Graph, inputsText, T } from "../../support/graph";

const TOPIC = "arn:aws:sns:eu-west-1:123456789012:farm-alarms";

describe("state server", () => {
  let graph: Graph;
  beforeAll(async () => ({ graph } = await buildFarm({ nodeCount: 2, alarmTopicArn: TOPIC })));

  test("the nodes' session configuration names the DNS record, not an IP", () => {
    for (const node of graph.webNodes()) {
      expect(bootTextOf(node)).toContain("stateConnectionString = 'tcpip=state.shop.internal:42424'");
      expect(bootTextOf(node)).not.toMatch(/tcpip=\d+\.\d+\.\d+\.\d+/);
    }
  });

  test("the record lives in a private zone of the farm's VPC and targets the state server", () => {
    const zone = graph.one(T.zone);
    expect(zone.inputs).toMatchObject({ name: "shop.internal", vpcs: [{ vpcId: graph.one(T.vpc).id }] });
    expect(graph.one(T.record).inputs).toMatchObject({
      zoneId: zone.state.zoneId,
      name: "state.shop.internal",
      type: "A",
      ttl: 60,
      records: [graph.stateServer().state.privateIp],
    });
  });

  test("the nodes do not wait for the state server: no node input depends on it", () => {
    const state = graph.stateServer();
    for (const node of graph.webNodes()) {
      const inputs = inputsText(node);
      expect(inputs).not.toContain(state.id);
      expect(inputs).not.toContain(state.state.privateIp);
      expect(node.options.dependsOn).not.toContain(state.name);
      expect(node.options.dependsOn?.filter((d) => d.startsWith("shop-state"))).toEqual([]);
    }
  });

  test("recovers onto new hardware: auto recovery on, and a system-check alarm with the recover action", () => {
    const state = graph.stateServer();
    expect(state.inputs.maintenanceOptions).toEqual({ autoRecovery: "default" });
    const recover = graph.one(T.alarm, (a) => a.inputs.metricName === "StatusCheckFailed_System");
    expect(recover.inputs).toMatchObject({ namespace: "AWS/EC2", dimensions: { InstanceId: state.id } });
    expect(recover.inputs.alarmActions).toEqual(["arn:aws:automate:eu-west-1:ec2:recover", TOPIC]);
    const check = graph.one(T.alarm, (a) => a.inputs.metricName === "StatusCheckFailed_Instance");
    expect(check.inputs.dimensions).toEqual({ InstanceId: state.id });
  });

  test("every alarm notifies the given SNS topic", () => {
    for (const alarm of graph.ofType(T.alarm)) expect(alarm.inputs.alarmActions).toContain(TOPIC);
  });

  test("termination protection follows deletionProtection", async () => {
    expect(graph.stateServer().inputs.disableApiTermination).toBe(false);
    expect(
      (await buildFarm({ nodeCount: 1, deletionProtection: true })).graph.stateServer().inputs.disableApiTermination,
    ).toBe(true);
  });
});

test("replacing the state server moves the record and changes no web node", async () => {
  // A different state instance type changes only the state server; with a different state server
  // address the nodes' inputs would have changed too.
  const a = await buildFarm({ nodeCount: 2, stateInstanceType: "t3.medium" });
  const b = await buildFarm({ nodeCount: 2, stateInstanceType: "m6i.large" });
  const webInputs = (g: Graph) => g.webNodes().map((i) => JSON.stringify(i.inputs));
  expect(a.graph.stateServer().inputs.instanceType).not.toBe(b.graph.stateServer().inputs.instanceType);
  expect(webInputs(b.graph)).toEqual(webInputs(a.graph));
});

test("the state server stays put when the farm gains an AZ: its inputs are the same with 2 and 3 AZs", async () => {
  const two = (await sharedFarm({ nodeCount: 2, azCount: 2 })).graph.stateServer();
  const three = (await sharedFarm({ nodeCount: 2, azCount: 3 })).graph.stateServer();
  expect(three.inputs).toEqual(two.inputs);
  expect(bootTextOf(two)).toContain("$WebCidrs = @('10.0.0.0/16')");
});

test.each([
  ["us-gov-west-1", "aws-us-gov"],
  ["cn-north-1", "aws-cn"],
  ["eu-west-1", "aws"],
])("in %s every ARN the farm builds is in the %s partition", async (region, partition) => {
  const { graph } = await buildFarm({ nodeCount: 1 }, "shop", { fixtures: fixtures({ region }) });
  const recover = graph.one(T.alarm, (a) => a.inputs.metricName === "StatusCheckFailed_System");
  expect(recover.inputs.alarmActions).toEqual([`arn:${partition}:automate:${region}:ec2:recover`]);
  const built = graph
    .ofType(T.rolePolicy)
    .flatMap((p) =>
      JSON.parse(p.inputs.policy).Statement.flatMap((s: { Resource: string | string[] }) => [s.Resource].flat()),
    );
  const arns = built.filter((r: string) => r.startsWith("arn:"));
  expect(arns.length).toBeGreaterThan(3);
  for (const arn of arns) expect(arn.startsWith(`arn:${partition}:`)).toBe(true);
});

test("the state server has a role of its own: boot status, logs, metrics, Session Manager, its patch window; never the machine key", async () => {
  const { graph } = await sharedFarm({ nodeCount: 1 });
  const state = graph.stateServer();
  const profile = graph.one(T.profile, (p) => p.state.name === state.inputs.iamInstanceProfile);
  const policy = graph.one(
    T.rolePolicy,
    (p) => p.inputs.role === graph.one(T.role, (r) => r.state.name === profile.inputs.role).id,
  );
  const statements = JSON.parse(policy.inputs.policy).Statement;
  expect(statements.map((s: { Sid: string }) => s.Sid)).toEqual([
    "ReportBootStatus",
    "ReadAgentConfig",
    "ShipLogs",
    "PublishMetrics",
    "SessionManager",
    // stateServer.patching (on by default): patching.test.ts checks these.
    "RunCommandChannel",
    "PatchBaseline",
    "PatchCompliance",
    "PatchOutputGroups",
    "PatchOutputStreams",
    "PatchOutput",
  ]);
  expect(statements[0].Condition.StringEquals).toEqual({ "ec2:ResourceTag/Name": "shop-state" });
  expect(policy.inputs.policy).not.toContain("machine-key");
});

test("a new farm image (amiId) rolls the web nodes and leaves the state server's image alone; stateAmiId pins it", async () => {
  const baked = "ami-0fa4a1b2c3d4e5f60";
  const { graph } = await buildFarm({ nodeCount: 2, amiId: baked });
  for (const node of graph.webNodes()) expect(node.inputs.ami).toBe(baked);
  const state = graph.stateServer();
  expect(state.inputs.ami).toBe(FIXTURE_WINDOWS_AMI);
  // Resolved from Amazon's latest, so later images are ignored on it.
  expect(state.options.ignoreChanges).toEqual(["ami"]);
  const pinned = await buildFarm({ nodeCount: 1, stateAmiId: "ami-0123456789abcdef0" });
  expect(pinned.graph.stateServer().inputs.ami).toBe("ami-0123456789abcdef0");
  expect(pinned.graph.stateServer().options.ignoreChanges).toBeUndefined();
  expect(pinned.graph.webNodes()[0].inputs.ami).toBe(FIXTURE_WINDOWS_AMI);
});
