// The state server survives failures: a stable DNS name, EC2 recovery, alarms, protections.
import { buildFarm, Graph, T } from "./graph";

const TOPIC = "arn:aws:sns:eu-west-1:123456789012:farm-alarms";

describe("state server", () => {
  let graph: Graph;
  beforeAll(async () => ({ graph } = await buildFarm({ nodeCount: 2, alarmTopicArn: TOPIC })));

  test("the nodes' session configuration names the DNS record, not an IP", () => {
    for (const node of graph.webNodes()) {
      expect(node.inputs.userData).toContain("stateConnectionString = 'tcpip=state.shop.internal:42424'");
      expect(node.inputs.userData).not.toMatch(/tcpip=\d+\.\d+\.\d+\.\d+/);
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
      const inputs = JSON.stringify(node.inputs);
      expect(inputs).not.toContain(state.id);
      expect(inputs).not.toContain(state.state.privateIp);
      expect(node.options.dependsOn).toEqual([]);
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
