// The farm on a network of its own, with its application: the WebFarm creates the VPC, subnets,
// NAT and everything else, and releases a build your CI put in S3 (a .zip of the published site).
// Each `pulumi up` with a new build (a new buildKey) is a release: CodeDeploy takes the nodes out
// of the load balancer one at a time, installs, validates and puts them back, and `pulumi up`
// waits for it and for every node to serve (waitForDeployments, on by default).
import * as pulumi from "@pulumi/pulumi";
import { WebFarm } from "aspnet-webfarm";

export = async () => {
  const config = new pulumi.Config();
  const farm = new WebFarm("shop", {
    nodes: { count: config.getNumber("nodeCount") ?? 2 },
    network: { vpcCidr: "10.50.0.0/16", azCount: 2 },
    tags: { app: "shop" },
    app: {
      bucket: config.require("buildBucket"),
      key: config.require("buildKey"),
      settings: { Environment: pulumi.getStack() },
    },
  });
  return {
    url: farm.url,
    stateServerAddress: farm.stateServerAddress,
    webConfigFragment: farm.webConfigFragment,
    releaseVersion: farm.releaseVersion,
  };
};
