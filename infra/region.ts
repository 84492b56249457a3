// Checks that need the AWS region's facts (invokes only; nothing is registered): how many AZs the
// region offers, and which AZs the subnets of a brought network are in.
import * as ec2 from "@pulumi/aws/ec2";
import { getAvailabilityZones } from "@pulumi/aws/getAvailabilityZones";
import { defaultsOf, ownNetworkSchema, Problem, WebFarmArgs } from "../components";

export interface RegionFacts {
  /** Args with the region's AZ names filled in for the farm's own network. */
  args: WebFarmArgs;
  problems: Problem[];
}

const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;

/** Problem paths are WebFarmArgs' (network.azCount); the program puts them in the config's terms. */
export async function checkAgainstRegion(args: WebFarmArgs): Promise<RegionFacts> {
  const problems: Problem[] = [];
  const existing = args.existingNetwork;
  if (existing === undefined) {
    const zones = await getAvailabilityZones({
      state: "available",
      filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }],
    });
    const azCount = args.network?.azCount ?? defaultsOf(ownNetworkSchema).azCount;
    if (Number.isInteger(azCount) && azCount > zones.names.length) {
      problems.push({
        propertyPath: "network.azCount",
        reason: `is ${azCount} but region ${zones.id} offers ${zones.names.length} AZs (${zones.names.join(", ")})`,
      });
    }
    const availabilityZones = zones.names.slice(0, Math.max(0, Math.min(azCount, zones.names.length)));
    return { args: { ...args, network: { ...args.network, availabilityZones } }, problems };
  }

  const lookUp = async (key: "publicSubnetIds" | "privateSubnetIds") => {
    const ids = (existing[key] ?? []).filter((id): id is string => typeof id === "string" && SUBNET_ID.test(id));
    const subnets = await Promise.all(
      ids.map(async (id) => {
        try {
          return await ec2.getSubnet({ id });
        } catch {
          problems.push({
            propertyPath: `existingNetwork.${key}`,
            reason: `${id} was not found in this account and region`,
          });
          return undefined;
        }
      }),
    );
    return subnets.filter((s): s is ec2.GetSubnetResult => s !== undefined);
  };
  const [publicSubnets, privateSubnets] = [await lookUp("publicSubnetIds"), await lookUp("privateSubnetIds")];
  for (const [key, subnets] of [
    ["publicSubnetIds", publicSubnets],
    ["privateSubnetIds", privateSubnets],
  ] as const) {
    const at = `existingNetwork.${key}`;
    const elsewhere = subnets.filter((s) => typeof existing.vpcId === "string" && s.vpcId !== existing.vpcId);
    if (elsewhere.length > 0)
      problems.push({ propertyPath: at, reason: `${elsewhere.map((s) => s.id).join(", ")} not in ${existing.vpcId}` });
    const zones = new Set(subnets.map((s) => s.availabilityZone));
    if (subnets.length >= 2 && zones.size < 2)
      problems.push({
        propertyPath: at,
        reason: `are all in ${[...zones].join(", ")}; the load balancer needs two AZs`,
      });
  }
  const publicZones = new Set(publicSubnets.map((s) => s.availabilityZone));
  const privateZones = new Set(privateSubnets.map((s) => s.availabilityZone));
  const uncovered = [...privateZones].filter((z) => !publicZones.has(z));
  const unused = [...publicZones].filter((z) => !privateZones.has(z));
  if (publicSubnets.length > 0 && privateSubnets.length > 0 && (uncovered.length > 0 || unused.length > 0)) {
    problems.push({
      propertyPath: "existingNetwork.privateSubnetIds",
      reason: `cover AZs ${[...privateZones].sort().join(", ")} but publicSubnetIds cover ${[...publicZones].sort().join(", ")}: the load balancer reaches only nodes in its own AZs`,
    });
  }
  return { args, problems };
}
