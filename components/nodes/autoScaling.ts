// Auto Scaling mode of the web nodes: a launch template and a group whose nodes enter service only
// once their boot completed the launch lifecycle hook, a refresh that keeps every node serving
// while it adds, and, with the scaling options, what else sizes the group (scaling.ts).
import * as autoscaling from "@pulumi/aws/autoscaling";
import * as ec2 from "@pulumi/aws/ec2";
import * as iam from "@pulumi/aws/iam";
import * as pulumi from "@pulumi/pulumi";
import { METADATA_OPTIONS, ROOT_DEVICE_NAME, ROOT_VOLUME_GB } from "../aws/instance";
import { Account, completeLaunchStatements, policyDocument } from "../aws/iam/policies";
import { FARM_TAG, nameTags, withTag } from "../aws/tags";
import { declareWait, Need } from "../aws/waits";
import { imageOptions } from "../image/machineImage";
import { HEALTH_CHECK } from "../loadBalancer/loadBalancer";
import { atMaximumAlarm, refreshFailedAnnouncement } from "../observability/scaling";
import { resourcesOf } from "../sessions/contract";
import { DEFAULT_WARMUP_SECONDS } from "../args/constants";
import {
  GROUP_METRICS,
  METRICS_GRANULARITY,
  mixedInstancesPolicy,
  scalesOnLoad,
  scalingPolicies,
  scheduledActions,
  sizedByAws,
} from "./scaling";
import type { WebNodesArgs } from "./webNodes";

/** A node enters service (and is health-checked) only after its boot completed the lifecycle hook. */
export const HEALTH_CHECK_GRACE_SECONDS = 300;
/**
 * A refresh counts a new node after this long in service: enough for the load balancer's checks
 * to pass (2 x 10 s, and one interval's slack). No longer is needed, because the node entered
 * service only after checking itself (the launch hook), and every extra second is paid per refresh.
 */
export const REFRESH_WARMUP_SECONDS = HEALTH_CHECK.interval * (HEALTH_CHECK.healthyThreshold + 1);
/** The longest a booting node may take before Auto Scaling abandons it: a stock Windows boot and more. */
export const LAUNCH_TIMEOUT_SECONDS = 3600;
/**
 * How long `pulumi up` waits for the group's nodes to be healthy behind the load balancer: a node
 * may take the launch hook's whole allowance, be abandoned and replaced once (a second launch,
 * shorter than the first's worst case), and then pass the load balancer's checks. Equal to the hook's
 * timeout, the wait would end as the first abandoned node's replacement starts.
 */
export const CAPACITY_TIMEOUT_MINUTES = 90;
export const CAPACITY_TIMEOUT = `${CAPACITY_TIMEOUT_MINUTES}m`;

/** The launch lifecycle hook's name: the node's boot script completes it. */
export const launchHookName = (farmName: string) => `${farmName}-ready`;

/**
 * An Auto Scaling group's ARN with its id wildcarded: known from the name before the group exists
 * (IAM Service Authorization Reference, Amazon EC2 Auto Scaling, resource type autoScalingGroup:
 * arn:${Partition}:autoscaling:${Region}:${Account}:autoScalingGroup:${GroupId}:autoScalingGroupName/${GroupFriendlyName}).
 */
export const autoScalingGroupArn = (a: Account, name: string) =>
  `arn:${a.partition}:autoscaling:${a.region}:${a.accountId}:autoScalingGroup:*:autoScalingGroupName/${name}`;

/** What the group takes of the web nodes: their arguments, role, security group and boot. */
export interface GroupInputs {
  args: WebNodesArgs;
  userData: pulumi.Output<string>;
  role: iam.Role;
  profile: iam.InstanceProfile;
  securityGroupId: pulumi.Input<string>;
  bootAfter: pulumi.Resource[];
  bootNeeds: Need[];
  healthPageAtBoot: boolean;
}

/** The launch template, the group, its launch hook, and with the options its scaling (scaling.ts). */
export function autoScalingGroup(name: string, g: GroupInputs, parent: pulumi.Resource): autoscaling.Group {
  const { args } = g;
  const { context } = args;
  const image = context.image("web");
  const tags = nameTags(withTag(context.tags, FARM_TAG, context.name), `${name}-node`, "web-node");
  const template = new ec2.LaunchTemplate(
    `${name}-template`,
    {
      imageId: image.imageId,
      instanceType: args.instanceType,
      iamInstanceProfile: { name: g.profile.name },
      vpcSecurityGroupIds: [g.securityGroupId],
      metadataOptions: METADATA_OPTIONS,
      blockDeviceMappings: [
        {
          deviceName: ROOT_DEVICE_NAME,
          ebs: { encrypted: "true", volumeType: "gp3", volumeSize: ROOT_VOLUME_GB, deleteOnTermination: "true" },
        },
      ],
      userData: g.userData.apply((text) => Buffer.from(text, "utf8").toString("base64")),
      updateDefaultVersion: true,
      tagSpecifications: [
        { resourceType: "instance", tags },
        { resourceType: "volume", tags },
      ],
      tags: nameTags(context.tags, `${name}-template`),
    },
    { parent, dependsOn: g.bootAfter, ...imageOptions(image, "imageId") },
  );

  const hook = {
    name: launchHookName(context.name),
    lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
    // A node that never says it is ready is replaced, not put into service.
    defaultResult: "ABANDON",
    heartbeatTimeout: LAUNCH_TIMEOUT_SECONDS,
  };
  // The node may complete its launch hook before the group exists: the policy names the group by
  // the name it will have, so the group can wait for nodes that are able to finish booting.
  const launchPolicy = new iam.RolePolicy(
    `${name}-launch`,
    {
      role: g.role.id,
      policy: pulumi
        .output(context.account)
        .apply((a) => policyDocument(completeLaunchStatements(autoScalingGroupArn(a, context.names.autoScalingGroup)))),
    },
    { parent },
  );
  // Targets of a target group no load balancer uses stay "unused" (Target.NotInUse), never
  // healthy: Elastic Load Balancing API Reference, TargetHealth.
  const servingNeeds = [{ what: "the listener that forwards to the target group", resource: args.loadBalancer }];
  const launchTemplate = { id: template.id, version: template.latestVersion.apply(String) };
  const scaling = args;
  // Something besides `pulumi up` sizes the group (target tracking, scheduled actions): `pulumi up`
  // must not set it back to count each time. Pulumi's aws.autoscaling.Policy docs: "You may want to
  // omit desiredCapacity attribute from attached aws.autoscaling.Group when using autoscaling
  // policies". Omitted, a new group starts at its minimum, count ("If you do not specify a desired
  // capacity, the default is the minimum size of the group": CreateAutoScalingGroup), and a larger
  // count raises the desired size with the minimum (UpdateAutoScalingGroup).
  // The capacity wait changes with it. terraform-provider-aws (resourceGroupCreate/Update): on
  // create it waits for at least max(minSize, desired) nodes in service and at least
  // waitForElbCapacity (else minElbCapacity) healthy targets; on an update, only when minSize or
  // desiredCapacity change, for *exactly* max(minSize, the desired size last read) in service and,
  // with waitForElbCapacity, exactly that many healthy targets ("On update all targets are
  // specific"). A group the autoscaler holds above a new count would never match the exact target
  // count, so a scaling group waits with minElbCapacity: the same wait on create (count healthy
  // targets), none on the load balancer after. A new count still waits for its nodes in service
  // (each past its launch hook, so serving); run `pulumi up --refresh` so the desired size it
  // compares with is the autoscaler's current one, else the wait may run to its timeout.
  const autoSized = sizedByAws(scaling);
  const group = new autoscaling.Group(
    `${name}-group`,
    {
      name: context.names.autoScalingGroup,
      minSize: args.count,
      ...(autoSized ? {} : { desiredCapacity: args.count }),
      maxSize: args.maxCount,
      vpcZoneIdentifiers: context.network.privateSubnetIds,
      // With Spot, the template comes through the mixed instances policy (the two are alternatives).
      // An instance refresh (and its auto rollback) works with either: TF autoscaling_group,
      // autoRollback "may only be set to true when specifying a launch_template or
      // mixed_instances_policy", and a change to either starts one.
      ...(scaling.spot
        ? { mixedInstancesPolicy: mixedInstancesPolicy(scaling, launchTemplate), capacityRebalance: true }
        : { launchTemplate }),
      targetGroupArns: [args.loadBalancer.targetGroup.arn],
      healthCheckType: "ELB",
      // Counted from InService, which a node reaches only once its boot completed the hook.
      healthCheckGracePeriod: HEALTH_CHECK_GRACE_SECONDS,
      // The first nodes wait for the hook too (a separate hook resource would come after them).
      // Changes to it go through the LifecycleHook resource below, in place (ignoreChanges).
      initialLifecycleHooks: [hook],
      // `pulumi up` waits until this many nodes are healthy behind the load balancer: on create
      // (so the nodes of instances mode are deleted only once the group's serve), and on an update
      // only when desiredCapacity or minSize change (a larger count serves before `pulumi up`
      // reports it); a new template version starts an instance refresh and is not waited for
      // (terraform-provider-aws group.go, resourceGroupUpdate). A replaced group waits on create
      // too: it comes first (deleteBeforeReplace below), so the old nodes serve meanwhile.
      // Pulumi aws.autoscaling.Group docs, "Waiting for Capacity". A scaling group waits for the
      // load balancer on create only (minElbCapacity: see above).
      ...(autoSized ? { minElbCapacity: args.count } : { waitForElbCapacity: args.count }),
      waitForCapacityTimeout: CAPACITY_TIMEOUT,
      // A new template version (image, user data, type) rolls the group: new nodes are added and
      // must be healthy before old ones go (100-200% of capacity), and a failed refresh rolls back
      // (except for an image followed through its parameter).
      instanceRefresh: {
        strategy: "Rolling",
        preferences: {
          minHealthyPercentage: 100,
          maxHealthyPercentage: 200,
          instanceWarmup: String(REFRESH_WARMUP_SECONDS),
          // Refused with an AMI from an SSM parameter: the provider would send a desired
          // configuration, which rollback needs and such an image cannot have (imageRollout.ts).
          autoRollback: image.parameter === undefined,
        },
      },
      // Every other replacement launches first too: a node found unhealthy, one past its lifetime,
      // an AZ rebalance. Without a policy Auto Scaling terminates the old node first ("creates a
      // new scaling activity for terminating the unhealthy instance and then terminates it. Later,
      // another scaling activity launches a new instance"); with one, "A new instance must be
      // provisioned first before an existing instance can be terminated" (EC2 Auto Scaling user
      // guide, instance maintenance policy). 100-200: AWS allows at most 100 apart.
      instanceMaintenancePolicy: { minHealthyPercentage: 100, maxHealthyPercentage: 200 },
      ...(autoSized
        ? {
            // Counted from InService: the launch hook already held the node until it served, and
            // "the warm-up period does not start until the lifecycle hook actions are complete and
            // the instance enters the InService state" (EC2 Auto Scaling user guide, instance
            // refresh; default instance warmup: "if you add a lifecycle hook, you can reduce the
            // value"). So only the node's metrics settle here; its boot is not counted twice.
            defaultInstanceWarmup: scaling.warmupSeconds ?? DEFAULT_WARMUP_SECONDS,
            // The dashboard's and the at-maximum alarm's metrics: sent only once enabled.
            metricsGranularity: METRICS_GRANULARITY,
            enabledMetrics: GROUP_METRICS,
          }
        : {}),
      tags: pulumi
        .output(tags)
        .apply((t) => Object.entries(t).map(([key, value]) => ({ key, value, propagateAtLaunch: true }))),
    },
    {
      parent,
      dependsOn: [launchPolicy, ...resourcesOf(servingNeeds)],
      // initialLifecycleHooks is ForceNew, and the bridge replaces an explicitly named group
      // delete-before-replace (pulumi-terraform-bridge PR #532): a changed hook would terminate
      // every node before new ones exist. Pulumi's Group docs: initialLifecycleHooks "will only
      // work when creating a new Auto Scaling Group. For all other use-cases, please use
      // aws.autoscaling.LifecycleHook", which the kit also declares below, updated in place.
      ignoreChanges: ["initialLifecycleHooks"],
      // What still replaces the group is a new name (the bridge would delete the named group
      // first: every node gone before new ones exist). Pulumi lets the program override the
      // provider's choice (engine step_generator: "The user can override the provider's decision
      // by setting the deleteBeforeReplace field ... to either true or false"): the new group is
      // created and healthy before the old one goes; a replacement under the same name fails at
      // CreateAutoScalingGroup (AlreadyExists) and changes nothing, instead of an outage.
      deleteBeforeReplace: false,
    },
  );
  declareWait(
    group,
    `${args.count} healthy targets behind the target group (nodes in service once their boot completed the launch hook)`,
    [
      { what: "the launch template (image, user data, instance profile)", resource: template },
      { what: "the policy that lets a node complete its launch hook", resource: launchPolicy },
      {
        what: "a health page served before any release (the boot's placeholder, or the kit's own without an application)",
        holds: g.healthPageAtBoot,
      },
      ...g.bootNeeds,
      ...servingNeeds,
    ],
  );
  // The hook as a resource too: a group created before it existed gets it, and a change to the hook
  // (timeout, result) is made here in place, never by replacing the group.
  new autoscaling.LifecycleHook(`${name}-ready`, { autoscalingGroupName: group.name, ...hook }, { parent });

  scalingPolicies(
    name,
    {
      groupName: group.name,
      scaling,
      loadBalancerArnSuffix: args.loadBalancer.loadBalancer.arnSuffix,
      targetGroupArnSuffix: args.loadBalancer.targetGroup.arnSuffix,
      // The listeners: a target group no listener uses cannot be a resource label.
      after: [args.loadBalancer],
    },
    parent,
  );
  scheduledActions(name, group.name, scaling, parent);
  if (context.alarmTopicArn !== undefined)
    refreshFailedAnnouncement(
      `${name}-refresh-failed`,
      { groupName: group.name, alarmTopicArn: context.alarmTopicArn, tags: context.tags },
      { parent },
    );
  if (scalesOnLoad(scaling))
    atMaximumAlarm(
      `${name}-at-maximum`,
      { groupName: group.name, maxCount: args.maxCount, alarmTopicArn: context.alarmTopicArn, tags: context.tags },
      { parent },
    );
  return group;
}
