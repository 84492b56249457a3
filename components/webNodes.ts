// The Windows/IIS web nodes: one security group, an instance role that may read only the farm's
// key parameter, and either `count` separate instances spread over the private subnets (default)
// or a launch template and an Auto Scaling group. Both modes boot from the same image, user data,
// metadata and volume settings.
import * as autoscaling from "@pulumi/aws/autoscaling";
import * as ec2 from "@pulumi/aws/ec2";
import * as iam from "@pulumi/aws/iam";
import * as lb from "@pulumi/aws/lb";
import * as pulumi from "@pulumi/pulumi";
import { NodeMode } from "./args";
import { farmInstance, METADATA_OPTIONS, ROOT_DEVICE_NAME, ROOT_VOLUME_GB } from "./instance";
import { WEB_PORT } from "./loadBalancer";
import { imageOptions, MachineImage } from "./machineImage";
import { securityGroup } from "./securityGroups";
import { FARM_TAG, nameTags, Tags, withTag } from "./tags";

/** Windows boots, installs IIS and reads its key in well under 20 minutes; ELB checks wait that long. */
export const HEALTH_CHECK_GRACE_SECONDS = 1200;

export interface WebNodesArgs {
  mode: NodeMode;
  count: number;
  /** Auto Scaling mode only: the group's maximum. */
  maxCount: number;
  vpcId: pulumi.Input<string>;
  /** Private subnets, one per AZ; node i goes to subnet i mod n, so AZs differ by at most one node. */
  subnetIds: pulumi.Input<string>[];
  image: MachineImage;
  instanceType: string;
  userData: pulumi.Input<string>;
  keyParameterArn: pulumi.Input<string>;
  targetGroupArn: pulumi.Input<string>;
  /** The farm's name, as the nodes' webfarm:farm tag. */
  farmName: string;
  tags: Tags;
}

/** The only AWS permission a node has: read (and decrypt) the one key parameter. */
export function keyReadPolicy(parameterArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Sid: "ReadFarmMachineKey", Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [parameterArn] }],
  });
}

/** Which private subnet node i lives in: round robin, so no AZ holds two more nodes than another. */
export function subnetIndexOf(node: number, subnetCount: number): number {
  return node % subnetCount;
}

export class WebNodes extends pulumi.ComponentResource {
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly role: iam.Role;
  /** Fixed-instances mode: the instances. Auto Scaling mode: empty (the group owns them). */
  public readonly instances: ec2.Instance[] = [];
  public readonly instanceIds: pulumi.Output<string>[];
  public readonly autoScalingGroup?: autoscaling.Group;

  constructor(name: string, args: WebNodesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aspnet-webfarm:index:WebNodes", name, {}, opts);
    const parent = { parent: this };
    const nodeTags = withTag(args.tags, FARM_TAG, args.farmName);

    this.securityGroup = securityGroup(`${name}-sg`, args.vpcId, "aspnet-webfarm web nodes", args.tags, parent);
    this.role = new iam.Role(
      `${name}-role`,
      {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
        tags: nameTags(args.tags, `${name}-role`),
      },
      parent,
    );
    new iam.RolePolicy(
      `${name}-read-key`,
      {
        role: this.role.id,
        policy: pulumi.output(args.keyParameterArn).apply(keyReadPolicy),
      },
      parent,
    );
    const profile = new iam.InstanceProfile(
      `${name}-profile`,
      {
        role: this.role.name,
        tags: nameTags(args.tags, `${name}-profile`),
      },
      parent,
    );

    if (args.mode === "autoscaling") {
      this.autoScalingGroup = this.autoScaling(name, args, profile);
    } else {
      this.instances = [...Array(args.count).keys()].map((i) => {
        const node = farmInstance(
          `${name}-${i}`,
          {
            role: "web-node",
            image: args.image,
            instanceType: args.instanceType,
            subnetId: args.subnetIds[subnetIndexOf(i, args.subnetIds.length)],
            securityGroupIds: [this.securityGroup.id],
            instanceProfile: profile.name,
            userData: args.userData,
            tags: nodeTags,
          },
          parent,
        );
        new lb.TargetGroupAttachment(
          `${name}-${i}`,
          {
            targetGroupArn: args.targetGroupArn,
            targetId: node.id,
            port: WEB_PORT,
          },
          parent,
        );
        return node;
      });
    }
    this.instanceIds = this.instances.map((n) => n.id);
    this.registerOutputs({ instanceIds: this.instanceIds });
  }

  private autoScaling(name: string, args: WebNodesArgs, profile: iam.InstanceProfile): autoscaling.Group {
    const tags = nameTags(withTag(args.tags, FARM_TAG, args.farmName), `${name}-node`, "web-node");
    const template = new ec2.LaunchTemplate(
      `${name}-template`,
      {
        imageId: args.image.imageId,
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
        userData: pulumi.output(args.userData).apply((text) => Buffer.from(text, "utf8").toString("base64")),
        updateDefaultVersion: true,
        tagSpecifications: [
          { resourceType: "instance", tags },
          { resourceType: "volume", tags },
        ],
        tags: nameTags(args.tags, `${name}-template`),
      },
      { parent: this, ...imageOptions(args.image) },
    );

    return new autoscaling.Group(
      `${name}-group`,
      {
        minSize: args.count,
        desiredCapacity: args.count,
        maxSize: args.maxCount,
        vpcZoneIdentifiers: args.subnetIds,
        launchTemplate: { id: template.id, version: template.latestVersion.apply(String) },
        targetGroupArns: [args.targetGroupArn],
        healthCheckType: "ELB",
        healthCheckGracePeriod: HEALTH_CHECK_GRACE_SECONDS,
        // A new template version (image, user data, type) rolls the group, keeping most nodes serving.
        instanceRefresh: {
          strategy: "Rolling",
          preferences: { minHealthyPercentage: 50, instanceWarmup: String(HEALTH_CHECK_GRACE_SECONDS) },
        },
        tags: pulumi
          .output(tags)
          .apply((t) => Object.entries(t).map(([key, value]) => ({ key, value, propagateAtLaunch: true }))),
      },
      { parent: this },
    );
  }
}
