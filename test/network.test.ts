// The farm's own network: subnets per AZ, NAT per AZ or shared, stable names and CIDRs.
import { buildFarm, T } from "./farm";

describe("network", () => {
  test("a public and a private subnet per AZ, in distinct AZs, from the VPC's CIDR", async () => {
    const { mocks } = await buildFarm({ nodeCount: 2, azCount: 3, vpcCidr: "10.40.0.0/16" });
    const subnets = mocks.ofType(T.subnet);
    const pub = subnets.filter((s) => s.name.includes("-public-")).sort((a, b) => a.name.localeCompare(b.name));
    const priv = subnets.filter((s) => s.name.includes("-private-")).sort((a, b) => a.name.localeCompare(b.name));
    expect(pub.map((s) => s.inputs.availabilityZone)).toEqual(["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
    expect(priv.map((s) => s.inputs.availabilityZone)).toEqual(["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
    expect(pub.map((s) => s.inputs.cidrBlock)).toEqual(["10.40.0.0/20", "10.40.16.0/20", "10.40.32.0/20"]);
    expect(priv.map((s) => s.inputs.cidrBlock)).toEqual(["10.40.128.0/20", "10.40.144.0/20", "10.40.160.0/20"]);
    expect(mocks.ofType(T.vpc)[0].inputs).toMatchObject({ cidrBlock: "10.40.0.0/16", enableDnsHostnames: true, enableDnsSupport: true });
  });

  test("one NAT gateway by default; private subnets all route through it", async () => {
    const { mocks } = await buildFarm({ nodeCount: 2, azCount: 3 });
    const nats = mocks.ofType(T.nat);
    expect(nats).toHaveLength(1);
    const privateRoutes = mocks.ofType(T.route).filter((r) => r.inputs.natGatewayId);
    expect(privateRoutes).toHaveLength(3);
    expect(new Set(privateRoutes.map((r) => r.inputs.natGatewayId))).toEqual(new Set([nats[0].id]));
  });

  test("natPerAz gives each AZ its own NAT gateway in its own public subnet", async () => {
    const { mocks } = await buildFarm({ nodeCount: 2, azCount: 3, natPerAz: true });
    const nats = mocks.ofType(T.nat);
    expect(nats).toHaveLength(3);
    expect(new Set(nats.map((n) => n.inputs.subnetId)).size).toBe(3);
    const privateRoutes = mocks.ofType(T.route).filter((r) => r.inputs.natGatewayId);
    expect(new Set(privateRoutes.map((r) => r.inputs.natGatewayId)).size).toBe(3);
  });

  test("nodes spread over the private subnets, no AZ more than one node ahead", async () => {
    const { mocks } = await buildFarm({ nodeCount: 5, azCount: 2 });
    const perSubnet = new Map<string, number>();
    for (const n of mocks.ofType(T.instance).filter((i) => i.name.startsWith("shop-web-"))) {
      perSubnet.set(n.inputs.subnetId, (perSubnet.get(n.inputs.subnetId) ?? 0) + 1);
    }
    expect([...perSubnet.values()].sort()).toEqual([2, 3]);
    const privateIds = mocks.ofType(T.subnet).filter((s) => s.name.includes("-private-")).map((s) => s.id);
    for (const id of perSubnet.keys()) expect(privateIds).toContain(id);
  });

  test("adding an AZ adds subnets without renumbering the existing ones", async () => {
    const two = await buildFarm({ nodeCount: 2, azCount: 2 });
    const three = await buildFarm({ nodeCount: 2, azCount: 3 });
    const cidrs = (m: typeof two.mocks) => Object.fromEntries(m.ofType(T.subnet).map((s) => [s.name, s.inputs.cidrBlock]));
    expect(cidrs(three.mocks)).toMatchObject(cidrs(two.mocks));
  });

  test("the VPC's default security group is adopted with no rules", async () => {
    const { mocks } = await buildFarm({ nodeCount: 1 });
    const sg = mocks.ofType("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")[0];
    expect(sg.inputs.ingress ?? []).toEqual([]);
    expect(sg.inputs.egress ?? []).toEqual([]);
  });
});
