// Web nodes: even spread over AZs, and the optional Auto Scaling mode.
import { subnetIndexOf } from "../components/webNodes";
import { buildFarm, T } from "./farm";

const GROUP = "aws:autoscaling/group:Group";
const TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";

describe("web nodes", () => {
  test.each([2, 3])("nodes 1-10 over %i AZs: no AZ holds more than one node more than another", (azs) => {
    for (let nodes = 1; nodes <= 10; nodes++) {
      const perAz = Array(azs).fill(0);
      for (let i = 0; i < nodes; i++) perAz[subnetIndexOf(i, azs)]++;
      expect({ nodes, spread: Math.max(...perAz) - Math.min(...perAz) }).toEqual({ nodes, spread: nodes % azs === 0 ? 0 : 1 });
    }
  });

  test("the farm places its nodes by that rule over the private subnets", async () => {
    const { mocks } = await buildFarm({ nodeCount: 7, azCount: 3 });
    const counts = new Map<string, number>();
    for (const n of mocks.ofType(T.instance).filter((i) => i.name.startsWith("shop-web-"))) counts.set(n.inputs.subnetId, (counts.get(n.inputs.subnetId) ?? 0) + 1);
    expect([...counts.values()].sort()).toEqual([2, 2, 3]);
  });

  describe("Auto Scaling mode", () => {
    test("a launch template and a group (min = desired = nodeCount) in the private subnets, registered with the target group, ELB health checks", async () => {
      const { mocks } = await buildFarm({ nodeCount: 3, nodeMode: "autoscaling", maxNodeCount: 6 });
      expect(mocks.ofType(T.instance).filter((i) => i.name.startsWith("shop-web-"))).toHaveLength(0);
      expect(mocks.ofType(T.attachment)).toHaveLength(0);
      const group = mocks.ofType(GROUP)[0];
      const template = mocks.ofType(TEMPLATE)[0];
      const privateSubnets = mocks.ofType(T.subnet).filter((s) => s.name.includes("-private-")).map((s) => s.id);
      expect(group.inputs).toMatchObject({ minSize: 3, desiredCapacity: 3, maxSize: 6, healthCheckType: "ELB" });
      expect([...group.inputs.vpcZoneIdentifiers].sort()).toEqual(privateSubnets.sort());
      expect(group.inputs.targetGroupArns).toEqual([mocks.ofType(T.tg)[0].state.arn]);
      expect(group.inputs.launchTemplate).toEqual({ id: template.id, version: String(template.state.latestVersion) });
    });

    test("the template boots nodes like the fixed mode: same user data, IMDSv2, encrypted root, no public IP", async () => {
      const fixed = await buildFarm({ nodeCount: 2 });
      const scaled = await buildFarm({ nodeCount: 2, nodeMode: "autoscaling" });
      const template = scaled.mocks.ofType(TEMPLATE)[0].inputs;
      expect(Buffer.from(template.userData, "base64").toString("utf8")).toBe(fixed.mocks.named("shop-web-0", T.instance).inputs.userData);
      expect(template.metadataOptions.httpTokens).toBe("required");
      expect(template.blockDeviceMappings[0].ebs.encrypted).toBe("true");
      expect(template.networkInterfaces ?? []).toEqual([]);
      expect(template.tagSpecifications[0].tags["webfarm:role"]).toBe("web-node");
    });

    test("a changed template rolls the group: instance refresh, and the group follows the template's latest version", async () => {
      const v1 = await buildFarm({ nodeCount: 2, nodeMode: "autoscaling", machineKeyVersion: "1" });
      const v2 = await buildFarm({ nodeCount: 2, nodeMode: "autoscaling", machineKeyVersion: "2" });
      const group = (r: typeof v1) => r.mocks.ofType(GROUP)[0].inputs;
      expect(group(v1).instanceRefresh).toMatchObject({ strategy: "Rolling", preferences: { minHealthyPercentage: 50 } });
      expect(group(v2).launchTemplate.version).not.toBe(group(v1).launchTemplate.version);
    });

    test("maxNodeCount below nodeCount, or without Auto Scaling mode, is rejected", async () => {
      await expect(buildFarm({ nodeCount: 3, nodeMode: "autoscaling", maxNodeCount: 2 })).rejects.toThrow(/maxNodeCount: is 2, below nodeCount 3/);
      await expect(buildFarm({ nodeCount: 3, maxNodeCount: 4 })).rejects.toThrow(/maxNodeCount: applies only with nodeMode "autoscaling"/);
    });
  });
});
