// The Windows/IIS web nodes: one security group, an instance role with exactly what a node needs,
// and either `count` separate instances spread over the private subnets (default) or a launch
// template and an Auto Scaling group. Both modes boot from the same image, user data, metadata and
// volume settings. In Auto Scaling mode a node enters service only once its boot says it is ready
// (a launch lifecycle hook it completes), and a refresh keeps every node serving while it adds.
// The nodes assemble their own user data, open their own rules (from the load balancer, to the
// session store, out) and, in instances mode, gate `pulumi up` on each node serving.
import type * as autoscaling from "@pulumi/aws/autoscaling";
import type * as ec2 from "@pulumi/aws/ec2";
import * as iam from "@pulumi/aws/iam";
import type * as lb from "@pulumi/aws/lb";
import * as pulumi from "@pulumi/pulumi";
import { NodeMode } from "../args/args";
import { FarmInstance, farmInstance, instanceRole } from "../aws/instance";
import { Lean, LeanResource, TARGET_GROUP_ATTACHMENT } from "../aws/lean";
import { FarmContext, InstanceObservability } from "../farm/context";
import { FarmLoadBalancer, WEB_PORT } from "../loadBalancer/loadBalancer";
import { MachineKey } from "../machineKey/machineKey";
import { resourcesOf, SessionStore } from "../sessions/contract";
import {
  Account,
  bootStatusStatement,
  observabilityStatements,
  parameterArn,
  readSecretStatement,
  sessionManagerStatement,
  spotWatchStatements,
  Statement,
} from "../aws/iam/policies";
import { allowOutbound, Connections, securityGroup } from "../aws/securityGroups";
import { FARM_TAG, withTag } from "../aws/tags";
import { declareWait, Need } from "../aws/waits";
import { BOOT_TAG } from "../windows/boot";
import { healthPageAtBoot, WebNodeBootValues, webNodeUserData } from "../windows/userData";
import { autoScalingGroup, autoScalingGroupArn, launchHookName, REFRESH_WARMUP_SECONDS } from "./autoScaling";
import { imageRollout } from "./imageRollout";
import { watchImage } from "../image/imageWatch";
import { NodeScaling } from "./scaling";
import { ServingGate, SERVING_TIMEOUT_MINUTES } from "./servingGate";

// Moved to autoScaling.ts with the group; kept here for the modules that import them from the nodes.
export {
  autoScalingGroupArn,
  CAPACITY_TIMEOUT,
  CAPACITY_TIMEOUT_MINUTES,
  HEALTH_CHECK_GRACE_SECONDS,
  LAUNCH_TIMEOUT_SECONDS,
  launchHookName,
  REFRESH_WARMUP_SECONDS,
} from "./autoScaling";

export interface WebNodesArgs extends Partial<Omit<NodeScaling, "count" | "maxCount" | "instanceType">> {
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

/** What a web node may do: read its key, report its boot, ship its logs and metrics, open a session. */
export function webNodeStatements(
  a: Account,
  p: {
    farmName: string;
    keyParameterName: string;
    observability: InstanceObservability;
    sessionSecretArn?: string;
    /** With spot: the farm's target group, which a node leaves on its interruption notice. */
    spotTargetGroupArn?: string;
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
    ...(p.spotTargetGroupArn ? spotWatchStatements(p.spotTargetGroupArn) : []),
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
  /** With image.amiParameter and somewhere to hand new builds to: the rule on them, and the rollout's state machine. */
  public readonly newImages?: pulumi.Output<{ ruleName: string; stateMachineArn?: string }>;
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
      .all([context.account, args.machineKey.parameterName, args.sessionStore.nodeSecretArn, this.spotTargetGroupArn()])
      .apply(([account, keyParameterName, sessionSecretArn, spotTargetGroupArn]) =>
        webNodeStatements(account, {
          farmName,
          keyParameterName,
          observability: context.observability("web-node"),
          sessionSecretArn,
          spotTargetGroupArn,
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
      this.autoScalingGroup = autoScalingGroup(
        name,
        {
          args,
          userData,
          role,
          profile,
          securityGroupId: this.securityGroup.id,
          bootAfter,
          bootNeeds: this.bootNeeds,
          healthPageAtBoot: this.healthPageAtBoot,
        },
        this,
      );
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
    this.newImages = this.watchImage();
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

  /**
   * A FarmImage's new builds (image.amiParameter): announced on the alarm topic and, with
   * image.autoRollout, rolled out by the group's own refresh. Without either there is nothing to
   * hand them to: no rule.
   */
  private watchImage(): WebNodes["newImages"] {
    const { context } = this.wiring;
    const image = context.image("web");
    const rollsItself = image.parameter !== undefined && this.autoScalingGroup !== undefined;
    if (image.announced === undefined || (!rollsItself && context.alarmTopicArn === undefined)) return undefined;
    const name = `${context.name}-web`;
    const rule = watchImage(
      name,
      { parameterName: image.announced, alarmTopicArn: context.alarmTopicArn, tags: context.tags },
      this,
    );
    const rollout =
      rollsItself && image.parameter
        ? imageRollout(
            name,
            {
              parameterName: image.parameter,
              newImage: rule,
              groupName: this.autoScalingGroup!.name,
              groupArn: pulumi
                .output(context.account)
                .apply((a) => autoScalingGroupArn(a, context.names.autoScalingGroup)),
              instanceWarmup: REFRESH_WARMUP_SECONDS,
              account: context.account,
              alarmTopicArn: context.alarmTopicArn,
              tags: context.tags,
            },
            this,
          )
        : undefined;
    return pulumi.output({ ruleName: rule.name, stateMachineArn: rollout?.arn });
  }

  /** With spot (Auto Scaling mode only): the target group a node leaves on its interruption notice. */
  private spotTargetGroupArn(): pulumi.Output<string | undefined> {
    const { mode, spot, loadBalancer } = this.wiring;
    return mode === "autoscaling" && spot ? loadBalancer.targetGroup.arn : pulumi.output(undefined);
  }

  /** The nodes' user data: the machine key, the session store, the health page, the release. */
  private userData(): pulumi.Output<string> {
    const { context, machineKey, sessionStore } = this.wiring;
    const hook = this.wiring.mode === "autoscaling" ? launchHookName(context.name) : undefined;
    return pulumi
      .all([machineKey.parameterName, context.boot("web-node", hook), sessionStore.nodeBoot, this.spotTargetGroupArn()])
      .apply(([keyParameterName, values, session, spotTargetGroupArn]) =>
        webNodeUserData({
          // A Spot node watches for its interruption notice and leaves the target group.
          ...(spotTargetGroupArn ? { spotWatch: { targetGroupArn: spotTargetGroupArn } } : {}),
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
}
