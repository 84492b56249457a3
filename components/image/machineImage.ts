// Which Windows Server 2022 image the farm's instances boot from.
import * as ssm from "@pulumi/aws/ssm";
import * as pulumi from "@pulumi/pulumi";

/** Amazon's public SSM parameter naming the latest Windows Server 2022 (English, Full) image. */
export const WINDOWS_2022_PARAMETER = "/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base";

export interface MachineImage {
  imageId: pulumi.Output<string>;
  /**
   * True when the stack pinned `amiId`: then a changed id is a deliberate roll. When false, the
   * image was resolved from "latest" and later changes must be ignored on existing instances, or
   * every node would be replaced whenever Amazon publishes a new image.
   */
  pinned: boolean;
  /** The SSM parameter the image is resolved from at each launch (`resolve:ssm:`), when the farm follows one. */
  parameter?: pulumi.Output<string>;
  /** A FarmImage's parameter whose new values (new builds) the farm announces. */
  announced?: pulumi.Output<string>;
}

/**
 * An image that follows an SSM parameter: the launch template keeps `resolve:ssm:<name>` and EC2
 * resolves it at each launch, so a new value changes neither the template nor Pulumi's state: the
 * provider reads the version back without ResolveAlias, which "If false ... the parameter is
 * displayed in the response for imageId" (EC2 API, DescribeLaunchTemplateVersions). Pinned: the
 * string itself never changes. Not for separate instances (aws_instance churns with it:
 * terraform-provider-aws#22912).
 */
export function followedImage(parameterName: pulumi.Input<string>): MachineImage {
  const parameter = pulumi.output(parameterName);
  return { imageId: pulumi.interpolate`resolve:ssm:${parameter}`, pinned: true, parameter, announced: parameter };
}

/**
 * A FarmImage's newest build, read from its parameter at `pulumi up`: pinned, so a new build shows in
 * the preview as the nodes' roll and is taken only then, deliberately. `insecureValue`: the provider
 * marks `value` "sensitive in the pulumi preview output, regardless of `type`" (aws.ssm.getParameter),
 * and an AMI id shown as [secret] would hide what the preview is for; it is a plain String.
 */
export function farmImageAtUp(parameterName: pulumi.Input<string>, opts: pulumi.InvokeOutputOptions): MachineImage {
  const parameter = pulumi.output(parameterName);
  const current = ssm.getParameterOutput({ name: parameter }, opts);
  return { imageId: current.apply((p) => p.insecureValue), pinned: true, announced: parameter };
}

export function windowsServer2022(
  amiId: pulumi.Input<string> | undefined,
  opts: pulumi.InvokeOutputOptions,
): MachineImage {
  if (amiId !== undefined) return { imageId: pulumi.output(amiId), pinned: true };
  const latest = ssm.getParameterOutput({ name: WINDOWS_2022_PARAMETER }, opts);
  return { imageId: latest.apply((p) => p.insecureValue), pinned: false };
}

/**
 * Resource options for a resource that takes this image (see `pinned`): `property` is the name of
 * the image's property on that resource, `ami` on an instance, `imageId` on a launch template.
 */
export function imageOptions(image: MachineImage, property: "ami" | "imageId" = "ami"): pulumi.CustomResourceOptions {
  return image.pinned ? {} : { ignoreChanges: [property] };
}
