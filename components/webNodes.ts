// The N Windows/IIS web nodes: one security group, an instance role that may read only the farm's
// key parameter, and `count` instances spread over the private subnets, each in the target group.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { farmInstance } from "./instance";
import { WEB_PORT } from "./loadBalancer";
import { MachineImage } from "./machineImage";
import { securityGroup } from "./securityGroups";
import { nameTags, Tags } from "./tags";

export interface WebNodesArgs {
  count: number;
  vpcId: pulumi.Input<string>;
  /** Private subnets, one per AZ; node i goes to subnet i mod n, so AZs differ by at most one node. */
  subnetIds: pulumi.Input<string>[];
  image: MachineImage;
  instanceType: string;
  userData: pulumi.Input<string>;
  keyParameterArn: pulumi.Input<string>;
  targetGroupArn: pulumi.Input<string>;
  tags: Tags;
}

/** The only AWS permission a node has: read (and decrypt) the one key parameter. */
export function keyReadPolicy(parameterArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Sid: "ReadFarmMachineKey", Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [parameterArn] }],
  });
}

export class WebNodes extends pulumi.ComponentResource {
  public readonly securityGroup: aws.ec2.SecurityGroup;
  public readonly role: aws.iam.Role;
  public readonly instances: aws.ec2.Instance[];
  public readonly instanceIds: pulumi.Output<string>[];

  constructor(name: string, args: WebNodesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aspnet-webfarm:index:WebNodes", name, {}, opts);
    const parent = { parent: this };

    this.securityGroup = securityGroup(`${name}-sg`, args.vpcId, "aspnet-webfarm web nodes", args.tags, parent);

    this.role = new aws.iam.Role(`${name}-role`, {
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
      tags: nameTags(args.tags, `${name}-role`),
    }, parent);
    new aws.iam.RolePolicy(`${name}-read-key`, {
      role: this.role.id,
      policy: pulumi.output(args.keyParameterArn).apply(keyReadPolicy),
    }, parent);
    const profile = new aws.iam.InstanceProfile(`${name}-profile`, {
      role: this.role.name,
      tags: nameTags(args.tags, `${name}-profile`),
    }, parent);

    this.instances = [...Array(args.count).keys()].map((i) => {
      const node = farmInstance(`${name}-${i}`, {
        role: "web-node",
        image: args.image,
        instanceType: args.instanceType,
        subnetId: args.subnetIds[i % args.subnetIds.length],
        securityGroupIds: [this.securityGroup.id],
        instanceProfile: profile.name,
        userData: args.userData,
        tags: args.tags,
      }, parent);
      new aws.lb.TargetGroupAttachment(`${name}-${i}`, {
        targetGroupArn: args.targetGroupArn,
        targetId: node.id,
        port: WEB_PORT,
      }, parent);
      return node;
    });
    this.instanceIds = this.instances.map((n) => n.id);
    this.registerOutputs({ instanceIds: this.instanceIds });
  }
}
