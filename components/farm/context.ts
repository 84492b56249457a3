// What every part of a farm shares, built once by WebFarm and handed to each part (pulumi-eks'
// CoreData is the model): who and where the farm is, its names and tags, its network, the boot and
// observability values of its instances, its images, and the farm itself as the parts' parent.
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import { getPartitionOutput } from "@pulumi/aws/getPartition";
import { getRegionOutput } from "@pulumi/aws/getRegion";
import * as pulumi from "@pulumi/pulumi";
import { ExistingNetwork, ResolvedWebFarmArgs, whenKnown } from "../args/args";
import { Account } from "../aws/iam/policies";
import { farmNames, FarmNames } from "../aws/names";
import { RuleScope } from "../aws/securityGroups";
import { Tags } from "../aws/tags";
import { farmImageAtUp, followedImage, MachineImage, windowsServer2022 } from "../image/machineImage";
import { existingNetwork, FarmNetwork, FarmNetworkShape } from "../network/network";
import { FarmLogs } from "../observability/monitoring";
import { NodeRole } from "../observability/windows/cloudWatch";
import { BootValues } from "../windows/boot";

/** Where an instance's CloudWatch agent reads its configuration and ships to. */
export interface InstanceObservability {
  agentConfigParameter: string;
  logGroups: string[];
  namespace: string;
}

export interface FarmContext {
  /** The farm's name (WebFarm's resource name): the parts' names start with it. */
  readonly name: string;
  /** The names the farm's resources are given in AWS (farmNames). */
  readonly names: FarmNames;
  /** The farm's tags, checked once known. */
  readonly tags: Tags;
  readonly region: pulumi.Output<string>;
  /** The partition (aws, aws-us-gov, aws-cn): every ARN the farm builds takes it from here. */
  readonly partition: pulumi.Output<string>;
  readonly account: pulumi.Output<Account>;
  /** The farm's own VPC (a FarmNetwork), or the brought one's ids. */
  readonly network: FarmNetworkShape;
  /** The log groups and each role's agent configuration. */
  readonly logs: FarmLogs;
  /** Where alarms notify, checked once known. */
  readonly alarmTopicArn?: pulumi.Input<string>;
  readonly deletionProtection: boolean;
  /** The farm: the parent of its parts and of the rules between them. */
  readonly parent: pulumi.ComponentResource;
  /** Rules between parts: named from the farm's name, tagged, hung under the farm. */
  readonly rules: RuleScope;
  /** A role's boot values (region, DNS suffix, agent configuration, and the launch hook if any). */
  boot(role: NodeRole, lifecycleHook?: string): pulumi.Output<BootValues>;
  /** Where a role's CloudWatch agent reads its configuration and ships to. */
  observability(role: NodeRole): InstanceObservability;
  /** What an instance of a role must not boot before: its agent configuration. */
  bootAfter(role: NodeRole): pulumi.Resource[];
  /** The web nodes' image, or the state server's (also the SQL Server setup instance's). */
  image(of: "web" | "state"): MachineImage;
}

/** Builds the context, the network included, under `parent`. */
export function farmContext(parent: pulumi.ComponentResource, name: string, farm: ResolvedWebFarmArgs): FarmContext {
  const opts = { parent };
  const tags = whenKnown(name, "tags", farm.tags);
  const names = farmNames(pulumi.getProject(), pulumi.getStack(), name);
  const own = farm.network.kind === "own" ? farm.network : undefined;
  const network: FarmNetworkShape = own
    ? new FarmNetwork(
        `${name}-net`,
        {
          vpcCidr: own.vpcCidr,
          azCount: own.azCount,
          natPerAz: own.natPerAz,
          availabilityZones: own.availabilityZones,
          tags,
        },
        opts,
      )
    : existingNetwork(farm.network as ExistingNetwork, opts);

  const region = getRegionOutput({}, opts).region;
  const partition = getPartitionOutput({}, opts);
  const account: pulumi.Output<Account> = pulumi
    .all([partition.partition, region, getCallerIdentityOutput({}, opts).accountId])
    .apply(([partitionName, regionName, accountId]) => ({ partition: partitionName, region: regionName, accountId }));
  const logs = new FarmLogs(`${name}-logs`, { names, retentionDays: farm.observability.logRetentionDays, tags }, opts);
  const agentConfig = (role: NodeRole) =>
    role === "web-node" ? names.agentConfig.webNode : names.agentConfig.stateServer;

  // Web nodes and the state server pick their images apart: a new farm image rolls the nodes
  // (no outage) and never replaces the state server (every session lost) unless asked.
  const images = new Map<string, MachineImage>();
  const image = (of: "web" | "state"): MachineImage => {
    const field = of === "web" ? "amiId" : "stateAmiId";
    if (of === "web" && farm.image.amiParameter !== undefined) {
      const parameter = whenKnown(name, "amiParameter", farm.image.amiParameter);
      if (!images.has("parameter"))
        images.set("parameter", farm.image.autoRollout ? followedImage(parameter) : farmImageAtUp(parameter, opts));
      return images.get("parameter")!;
    }
    const pinned = farm.image[field];
    const key = pinned === undefined ? "latest" : field;
    if (!images.has(key))
      images.set(key, windowsServer2022(pinned === undefined ? undefined : whenKnown(name, field, pinned), opts));
    return images.get(key)!;
  };

  return {
    name,
    names,
    tags,
    region,
    partition: partition.partition,
    account,
    network,
    logs,
    alarmTopicArn:
      farm.observability.alarmTopicArn === undefined
        ? undefined
        : whenKnown(name, "alarmTopicArn", farm.observability.alarmTopicArn),
    deletionProtection: farm.deletionProtection,
    parent,
    rules: { prefix: name, tags, opts },
    boot: (role, lifecycleHook) =>
      pulumi.all([region, partition.dnsSuffix]).apply(([regionName, dnsSuffix]) => ({
        region: regionName,
        dnsSuffix,
        cloudWatchConfigParameter: agentConfig(role),
        lifecycleHook,
      })),
    observability: (role) => ({
      agentConfigParameter: agentConfig(role),
      logGroups: logs.logGroupNames,
      namespace: names.namespace,
    }),
    bootAfter: (role) => [logs.agentConfigs[role]],
    image,
  };
}
