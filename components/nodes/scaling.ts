// What sizes the Auto Scaling group besides `pulumi up`: target tracking on the load balancer's
// requests per node (and optionally the nodes' CPU), scheduled actions for known peaks, and Spot
// capacity above an On-Demand base. The values are plain (tested as such); the resources hang
// under the web nodes.
import * as autoscaling from "@pulumi/aws/autoscaling";
import type * as enums from "@pulumi/aws/types/enums";
import type * as input from "@pulumi/aws/types/input";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_REQUESTS_PER_NODE } from "../args/constants";
import type { NodeSchedule } from "../args/groupTypes";
import { spotInstanceTypesFor } from "./instanceTypes";

/** One scheduled change of the group's size (nodes.schedules), as the arguments declare it. */
export type NodeScheduleValues = NodeSchedule;

/** The nodes' scaling arguments, resolved (components/args/schema.ts documents each). */
export interface NodeScaling {
  count: number;
  maxCount: number;
  instanceType: string;
  targetRequestsPerNode?: number;
  targetCpuPercent?: number;
  warmupSeconds?: number;
  schedules?: NodeScheduleValues[];
  spot?: boolean;
  onDemandBaseCount?: number;
  spotInstanceTypes?: string[];
}

// The arguments' own defaults (validation fills them in; these serve a caller that skips it).
export { DEFAULT_REQUESTS_PER_NODE, DEFAULT_WARMUP_SECONDS } from "../args/constants";

/** Target tracking applies only with room above count (the arguments reject its options otherwise). */
export const scalesOnLoad = (n: NodeScaling): boolean => n.maxCount > n.count;

/** Whether AWS, not only `pulumi up`, sets the group's size: target tracking or scheduled actions. */
export const sizedByAws = (n: NodeScaling): boolean => scalesOnLoad(n) || (n.schedules ?? []).length > 0;

/**
 * A scheduled action's sizes. AWS leaves a size it is not sent unchanged, but the provider sends an
 * unset size as 0 and leaves out only -1 ("we accept "-1" to mean "don't include this parameter in
 * the action"": terraform-provider-aws autoscaling/schedule.go; Pulumi aws.autoscaling.Schedule
 * "Set to `-1` if you don't want to change ... Defaults to `0`"), reading a missing size back as -1
 * (no drift). So all three are always given, -1 for what the schedule does not change.
 */
export function scheduleValues(s: NodeScheduleValues) {
  return {
    scheduledActionName: s.name,
    // Five-field Unix cron, read in timeZone (PutScheduledUpdateGroupAction: Recurrence, TimeZone).
    recurrence: s.cron,
    timeZone: s.timeZone ?? "Etc/UTC",
    minSize: s.minCount ?? -1,
    maxSize: s.maxCount ?? -1,
    desiredCapacity: s.desiredCount ?? -1,
  };
}

/**
 * Spot's allocation strategy. AWS: "price-capacity-optimized (recommended) ... looks at both price
 * and capacity to select the Spot Instance pools that are the least likely to be interrupted"; and
 * with Capacity Rebalancing it recommends against lowest-price (EC2 Auto Scaling user guide,
 * "Allocation strategies for multiple instance types"; "Capacity Rebalancing").
 */
export const SPOT_ALLOCATION_STRATEGY = "price-capacity-optimized";

/** The instance types a Spot group launches: the ones given, or instanceType and its siblings. */
export const spotTypesOf = (n: NodeScaling): string[] => n.spotInstanceTypes ?? spotInstanceTypesFor(n.instanceType);

/**
 * With spot: the group launches from the template through a mixed instances policy, the first
 * onDemandBaseCount nodes (default count) On-Demand and every node above them Spot, from several
 * types of the same size so one short pool does not stop a scale-out.
 */
export function mixedInstancesPolicy(
  n: NodeScaling,
  template: { id: pulumi.Input<string>; version: pulumi.Input<string> },
): input.autoscaling.GroupMixedInstancesPolicy {
  return {
    launchTemplate: {
      launchTemplateSpecification: { launchTemplateId: template.id, version: template.version },
      // The On-Demand base launches from these in order ("prioritized", the default): the node type first.
      overrides: [...new Set([n.instanceType, ...spotTypesOf(n)])].map((instanceType) => ({ instanceType })),
    },
    instancesDistribution: {
      onDemandBaseCapacity: n.onDemandBaseCount ?? n.count,
      onDemandPercentageAboveBaseCapacity: 0,
      spotAllocationStrategy: SPOT_ALLOCATION_STRATEGY,
    },
  };
}

/**
 * Group metrics for the dashboard and the at-maximum alarm: Auto Scaling sends none unless they are
 * enabled, at "1Minute", "the only valid value" (API EnableMetricsCollection: "You can use these
 * metrics to track changes in an Auto Scaling group and to set alarms on threshold values").
 */
export const GROUP_METRICS: enums.autoscaling.Metric[] = [
  "GroupDesiredCapacity",
  "GroupInServiceInstances",
  "GroupPendingInstances",
  "GroupTerminatingInstances",
  "GroupMaxSize",
  "GroupMinSize",
];
export const METRICS_GRANULARITY = "1Minute";

/**
 * Target tracking: requests per node per minute (ALBRequestCountPerTarget, its label the farm's
 * load balancer and target group ARN suffixes: API PredefinedMetricSpecification), and with
 * targetCpuPercent the nodes' average CPU too (the group scales out when either asks). A target group no listener uses cannot be a resource label, so the policies come
 * after the load balancer's listeners (`after`). No estimatedInstanceWarmup: the group's default
 * instance warm-up applies (PutScalingPolicy: "Not needed if the default instance warmup is defined
 * for the group").
 */
export function scalingPolicies(
  name: string,
  p: {
    groupName: pulumi.Input<string>;
    scaling: NodeScaling;
    loadBalancerArnSuffix: pulumi.Input<string>;
    targetGroupArnSuffix: pulumi.Input<string>;
    after: pulumi.Resource[];
  },
  parent: pulumi.Resource,
): autoscaling.Policy[] {
  if (!scalesOnLoad(p.scaling)) return [];
  const policy = (suffix: string, targetTrackingConfiguration: input.autoscaling.PolicyTargetTrackingConfiguration) =>
    new autoscaling.Policy(
      `${name}-${suffix}`,
      { autoscalingGroupName: p.groupName, policyType: "TargetTrackingScaling", targetTrackingConfiguration },
      { parent, dependsOn: p.after },
    );
  const policies = [
    policy("requests-per-node", {
      predefinedMetricSpecification: {
        predefinedMetricType: "ALBRequestCountPerTarget",
        resourceLabel: pulumi.interpolate`${p.loadBalancerArnSuffix}/${p.targetGroupArnSuffix}`,
      },
      targetValue: p.scaling.targetRequestsPerNode ?? DEFAULT_REQUESTS_PER_NODE,
    }),
  ];
  if (p.scaling.targetCpuPercent !== undefined)
    policies.push(
      policy("cpu", {
        predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
        targetValue: p.scaling.targetCpuPercent,
      }),
    );
  return policies;
}

/**
 * nodes.schedules: one scheduled action each, its logical name and AWS name the schedule's own.
 * The group's desired size is the autoscaler's (autoScaling.ts), but its minimum and maximum are
 * still count and maxCount: a `pulumi up` inside a scheduled window that changed them sets them
 * back until the schedule's next recurrence (UpdateAutoScalingGroup, "Note the following about
 * changing DesiredCapacity, MaxSize, or MinSize": a new minimum above or maximum below the current
 * size moves the desired size to it).
 */
export function scheduledActions(
  name: string,
  groupName: pulumi.Input<string>,
  scaling: NodeScaling,
  parent: pulumi.Resource,
): autoscaling.Schedule[] {
  return (scaling.schedules ?? []).map(
    (s) =>
      new autoscaling.Schedule(
        `${name}-schedule-${s.name}`,
        { autoscalingGroupName: groupName, ...scheduleValues(s) },
        { parent },
      ),
  );
}
