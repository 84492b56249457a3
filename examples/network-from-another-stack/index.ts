// The farm on a network another stack owns: read its outputs with a StackReference and bring
// them as existingNetwork (vpcId, publicSubnetIds, privateSubnetIds). The farm creates no VPC, subnet or NAT.
import * as pulumi from "@pulumi/pulumi";
import { WebFarm } from "aspnet-webfarm";

export = async () => {
  const config = new pulumi.Config();
  const network = new pulumi.StackReference("network", { name: config.require("networkStack") });
  // The subnet lists' lengths must be known to spread the nodes, so read them as values.
  const list = async (name: string) => (await network.getOutputDetails(name)).value as string[];
  const farm = new WebFarm("shop", {
    nodes: { count: 2 },
    existingNetwork: {
      vpcId: network.requireOutput("vpcId") as pulumi.Output<string>,
      publicSubnetIds: await list("publicSubnetIds"),
      privateSubnetIds: await list("privateSubnetIds"),
    },
  });
  // What a database stack needs to let the web nodes in.
  return { url: farm.url, webSecurityGroupId: farm.webSecurityGroupId, keyParameterName: farm.keyParameterName };
};
