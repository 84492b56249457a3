// The AWS calls the boot script (boot.ts) makes, for the permission proof (components/aws/iam/calls.ts).
import { AwsCall, Caller, instanceArn, instanceContext, Principal, resourceTags } from "../aws/iam/calls";
import { BOOT_TAG } from "./boot";

const SOURCE = "components/windows/boot.ts";

/** Every role's boot: its status tag; a web node in an Auto Scaling group also completes its launch hook. */
export function bootCalls(
  principal: Principal,
  c: Caller,
  launch?: { groupArn: string; groupTags: Record<string, string> },
): AwsCall[] {
  const calls: AwsCall[] = [
    {
      principal,
      action: "ec2:CreateTags",
      resource: instanceArn(c),
      context: {
        ...instanceContext(c),
        ...resourceTags("ec2", c.tags),
        "aws:TagKeys": [BOOT_TAG],
        [`aws:RequestTag/${BOOT_TAG}`]: "ready",
      },
      source: `${SOURCE}: Set-BootStatus`,
      cmdlet: "New-EC2Tag",
    },
  ];
  if (launch) {
    calls.push(
      {
        principal,
        action: "autoscaling:DescribeAutoScalingInstances",
        resource: "*",
        context: instanceContext(c),
        source: `${SOURCE}: Complete-Launch`,
        cmdlet: "Get-ASAutoScalingInstance",
      },
      {
        principal,
        action: "autoscaling:CompleteLifecycleAction",
        resource: launch.groupArn,
        context: { ...instanceContext(c), ...resourceTags("autoscaling", launch.groupTags) },
        source: `${SOURCE}: Complete-Launch`,
        cmdlet: "Complete-ASLifecycleAction",
      },
    );
  }
  return calls;
}
