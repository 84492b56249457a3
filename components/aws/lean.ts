// The resources a farm makes once per node, registered with only the outputs the farm reads.
// @pulumi/aws's classes declare every output property of their type (an ec2.Instance about 60), and
// the SDK makes an Output with its promises for each one at construction: at 200 nodes that was
// about half of evaluating the program, most of it garbage collection. The engine gets the same
// registration either way (type, name, inputs, the provider package's version, the class's aliases);
// test/aws/lean.test.ts compares the two.
import * as pulumi from "@pulumi/pulumi";
import type * as ec2 from "@pulumi/aws/ec2";
import type * as lb from "@pulumi/aws/lb";

/** An @pulumi/aws resource type: its token, the aliases its class adds, and (types only) its class and args. */
export interface AwsType<R, A> {
  readonly token: string;
  /** Earlier type tokens the provider's class declares as aliases, so state under them is adopted. */
  readonly aliasTypes?: readonly string[];
  /** Never set: carries the class and argument types. */
  readonly classAndArgs?: [R, A];
}

export const INSTANCE: AwsType<ec2.Instance, ec2.InstanceArgs> = { token: "aws:ec2/instance:Instance" };
export const TARGET_GROUP_ATTACHMENT: AwsType<lb.TargetGroupAttachment, lb.TargetGroupAttachmentArgs> = {
  token: "aws:lb/targetGroupAttachment:TargetGroupAttachment",
  aliasTypes: ["aws:elasticloadbalancingv2/targetGroupAttachment:TargetGroupAttachment"],
};

/** A registered resource with the outputs asked for, typed as the provider's class types them. */
export type Lean<R, K extends keyof R> = pulumi.CustomResource & Pick<R, K>;

// The provider's plugin version, as its classes pass it (`utilities.resourceOptsDefaults()`), so the
// engine uses the same provider plugin for these resources as for the rest of the program.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const AWS_VERSION: string = require("@pulumi/aws/package.json").version;

/** The props a lean resource registers: its inputs, and a placeholder for each output asked for. */
function leanProps(args: object, outputs: readonly string[]): pulumi.Inputs {
  const props: pulumi.Inputs = { ...args };
  for (const key of outputs) if (!(key in props)) props[key] = undefined;
  return props;
}

/** As the class: the caller's options win over the version; the class's aliases follow the caller's. */
function leanOptions(
  type: AwsType<unknown, unknown>,
  opts: pulumi.CustomResourceOptions,
): pulumi.CustomResourceOptions {
  const options = pulumi.mergeOptions({ version: AWS_VERSION }, opts);
  return type.aliasTypes
    ? pulumi.mergeOptions(options, { aliases: type.aliasTypes.map((t) => ({ type: t })) })
    : options;
}

class LeanResourceImpl extends pulumi.CustomResource {
  constructor(
    type: AwsType<unknown, unknown>,
    name: string,
    args: object,
    outputs: readonly string[],
    opts: pulumi.CustomResourceOptions,
  ) {
    // Constructed by the caller itself, as a provider class is: the SDK takes the engine's source
    // position from the stack frame above the resource's own constructor.
    super(type.token, name, leanProps(args, outputs), leanOptions(type, opts));
  }
}

/**
 * Registers a resource of `type` as its class would, with Outputs for `outputs` (and id, urn) only:
 * `new LeanResource(INSTANCE, name, args, ["privateIp"], opts)`.
 */
export const LeanResource = LeanResourceImpl as unknown as new <R, A extends object, K extends keyof R & string>(
  type: AwsType<R, A>,
  name: string,
  args: A,
  outputs: readonly K[],
  opts: pulumi.CustomResourceOptions,
) => Lean<R, K>;
