// The farm's own network: subnets per AZ, NAT per AZ or shared, stable names and CIDRs.
import { buildFarm, sharedFarm, Graph, T } from "../support/graph";

const sortedByName = <R extends { name: string }>(rs: R[]) => [...rs].sort((a, b) => a.name.localeCompare(b.name));

describe("network over three AZs", () => {
  let graph: Graph;
  let perAz: Graph;
  beforeAll(async () => {
    graph = (await buildFarm({ nodeCount: 5, azCount: 3, vpcCidr: "10.40.0.0/16" })).graph;
    perAz = (await buildFarm({ nodeCount: 2, azCount: 3, natPerAz: true })).graph;
  });

  test("a public and a private subnet per AZ, in distinct AZs, from the VPC's CIDR", () => {
    const subnets = graph.ofType(T.subnet);
    const pub = sortedByName(subnets.filter((s) => s.name.includes("-public-")));
    const priv = sortedByName(subnets.filter((s) => s.name.includes("-private-")));
    expect(pub.map((s) => s.inputs.availabilityZone)).toEqual(["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
    expect(priv.map((s) => s.inputs.availabilityZone)).toEqual(["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
    expect(pub.map((s) => s.inputs.cidrBlock)).toEqual(["10.40.0.0/20", "10.40.16.0/20", "10.40.32.0/20"]);
    expect(priv.map((s) => s.inputs.cidrBlock)).toEqual(["10.40.128.0/20", "10.40.144.0/20", "10.40.160.0/20"]);
    expect(graph.one(T.vpc).inputs).toMatchObject({
      cidrBlock: "10.40.0.0/16",
      enableDnsHostnames: true,
      enableDnsSupport: true,
    });
  });

  test("one NAT gateway by default; private subnets all route through it", () => {
    const nat = graph.one(T.nat);
    const privateRoutes = graph.ofType(T.route).filter((r) => r.inputs.natGatewayId);
    expect(privateRoutes).toHaveLength(3);
    expect(new Set(privateRoutes.map((r) => r.inputs.natGatewayId))).toEqual(new Set([nat.id]));
  });

  test("natPerAz gives each AZ its own NAT gateway in its own public subnet", () => {
    const nats = perAz.ofType(T.nat);
    expect(nats).toHaveLength(3);
    expect(new Set(nats.map((n) => n.inputs.subnetId)).size).toBe(3);
    expect(
      new Set(
        perAz
          .ofType(T.route)
          .filter((r) => r.inputs.natGatewayId)
          .map((r) => r.inputs.natGatewayId),
      ).size,
    ).toBe(3);
  });

  test("nodes spread over the private subnets, no AZ more than one node ahead", () => {
    const perSubnet = new Map<string, number>();
    for (const n of graph.webNodes()) perSubnet.set(n.inputs.subnetId, (perSubnet.get(n.inputs.subnetId) ?? 0) + 1);
    expect([...perSubnet.values()].sort()).toEqual([1, 2, 2]);
  });

  test("the VPC's default security group is adopted with no rules", () => {
    const sg = graph.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup");
    expect(sg.inputs.ingress ?? []).toEqual([]);
    expect(sg.inputs.egress ?? []).toEqual([]);
  });
});

test("adding an AZ adds subnets without renumbering the existing ones", async () => {
  const two = (await sharedFarm({ nodeCount: 2, azCount: 2 })).graph;
  const three = (await sharedFarm({ nodeCount: 2, azCount: 3 })).graph;
  const cidrs = (g: Graph) => Object.fromEntries(g.ofType(T.subnet).map((s) => [s.name, s.inputs.cidrBlock]));
  expect(Object.keys(cidrs(three))).toHaveLength(6);
  expect(cidrs(three)).toMatchObject(cidrs(two));
});
