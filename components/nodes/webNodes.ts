// The Windows/IIS web nodes: one security group, an instance role with exactly what a node needs,
// and either `count` separate instances spread over the private subnets (default) or a launch
// template and an Auto Scaling group. Both modes boot from the same image, user data, metadata and
// volume settings. In Auto Scaling mode a node enters service only once its boot says it is ready
// (a launch lifecycle hook it completes), and a refresh keeps every node serving while it adds.
// The nodes assemble their own user data, open their own rules (from the load balancer, to the
// session store, out) and, in instances mode, gate `pulumi up` on each node serving.
import * as autoscaling from "@pulumi/aws/autoscaling";
import * as ec2 from "@pulumi/aws/ec2";
import * as iam from "@pulumi/aws/iam";
import type * as lb from "@pulumi/aws/lb";
import * as pulumi from "@pulumi/pulumi";
import { NodeMode } from "../args/args";
import {
  FarmInstance,
  farmInstance,
  instanceRole,
  METADATA_OPTIONS,
  ROOT_DEVICE_NAME,
  ROOT_VOLUME_GB,
} from "../aws/instance";
import { Lean, LeanResource, TARGET_GROUP_ATTACHMENT } from "../aws/lean";
import { FarmContext, InstanceObservability } from "../farm/context";
import { FarmLoadBalancer, HEALTH_CHECK, WEB_PORT } from "../loadBalancer/loadBalancer";
import { MachineKey } from "../machineKey/machineKey";
import { resourcesOf, SessionStore } from "../sessions/contract";
import { imageOptions } from "../image/machineImage";
import {
  Account,
  bootStatusStatement,
  completeLaunchStatements,
  observabilityStatements,
  parameterArn,
  policyDocument,
  readSecretStatement,
  sessionManagerStatement,
  Statement,
} from "../aws/iam/policies";
import { allowOutbound, Connections, securityGroup } from "../aws/securityGroups";
import { FARM_TAG, nameTags, withTag } from "../aws/tags";
import { declareWait, Need } from "../aws/waits";
import { BOOT_TAG } from "../windows/boot";
import { healthPageAtBoot, WebNodeBootValues, webNodeUserData } from "../windows/userData";
import { ServingGate, SERVING_TIMEOUT_MINUTES } from "./servingGate";

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

export interface WebNodesArgs {
  /** What the farm's parts share: names, tags, account, network, boot and observability values, images. */
  context: FarmContext;
  mode: NodeMode;
  count: number;
  /** Auto Scaling mode only: the group's maximum. */
  maxCount: number;
  instanceType: string;
  /** The machine key the nodes read at boot, and the version and algorithm they expect in it. */
  machineKey: MachineKey;
  keyVersion: string;
  keyValidation: WebNodeBootValues["keyValidation"];
  /** The load balancer: its target group, listener and connections. */
  loadBalancer: FarmLoadBalancer;
  /** The load balancer's health check path, served session-free. */
  healthCheckPath: string;
  /** Where sessions live: the nodes reach it, boot with its values and wait for its needs. */
  sessionStore: SessionStore;
  /** With an application: the CodeDeploy agent; in instances mode, the current release at boot. */
  codeDeploy?: WebNodeBootValues["codeDeploy"];
}

/** The launch lifecycle hook's name: the node's boot script completes it. */
export const launchHookName = (farmName: string) => `${farmName}-ready`;

/**
 * An Auto Scaling group's ARN with its id wildcarded: known from the name before the group exists
 * (IAM Service Authorization Reference, Amazon EC2 Auto Scaling, resource type autoScalingGroup:
 * arn:${Partition}:autoscaling:${Region}:${Account}:autoScalingGroup:${GroupId}:autoScalingGroupName/${GroupFriendlyName}).
 */
export const autoScalingGroupArn = (a: Account, name: string) =>
  `arn:${a.partition}:autoscaling:${a.region}:${a.accountId}:autoScalingGroup:*:autoScalingGroupName/${name}`;

/** What a web node may do: read its key, report its boot, ship its logs and metrics, open a session. */
export function webNodeStatements(
  a: Account,
  p: {
    farmName: string;
    keyParameterName: string;
    observability: InstanceObservability;
    sessionSecretArn?: string;
  },
): Statement[] {
  return [
    {
      Sid: "ReadFarmMachineKey",
      Effect: "Allow",
      Action: ["ssm:GetParameter"],
      Resource: [parameterArn(a, p.keyParameterName)],
    },
    ...(p.sessionSecretArn ? [readSecretStatement("ReadSessionLogin", p.sessionSecretArn)] : []),
    bootStatusStatement(a, { key: FARM_TAG, value: p.farmName }, BOOT_TAG),
    ...observabilityStatements(a, p.observability),
    sessionManagerStatement(),
  ];
}

/** Which private subnet node i lives in: round robin, so no AZ holds two more nodes than another. */
export function subnetIndexOf(node: number, subnetCount: number): number {
  return node % subnetCount;
}

export class WebNodes extends pulumi.ComponentResource {
  public readonly securityGroup: ec2.SecurityGroup;
  /** Who reaches the nodes (the load balancer, on HTTP) and whom they reach (the session store). */
  public readonly connections: Connections;
  public readonly role: iam.Role;
  /** Fixed-instances mode: the instances. Auto Scaling mode: empty (the group owns them). */
  public readonly instances: FarmInstance[] = [];
  /** Fixed-instances mode: each instance's target group attachment. */
  public readonly attachments: Lean<lb.TargetGroupAttachment, never>[] = [];
  public readonly instanceIds: pulumi.Output<string>[];
  public readonly autoScalingGroup?: autoscaling.Group;
  /** What a node needs to serve once booted: its access policy and the farm's boot needs. */
  public readonly bootNeeds: Need[];
  /** Whether the boot itself writes the health page (else it comes with the first release). */
  public readonly healthPageAtBoot: boolean;
  private readonly wiring: WebNodesArgs;

  constructor(name: string, args: WebNodesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aspnet-webfarm:index:WebNodes", name, {}, opts);
    const parent = { parent: this };
    const { context } = args;
    const farmName = context.name;
    const nodeTags = withTag(context.tags, FARM_TAG, farmName);
    this.wiring = args;
    this.healthPageAtBoot = healthPageAtBoot(args.codeDeploy);

    this.securityGroup = securityGroup(
      `${name}-sg`,
      context.network.vpcId,
      "aspnet-webfarm web nodes",
      context.tags,
      parent,
    );
    this.connections = new Connections(this.securityGroup, "web", "the web nodes", { port: WEB_PORT, what: "HTTP" });
    const access = pulumi
      .all([context.account, args.machineKey.parameterName, args.sessionStore.nodeSecretArn])
      .apply(([account, keyParameterName, sessionSecretArn]) =>
        webNodeStatements(account, {
          farmName,
          keyParameterName,
          observability: context.observability("web-node"),
          sessionSecretArn,
        }),
      );
    // The policy was named read-key when reading the key was all it allowed: moved, not replaced.
    const { role, profile, policy } = instanceRole(name, access, context.tags, parent, `${name}-read-key`);
    this.role = role;
    const farmNeeds = [
      ...this.connect(),
      { what: "the machine key in SSM, at the version the boot expects", resource: args.machineKey },
      ...context.network.needs,
      ...args.sessionStore.needs,
    ];
    this.bootNeeds = [
      { what: "the node role's access (read the machine key, report the boot, ship logs)", resource: policy },
      ...farmNeeds,
    ];
    const bootAfter = [policy, ...context.bootAfter("web-node"), ...resourcesOf(farmNeeds)];
    const subnetIds = context.network.privateSubnetIds;
    const userData = this.userData();

    if (args.mode === "autoscaling") {
      this.autoScalingGroup = this.autoScaling(name, userData, profile, bootAfter);
    } else {
      for (let i = 0; i < args.count; i++) {
        const node = farmInstance(
          `${name}-${i}`,
          {
            role: "web-node",
            image: context.image("web"),
            instanceType: args.instanceType,
            subnetId: subnetIds[subnetIndexOf(i, subnetIds.length)],
            securityGroupIds: [this.securityGroup.id],
            instanceProfile: profile.name,
            userData,
            tags: nodeTags,
          },
          { parent: this, dependsOn: bootAfter },
        );
        this.instances.push(node);
        this.attachments.push(
          new LeanResource(
            TARGET_GROUP_ATTACHMENT,
            `${name}-${i}`,
            { targetGroupArn: args.loadBalancer.targetGroup.arn, targetId: node.id, port: WEB_PORT },
            [],
            parent,
          ),
        );
      }
    }
    this.instanceIds = this.instances.map((n) => n.id);
    this.registerOutputs({ instanceIds: this.instanceIds });
  }

  /**
   * Who may reach whom, in the farm's scope: the load balancer reaches the nodes on 80, the nodes
   * reach the session store on its port and out through NAT. Nothing else reaches the nodes or the
   * store (the store's own setup excepted). Made once the nodes' group exists, before any node boots.
   */
  private connect(): Need[] {
    const { context, loadBalancer, sessionStore } = this.wiring;
    const balancer = loadBalancer.connections;
    const fromBalancer = this.connections.allowDefaultPortFrom(balancer, context.rules);
    const toStore = sessionStore.connections.allowDefaultPortFrom(this.connections, context.rules);
    const outbound = allowOutbound(`${context.name}-web`, this.securityGroup, context.tags, context.rules.opts);
    return [
      { what: "the load balancer's health checks reaching the nodes (inbound)", resource: fromBalancer.ingress },
      { what: "the load balancer's health checks reaching the nodes (outbound)", resource: fromBalancer.egress },
      { what: "the nodes reaching the session store", resource: toStore.egress },
      { what: "the nodes reaching the session store (its inbound rule)", resource: toStore.ingress },
      ...outbound.map((rule) => ({ what: "the nodes reaching AWS APIs and Windows activation", resource: rule })),
    ];
  }

  /** The nodes' user data: the machine key, the session store, the health page, the release. */
  private userData(): pulumi.Output<string> {
    const { context, machineKey, sessionStore } = this.wiring;
    const hook = this.wiring.mode === "autoscaling" ? launchHookName(context.name) : undefined;
    return pulumi
      .all([machineKey.parameterName, context.boot("web-node", hook), sessionStore.nodeBoot])
      .apply(([keyParameterName, values, session]) =>
        webNodeUserData({
          ...values,
          keyParameterName,
          keyVersion: this.wiring.keyVersion,
          keyValidation: this.wiring.keyValidation,
          session,
          healthCheckPath: this.wiring.healthCheckPath,
          // An Auto Scaling group gets the current release from CodeDeploy itself.
          codeDeploy: this.wiring.codeDeploy,
        }),
      );
  }

  /**
   * Instances mode: each node must serve before `pulumi up` goes on (and before replaced nodes are
   * deleted, at the end of the update). With an application, after `release` installs it. The gates
   * hang under the farm, as they always did.
   */
  awaitServing(release: pulumi.Resource | undefined): void {
    const { context, loadBalancer, sessionStore } = this.wiring;
    const name = `${context.name}-web`;
    this.instances.forEach((node, i) => {
      const gate = new ServingGate(
        `${name}-${i}-serving`,
        {
          region: context.region,
          targetGroupArn: loadBalancer.targetGroup.arn,
          instanceId: node.id,
          instanceArn: node.arn,
          node: `${name}-${i}`,
          bootLogGroup: context.names.logGroups.boot,
          timeoutMinutes: SERVING_TIMEOUT_MINUTES,
        },
        {
          parent: context.parent,
          // The wait for a node starts once what its boot needs of the session store is there.
          dependsOn: [
            this.attachments[i],
            ...(release ? [release] : []),
            ...resourcesOf(sessionStore.needs),
            // Targets of a target group no listener uses are never healthy.
            loadBalancer,
          ],
        },
      );
      declareWait(gate, `node ${i} healthy in the target group`, [
        { what: "the node", resource: node },
        { what: "the node registered in the target group", resource: this.attachments[i] },
        { what: "the listener that forwards to the target group", resource: loadBalancer },
        ...this.bootNeeds,
        release
          ? { what: "the health page, which comes with the release", resource: release }
          : { what: "the health page the boot writes", holds: this.healthPageAtBoot },
      ]);
    });
  }

  private autoScaling(
    name: string,
    userData: pulumi.Output<string>,
    profile: iam.InstanceProfile,
    bootAfter: pulumi.Resource[],
  ): autoscaling.Group {
    const args = this.wiring;
    const { context } = args;
    const image = context.image("web");
    const tags = nameTags(withTag(context.tags, FARM_TAG, context.name), `${name}-node`, "web-node");
    const template = new ec2.LaunchTemplate(
      `${name}-template`,
      {
        imageId: image.imageId,
        instanceType: args.instanceType,
        iamInstanceProfile: { name: profile.name },
        vpcSecurityGroupIds: [this.securityGroup.id],
        metadataOptions: METADATA_OPTIONS,
        blockDeviceMappings: [
          {
            deviceName: ROOT_DEVICE_NAME,
            ebs: { encrypted: "true", volumeType: "gp3", volumeSize: ROOT_VOLUME_GB, deleteOnTermination: "true" },
          },
        ],
        userData: userData.apply((text) => Buffer.from(text, "utf8").toString("base64")),
        updateDefaultVersion: true,
        tagSpecifications: [
          { resourceType: "instance", tags },
          { resourceType: "volume", tags },
        ],
        tags: nameTags(context.tags, `${name}-template`),
      },
      { parent: this, dependsOn: bootAfter, ...imageOptions(image, "imageId") },
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
        role: this.role.id,
        policy: pulumi
          .output(context.account)
          .apply((a) =>
            policyDocument(completeLaunchStatements(autoScalingGroupArn(a, context.names.autoScalingGroup))),
          ),
      },
      { parent: this },
    );
    // Targets of a target group no load balancer uses stay "unused" (Target.NotInUse), never
    // healthy: Elastic Load Balancing API Reference, TargetHealth.
    const servingNeeds = [{ what: "the listener that forwards to the target group", resource: args.loadBalancer }];
    const group = new autoscaling.Group(
      `${name}-group`,
      {
        name: context.names.autoScalingGroup,
        minSize: args.count,
        desiredCapacity: args.count,
        maxSize: args.maxCount,
        vpcZoneIdentifiers: context.network.privateSubnetIds,
        launchTemplate: { id: template.id, version: template.latestVersion.apply(String) },
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
        // Pulumi aws.autoscaling.Group docs, "Waiting for Capacity".
        waitForElbCapacity: args.count,
        waitForCapacityTimeout: CAPACITY_TIMEOUT,
        // A new template version (image, user data, type) rolls the group: new nodes are added and
        // must be healthy before old ones go (100-200% of capacity), and a failed refresh rolls back.
        instanceRefresh: {
          strategy: "Rolling",
          preferences: {
            minHealthyPercentage: 100,
            maxHealthyPercentage: 200,
            instanceWarmup: String(REFRESH_WARMUP_SECONDS),
            autoRollback: true,
          },
        },
        tags: pulumi
          .output(tags)
          .apply((t) => Object.entries(t).map(([key, value]) => ({ key, value, propagateAtLaunch: true }))),
      },
      {
        parent: this,
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
          holds: this.healthPageAtBoot,
        },
        ...this.bootNeeds,
        ...servingNeeds,
      ],
    );
    // The hook as a resource too: a group created before it existed gets it, and a change to the hook
    // (timeout, result) is made here in place, never by replacing the group.
    new autoscaling.LifecycleHook(`${name}-ready`, { autoscalingGroupName: group.name, ...hook }, { parent: this });
    return group;
  }
}
