// The state server survives failures: a stable DNS name, EC2 recovery, alarms, protections.
import { buildFarm, T } from "./farm";

const ZONE = "aws:route53/zone:Zone";
const RECORD = "aws:route53/record:Record";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

describe("state server", () => {
  test("the nodes' session configuration names the DNS record, not an IP", async () => {
    const { mocks } = await buildFarm({ nodeCount: 2 });
    for (const node of mocks.ofType(T.instance).filter((i) => i.name.startsWith("shop-web-"))) {
      expect(node.inputs.userData).toContain("stateConnectionString = 'tcpip=state.shop.internal:42424'");
      expect(node.inputs.userData).not.toMatch(/tcpip=\d+\.\d+\.\d+\.\d+/);
    }
  });

  test("the record lives in a private zone of the farm's VPC and targets the state server", async () => {
    const { mocks } = await buildFarm({ nodeCount: 1 });
    const zone = mocks.ofType(ZONE)[0];
    expect(zone.inputs).toMatchObject({ name: "shop.internal", vpcs: [{ vpcId: mocks.ofType(T.vpc)[0].id }] });
    const record = mocks.ofType(RECORD)[0];
    const state = mocks.named("shop-state", T.instance);
    expect(record.inputs).toMatchObject({ zoneId: zone.state.zoneId, name: "state.shop.internal", type: "A", ttl: 60, records: [state.state.privateIp] });
  });

  test("replacing the state server moves the record and changes no web node", async () => {
    // A different state instance type or image changes only the state server; with a different
    // state server address the nodes' inputs would have changed too.
    const a = await buildFarm({ nodeCount: 2, stateInstanceType: "t3.medium" });
    const b = await buildFarm({ nodeCount: 2, stateInstanceType: "m6i.large" });
    const webInputs = (r: typeof a) => r.mocks.ofType(T.instance).filter((i) => i.name.startsWith("shop-web-")).map((i) => JSON.stringify(i.inputs));
    expect(webInputs(b)).toEqual(webInputs(a));
  });

  test("the nodes do not wait for the state server: no node input depends on it", async () => {
    const { mocks } = await buildFarm({ nodeCount: 2 });
    const state = mocks.named("shop-state", T.instance);
    for (const node of mocks.ofType(T.instance).filter((i) => i.name.startsWith("shop-web-"))) {
      const inputs = JSON.stringify(node.inputs);
      expect(inputs).not.toContain(state.id);
      expect(inputs).not.toContain(state.state.privateIp);
      expect(node.options.dependsOn).toEqual([]);
    }
  });

  test("recovers onto new hardware: auto recovery on, and a system-check alarm with the recover action", async () => {
    const { mocks } = await buildFarm({ nodeCount: 1 });
    const state = mocks.named("shop-state", T.instance);
    expect(state.inputs.maintenanceOptions).toEqual({ autoRecovery: "default" });
    const recover = mocks.named("shop-state-recover", ALARM);
    expect(recover.inputs).toMatchObject({ namespace: "AWS/EC2", metricName: "StatusCheckFailed_System", dimensions: { InstanceId: state.id } });
    expect(recover.inputs.alarmActions).toEqual(["arn:aws:automate:eu-west-1:ec2:recover"]);
    const check = mocks.named("shop-state-instance-check", ALARM);
    expect(check.inputs).toMatchObject({ metricName: "StatusCheckFailed_Instance", dimensions: { InstanceId: state.id } });
  });

  test("alarms notify the given SNS topic", async () => {
    const topic = "arn:aws:sns:eu-west-1:123456789012:farm-alarms";
    const { mocks } = await buildFarm({ nodeCount: 1, alarmTopicArn: topic });
    expect(mocks.named("shop-state-recover", ALARM).inputs.alarmActions).toContain(topic);
    for (const alarm of mocks.ofType(ALARM)) expect(alarm.inputs.alarmActions).toContain(topic);
  });

  test("termination protection follows deletionProtection", async () => {
    expect((await buildFarm({ nodeCount: 1 })).mocks.named("shop-state", T.instance).inputs.disableApiTermination).toBe(false);
    expect((await buildFarm({ nodeCount: 1, deletionProtection: true })).mocks.named("shop-state", T.instance).inputs.disableApiTermination).toBe(true);
  });
});
