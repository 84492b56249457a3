// The ASP.NET State Service server: one Windows instance in a private subnet, reachable at a
// stable name (state.<farm>.internal in a private hosted zone of the farm's VPC), recovered onto
// new hardware after a host failure, with alarms. Its security group starts with no inbound rule;
// the web nodes let themselves in on the state port through its connections. store.ts makes it the
// farm's session store.
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as ec2 from "@pulumi/aws/ec2";
import * as route53 from "@pulumi/aws/route53";
import * as pulumi from "@pulumi/pulumi";
import * as iam from "@pulumi/aws/iam";
import { FarmInstance, farmInstance, instanceRole } from "../../aws/instance";
import { Account, bootStatusStatement, observabilityStatements, sessionManagerStatement } from "../../aws/iam/policies";
import { BOOT_TAG } from "../../windows/boot";
import { MachineImage } from "../../image/machineImage";
import { Connections, securityGroup } from "../../aws/securityGroups";
import { nameTags, Tags } from "../../aws/tags";
import { patchingStatements, patchLogGroup, statePatching } from "./patching";

/** Short, so a replaced state server is found again within a minute. */
export const STATE_RECORD_TTL = 60;

/** The private zone and the state server's name in it: known before anything exists. */
export function stateAddress(farmName: string): { zoneName: string; host: string } {
  const zoneName = `${farmName.toLowerCase()}.internal`;
  return { zoneName, host: `state.${zoneName}` };
}

export interface StateServerArgs {
  farmName: string;
  vpcId: pulumi.Input<string>;
  subnetId: pulumi.Input<string>;
  image: MachineImage;
  instanceType: string;
  /** The state service's port: the web nodes connect to it. */
  port: number;
  userData: pulumi.Input<string>;
  region: pulumi.Input<string>;
  account: pulumi.Input<Account>;
  /** Where its CloudWatch agent reads its configuration and ships to. */
  observability: { agentConfigParameter: string; logGroups: string[]; namespace: string };
  /** Resources it must not boot before (its agent configuration). */
  bootAfter: pulumi.Resource[];
  /** Refuse to delete or replace it without an explicit Pulumi step (it holds every user's session). */
  protect: boolean;
  /** EC2 termination protection. */
  terminationProtection: boolean;
  alarmTopicArn?: pulumi.Input<string>;
  /** Patch Manager in a weekly maintenance window (patching.ts); undefined: the kit never patches it. */
  patching?: { schedule: string; timeZone: string; logGroupName: string; retentionDays: number };
  tags: Tags;
}

export class StateServer extends pulumi.ComponentResource {
  public readonly securityGroup: ec2.SecurityGroup;
  /** The web nodes reach it on the state port. */
  public readonly connections: Connections;
  public readonly instance: FarmInstance;
  public readonly privateIp: pulumi.Output<string>;
  /** The name the nodes use; it follows the instance when the instance is replaced. */
  public readonly host: pulumi.Output<string>;
  public readonly zoneId: pulumi.Output<string>;
  public readonly role: iam.Role;
  /** The patch task's output group, when patching. */
  public readonly patchLogGroupName?: pulumi.Output<string>;

  constructor(name: string, args: StateServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aspnet-webfarm:index:StateServer", name, {}, opts);
    const parent = { parent: this };
    const address = stateAddress(args.farmName);

    this.securityGroup = securityGroup(`${name}-sg`, args.vpcId, "aspnet-webfarm state server", args.tags, parent);
    this.connections = new Connections(this.securityGroup, "state", "the state server", {
      port: args.port,
      what: "ASP.NET state service",
    });
    // Its own role: report its boot, ship its logs and counters, open a session. Not the key.
    const access = pulumi
      .output(args.account)
      .apply((a) => [
        bootStatusStatement(a, { key: "Name", value: name }, BOOT_TAG),
        ...observabilityStatements(a, args.observability),
        sessionManagerStatement(),
        ...(args.patching ? patchingStatements(a, args.patching.logGroupName) : []),
      ]);
    const { role, profile, policy } = instanceRole(name, access, args.tags, parent);
    const patchGroup = args.patching
      ? patchLogGroup(name, args.patching.logGroupName, args.patching.retentionDays, args.tags, parent)
      : undefined;
    this.role = role;
    this.instance = farmInstance(
      name,
      {
        role: "state-server",
        image: args.image,
        instanceType: args.instanceType,
        subnetId: args.subnetId,
        securityGroupIds: [this.securityGroup.id],
        userData: args.userData,
        instanceProfile: profile.name,
        terminationProtection: args.terminationProtection,
        tags: args.tags,
      },
      {
        parent: this,
        protect: args.protect,
        dependsOn: [policy, ...args.bootAfter, ...(patchGroup ? [patchGroup] : [])],
      },
    );
    this.privateIp = this.instance.privateIp;

    const zone = new route53.Zone(
      `${name}-zone`,
      {
        name: address.zoneName,
        comment: "aspnet-webfarm: the state server's stable name",
        vpcs: [{ vpcId: args.vpcId }],
        tags: nameTags(args.tags, `${name}-zone`),
      },
      parent,
    );
    const record = new route53.Record(
      `${name}-record`,
      {
        zoneId: zone.zoneId,
        name: address.host,
        type: "A",
        ttl: STATE_RECORD_TTL,
        records: [this.instance.privateIp],
      },
      parent,
    );
    this.host = record.fqdn.apply((fqdn) => (fqdn ? fqdn.replace(/\.$/, "") : address.host));
    this.zoneId = zone.zoneId;

    const actions = args.alarmTopicArn ? [args.alarmTopicArn] : [];
    const dimensions = { InstanceId: this.instance.id };
    // Host failure: EC2 recovers the instance onto new hardware (same id, IP and volumes).
    new cloudwatch.MetricAlarm(
      `${name}-recover`,
      {
        alarmDescription: "aspnet-webfarm state server: system status check failed; recovering onto new hardware",
        namespace: "AWS/EC2",
        metricName: "StatusCheckFailed_System",
        dimensions,
        statistic: "Maximum",
        period: 60,
        evaluationPeriods: 2,
        threshold: 0,
        comparisonOperator: "GreaterThanThreshold",
        // The recover action's ARN is in the region's partition (aws, aws-us-gov, aws-cn).
        alarmActions: [
          pulumi.interpolate`arn:${pulumi.output(args.account).partition}:automate:${args.region}:ec2:recover`,
          ...actions,
        ],
        tags: nameTags(args.tags, `${name}-recover`),
      },
      parent,
    );
    // Instance failure (the OS, the state service's host): recovery cannot help, an operator must.
    new cloudwatch.MetricAlarm(
      `${name}-instance-check`,
      {
        alarmDescription: "aspnet-webfarm state server: instance status check failed (sessions are at risk)",
        namespace: "AWS/EC2",
        metricName: "StatusCheckFailed_Instance",
        dimensions,
        statistic: "Maximum",
        period: 60,
        evaluationPeriods: 3,
        threshold: 0,
        comparisonOperator: "GreaterThanThreshold",
        alarmActions: actions,
        okActions: actions,
        tags: nameTags(args.tags, `${name}-instance-check`),
      },
      parent,
    );

    if (args.patching && patchGroup) {
      statePatching(
        name,
        {
          schedule: args.patching.schedule,
          timeZone: args.patching.timeZone,
          logGroup: patchGroup,
          instanceId: this.instance.id,
          account: args.account,
          tags: args.tags,
        },
        parent,
      );
      this.patchLogGroupName = patchGroup.name;
    }

    this.registerOutputs({ privateIp: this.privateIp, host: this.host });
  }
}
