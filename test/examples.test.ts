// Each example is a complete program: run it under the offline engine and check what it registers.
import { planSubnets } from "../components/network/cidr";
import { EXISTING_NETWORK, fixtures } from "../engine/fixtures";
import { bootTextOf, record, T } from "./support/graph";
import ownNetwork from "../examples/own-network/index";
import fromAnotherStack from "../examples/network-from-another-stack/index";
import twoFarms from "../examples/two-farms/index";
import ownDomain from "../examples/own-domain/index";

const farmsIn = (resources: { type: string; name: string }[]) =>
  resources
    .filter((r) => r.type === T.farm)
    .map((r) => r.name)
    .sort();

test("own network: one farm that creates its VPC, subnets and NAT, and releases the CI's build", async () => {
  const { graph, result } = await record(ownNetwork, {
    project: "webfarm-own-network",
    config: {
      "webfarm-own-network:nodeCount": "3",
      "webfarm-own-network:buildBucket": "shop-builds",
      "webfarm-own-network:buildKey": "shop/1.4.2/site.zip",
    },
  });
  expect(farmsIn(graph.resources)).toEqual(["shop"]);
  expect(graph.count(T.vpc)).toBe(1);
  expect(graph.webNodes()).toHaveLength(3);
  expect(Object.keys(result)).toEqual(["url", "stateServerAddress", "webConfigFragment", "releaseVersion"]);
  // The default waits: the release, then each node's wait to serve behind the balancer.
  expect(graph.one(T.release).inputs).toMatchObject({ nodesAtOnce: 1 });
  expect(graph.count(T.gate)).toBe(3);
  // The nodes may read every version under the build's folder: rollbacks and new nodes take older builds.
  expect(JSON.stringify(graph.ofType(T.rolePolicy).map((p) => p.inputs.policy))).toContain(
    "arn:aws:s3:::shop-builds/shop/*",
  );
});

test("network from another stack: read through a StackReference, no network created", async () => {
  let referenced = "";
  const { graph } = await record(fromAnotherStack, {
    project: "webfarm-shared-network",
    config: { "webfarm-shared-network:networkStack": "acme/network/prod" },
    fixtures: fixtures({
      outputs: (type, _name, inputs) => {
        if (type !== "pulumi:pulumi:StackReference") return {};
        referenced = inputs.name;
        return { name: inputs.name, outputs: EXISTING_NETWORK, secretOutputNames: [] };
      },
    }),
  });
  expect(referenced).toBe("acme/network/prod");
  for (const t of [T.vpc, T.subnet, T.nat, T.igw]) expect(graph.count(t)).toBe(0);
  expect(graph.one(T.lb).inputs.subnets).toEqual(EXISTING_NETWORK.publicSubnetIds);
  const [a, b] = EXISTING_NETWORK.privateSubnetIds;
  expect(
    graph
      .ofType(T.instance)
      .map((i) => i.inputs.subnetId)
      .sort(),
  ).toEqual([a, a, b]);
  // The state server's firewall admits the brought VPC's CIDR, looked up by the VPC's id.
  expect(bootTextOf(graph.stateServer())).toContain(`$WebCidrs = @('172.20.0.0/16')`);
});

test("two farms in one stack: one network, two farms, no name collision", async () => {
  const plan = planSubnets("10.60.0.0/16", 2);
  // The shared network's subnets, as AWS would describe them once created.
  const subnets = Object.fromEntries(
    ["public", "private"].flatMap((kind) =>
      [0, 1].map((i) => [
        `Subnet.shared-${kind}-${i}`,
        {
          cidrBlock: (kind === "public" ? plan.publicCidrs : plan.privateCidrs)[i],
          availabilityZone: `eu-west-1${"ab"[i]}`,
          vpcId: "Vpc.shared-vpc",
        },
      ]),
    ),
  );
  const { graph } = await record(twoFarms, { project: "webfarm-two-farms", fixtures: fixtures({ subnets }) });
  expect(farmsIn(graph.resources)).toEqual(["admin", "shop"]);
  expect(graph.count(T.vpc)).toBe(1);
  const keys = graph.resources.map((r) => `${r.type}::${r.name}`);
  expect(new Set(keys).size).toBe(keys.length);
  expect(graph.count(T.lb)).toBe(2);
  expect(
    graph
      .ofType(T.zone)
      .map((z) => z.inputs.name)
      .sort(),
  ).toEqual(["admin.internal", "shop.internal"]);
  const parameters = graph.ofType(T.parameter).map((p) => p.inputs.name);
  expect(new Set(parameters).size).toBe(parameters.length);
  for (const g of graph.ofType(T.sg)) expect(g.inputs.vpcId).toBe(graph.one(T.vpc).id);
  expect(bootTextOf(graph.byRole("state-server").find((s) => s.name.startsWith("admin"))!)).toContain(
    "$WebCidrs = @('10.60.0.0/16')",
  );
});

test("own domain: a certificate and a Route 53 alias made in the same program, passed as Outputs", async () => {
  const { graph } = await record(ownDomain, {
    project: "webfarm-own-domain",
    config: { "webfarm-own-domain:domain": "shop.example.com", "webfarm-own-domain:zone": "example.com" },
  });
  const validation = graph.one("aws:acm/certificateValidation:CertificateValidation");
  const https = graph.one(T.listener, (l) => l.inputs.port === 443);
  expect(https.inputs.certificateArn).toBe(validation.state.certificateArn);
  const lb = graph.one(T.lb);
  const alias = graph.one(T.record, (r) => r.inputs.name === "shop.example.com");
  expect(alias.inputs).toMatchObject({
    type: "A",
    zoneId: "Zone.example.com.zoneId",
    aliases: [{ name: lb.state.dnsName, zoneId: lb.state.zoneId, evaluateTargetHealth: true }],
  });
});
