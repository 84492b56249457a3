// What every Windows instance of the farm shares: private only, IMDSv2, encrypted root volume,
// user data that replaces the instance when it changes (Windows never re-runs it in place).
import type * as ec2 from "@pulumi/aws/ec2";
import * as iam from "@pulumi/aws/iam";
import * as pulumi from "@pulumi/pulumi";
import { imageOptions, MachineImage } from "../image/machineImage";
import { policyDocument, Statement } from "./iam/policies";
import { INSTANCE, Lean, LeanResource } from "./lean";
import { FarmRole, nameTags, Tags } from "./tags";

export const ROOT_VOLUME_GB = 50;

export interface FarmInstanceArgs {
  role: FarmRole;
  image: MachineImage;
  instanceType: string;
  subnetId: pulumi.Input<string>;
  securityGroupIds: pulumi.Input<string>[];
  userData: pulumi.Input<string>;
  instanceProfile?: pulumi.Input<string>;
  /** EC2 termination protection (DisableApiTermination). */
  terminationProtection?: boolean;
  /** A shutdown from inside stops the instance (a one-off job's instance), rather than the default. */
  stopOnShutdown?: boolean;
  tags: Tags;
}

/** The settings an instance and a launch template share, so both node modes boot the same way. */
export const METADATA_OPTIONS = { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 };
export const ROOT_DEVICE_NAME = "/dev/sda1";

/**
 * A farm instance: its id, urn and the outputs the farm and a program around it read (lean.ts: one per
 * web node, so only these are Outputs; `ec2.Instance` declares about 60).
 */
export type FarmInstance = Lean<ec2.Instance, "arn" | "availabilityZone" | "privateDns" | "privateIp">;

export function farmInstance(name: string, args: FarmInstanceArgs, opts: pulumi.CustomResourceOptions): FarmInstance {
  // One value for both tag maps: with the caller's tags an Output, one apply per instance, not two.
  const tags = nameTags(args.tags, name, args.role);
  return new LeanResource(
    INSTANCE,
    name,
    {
      ami: args.image.imageId,
      instanceType: args.instanceType,
      subnetId: args.subnetId,
      vpcSecurityGroupIds: args.securityGroupIds,
      associatePublicIpAddress: false,
      iamInstanceProfile: args.instanceProfile,
      metadataOptions: METADATA_OPTIONS,
      rootBlockDevice: { encrypted: true, volumeType: "gp3", volumeSize: ROOT_VOLUME_GB, deleteOnTermination: true },
      userData: args.userData,
      userDataReplaceOnChange: true,
      // Simplified automatic recovery: after a host failure the instance restarts on new hardware
      // with the same id, private IP and volumes.
      maintenanceOptions: { autoRecovery: "default" },
      disableApiTermination: args.terminationProtection ?? false,
      ...(args.stopOnShutdown ? { instanceInitiatedShutdownBehavior: "stop" } : {}),
      tags,
      volumeTags: tags,
    },
    ["arn", "availabilityZone", "privateDns", "privateIp"],
    pulumi.mergeOptions(opts, { ...imageOptions(args.image), ...typeChangeOptions(args.role) }),
  );
}

/**
 * A web node's new instance type replaces it rather than updating it in place: the provider changes
 * the type by stopping and starting the instance ("Updates to this field will trigger a stop/start of
 * the EC2 instance", @pulumi/aws ec2.Instance.instanceType) and Pulumi updates independent resources
 * in parallel, so every node would stop at once. Replaced create-before-destroy (Pulumi's default:
 * "Pulumi creates new instances of resources before deleting old ones", pulumi.com/docs/iac/concepts/
 * options/deletebeforereplace; replaceOnChanges: .../options/replaceonchanges), each new node passes
 * its serving gate before the old ones are deleted at the end of the update.
 * The state server keeps the in-place stop/start: a new one would lose every session just the same,
 * and `npm run plan:diff` names that as a must-read.
 */
function typeChangeOptions(role: FarmRole): pulumi.CustomResourceOptions {
  return role === "web-node" ? { replaceOnChanges: ["instanceType"] } : {};
}

/** An instance role with exactly the given statements (one inline policy), and its instance profile. */
export function instanceRole(
  name: string,
  statements: pulumi.Input<Statement[]>,
  tags: Tags,
  opts: pulumi.CustomResourceOptions,
  aliasOfPolicy?: string,
): { role: iam.Role; policy: iam.RolePolicy; profile: iam.InstanceProfile } {
  const role = new iam.Role(
    `${name}-role`,
    {
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
      tags: nameTags(tags, `${name}-role`),
    },
    opts,
  );
  const policy = new iam.RolePolicy(
    `${name}-access`,
    {
      role: role.id,
      policy: pulumi.output(statements).apply((s) => policyDocument(s as Statement[])),
    },
    { ...opts, ...(aliasOfPolicy ? { aliases: [{ name: aliasOfPolicy }] } : {}) },
  );
  const profile = new iam.InstanceProfile(
    `${name}-profile`,
    { role: role.name, tags: nameTags(tags, `${name}-profile`) },
    opts,
  );
  return { role, policy, profile };
}
