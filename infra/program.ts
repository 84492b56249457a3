// The per-stack program (infra/index.ts runs it): read and validate the stack's config (all problems at once, before any
// resource), build one WebFarm, export what operators and application teams need.
import * as pulumi from "@pulumi/pulumi";
import { WebFarm } from "../components";
import { projectConfig, readStackSettings, throwIfProblems } from "./config";
import { checkAgainstRegion } from "./region";

export async function program() {
  const settings = readStackSettings(projectConfig(pulumi.runtime.allConfig()));
  const region = await checkAgainstRegion(settings.args);
  throwIfProblems([...settings.problems, ...region.problems]);

  const farm = new WebFarm(settings.farmName, region.args);
  return {
    url: farm.url,
    loadBalancerDnsName: farm.loadBalancerDnsName,
    stateServerAddress: farm.stateServerAddress,
    webNodeIds: farm.webNodeIds,
    keyParameterName: farm.keyParameterName,
    webConfigFragment: farm.webConfigFragment,
    vpcId: farm.vpcId,
    publicSubnetIds: farm.publicSubnetIds,
    privateSubnetIds: farm.privateSubnetIds,
    webSecurityGroupId: farm.webSecurityGroupId,
    loadBalancerSecurityGroupId: farm.loadBalancerSecurityGroupId,
  };
}

