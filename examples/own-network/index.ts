// The farm on a network of its own: the WebFarm creates the VPC, subnets, NAT and everything else.
import * as pulumi from "@pulumi/pulumi";
import { WebFarm } from "aspnet-webfarm";

export = async () => {
  const config = new pulumi.Config();
  const farm = new WebFarm("shop", {
    nodeCount: config.getNumber("nodeCount") ?? 2,
    vpcCidr: "10.50.0.0/16",
    azCount: 2,
    tags: { app: "shop" },
  });
  return { url: farm.url, stateServerAddress: farm.stateServerAddress, webConfigFragment: farm.webConfigFragment };
};
