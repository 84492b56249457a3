// Each example is a complete program: run it under the mocks and check what it registers.
import * as pulumi from "@pulumi/pulumi";
import { planSubnets } from "../components/cidr";
import { T } from "./farm";
import { DEFAULT_INVOKES, EXISTING_SUBNETS, realisticOutputs, runProgram } from "./mocks";
import ownNetwork = require("../examples/own-network/index");
import fromAnotherStack = require("../examples/network-from-another-stack/index");
import twoFarms = require("../examples/two-farms/index");

const farmsIn = (resources: { type: string; name: string }[]) => resources.filter((r) => r.type === "aspnet-webfarm:index:WebFarm").map((r) => r.name).sort();

test("own network: one farm that creates its VPC, subnets and NAT", async () => {
  pulumi.runtime.setAllConfig({ "webfarm-own-network:nodeCount": "3" });
  const { mocks, result } = await runProgram(ownNetwork, { project: "webfarm-own-network" });
  expect(farmsIn(mocks.resources)).toEqual(["shop"]);
  expect(mocks.ofType(T.vpc)).toHaveLength(1);
  expect(mocks.ofType(T.instance).filter((i) => i.name.startsWith("shop-web-"))).toHaveLength(3);
  expect(Object.keys(result)).toEqual(["url", "stateServerAddress", "webConfigFragment"]);
});

test("network from another stack: read through a StackReference, no network created", async () => {
  pulumi.runtime.setAllConfig({ "webfarm-shared-network:networkStack": "acme/network/prod" });
  const network = {
    vpcId: "vpc-0e00000000000000e",
    publicSubnetIds: ["subnet-0a00000000000000a", "subnet-0b00000000000000b"],
    privateSubnetIds: ["subnet-0c00000000000000c", "subnet-0d00000000000000d"],
  };
  let referenced = "";
  const { mocks } = await runProgram(fromAnotherStack, { project: "webfarm-shared-network" }, (type, name, inputs, id) => {
    if (type === "pulumi:pulumi:StackReference") { referenced = inputs.name; return { name: inputs.name, outputs: network, secretOutputNames: [] }; }
    return realisticOutputs(type, name, inputs, id);
  });
  expect(referenced).toBe("acme/network/prod");
  for (const t of [T.vpc, T.subnet, T.nat, T.igw]) expect(mocks.ofType(t)).toHaveLength(0);
  expect(mocks.ofType(T.lb)[0].inputs.subnets).toEqual(network.publicSubnetIds);
  expect(mocks.ofType(T.instance).map((i) => i.inputs.subnetId).sort()).toEqual(["subnet-0c00000000000000c", "subnet-0c00000000000000c", "subnet-0d00000000000000d"]);
  expect(mocks.named("shop-state", T.instance).inputs.userData).toContain(EXISTING_SUBNETS["subnet-0c00000000000000c"].cidrBlock);
});

test("two farms in one stack: one network, two farms, no name collision", async () => {
  const plan = planSubnets("10.60.0.0/16", 2);
  const invokes = {
    ...DEFAULT_INVOKES,
    // The shared network's subnets, as AWS would describe them once created.
    "aws:ec2/getSubnet:getSubnet": (i: Record<string, any>) => {
      const [, kind, index] = /^subnet-shared-(public|private)-(\d)$/.exec(i.id) ?? [];
      if (!kind) throw new Error(`unexpected subnet ${i.id}`);
      return { id: i.id, cidrBlock: (kind === "public" ? plan.publicCidrs : plan.privateCidrs)[Number(index)], availabilityZone: `eu-west-1${"ab"[Number(index)]}` };
    },
  };
  const { mocks } = await runProgram(twoFarms, { project: "webfarm-two-farms", invokes });
  expect(farmsIn(mocks.resources)).toEqual(["admin", "shop"]);
  expect(mocks.ofType(T.vpc)).toHaveLength(1);
  const keys = mocks.resources.map((r) => `${r.type}::${r.name}`);
  expect(new Set(keys).size).toBe(keys.length);
  expect(mocks.ofType(T.lb)).toHaveLength(2);
  expect(mocks.ofType("aws:route53/zone:Zone").map((z) => z.inputs.name).sort()).toEqual(["admin.internal", "shop.internal"]);
  expect(new Set(mocks.ofType(T.parameter).map((p) => p.inputs.name)).size).toBe(2);
  for (const g of mocks.ofType(T.sg)) expect(g.inputs.vpcId).toBe(mocks.ofType(T.vpc)[0].id);
  expect(mocks.named("admin-state", T.instance).inputs.userData).toContain(`'${plan.privateCidrs[0]}'`);
});
