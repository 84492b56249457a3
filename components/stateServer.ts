// The ASP.NET State Service server: one Windows instance in a private subnet. Its security group
// starts with no inbound rule at all; the farm adds the state port from the web nodes' group.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { farmInstance } from "./instance";
import { MachineImage } from "./machineImage";
import { securityGroup } from "./securityGroups";
import { Tags } from "./tags";

export interface StateServerArgs {
  vpcId: pulumi.Input<string>;
  subnetId: pulumi.Input<string>;
  image: MachineImage;
  instanceType: string;
  userData: pulumi.Input<string>;
  /** Refuse to delete or replace it without an explicit step (it holds every user's session). */
  protect: boolean;
  tags: Tags;
}

export class StateServer extends pulumi.ComponentResource {
  public readonly securityGroup: aws.ec2.SecurityGroup;
  public readonly instance: aws.ec2.Instance;
  public readonly privateIp: pulumi.Output<string>;

  constructor(name: string, args: StateServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aspnet-webfarm:index:StateServer", name, {}, opts);
    this.securityGroup = securityGroup(`${name}-sg`, args.vpcId, "aspnet-webfarm state server", args.tags, { parent: this });
    this.instance = farmInstance(name, {
      role: "state-server",
      image: args.image,
      instanceType: args.instanceType,
      subnetId: args.subnetId,
      securityGroupIds: [this.securityGroup.id],
      userData: args.userData,
      tags: args.tags,
    }, { parent: this, protect: args.protect });
    this.privateIp = this.instance.privateIp;
    this.registerOutputs({ privateIp: this.privateIp });
  }
}
