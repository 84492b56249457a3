// The AWS calls a web node's user data (userData.ts) makes, for the permission proof.
import { AwsCall, Caller, instanceContext, objectRead, secureParameterRead } from "../aws/iam/calls";

const SOURCE = "components/windows/userData.ts";
const SPOT_SOURCE = "components/windows/spotWatch.ts";

/**
 * The machine key read at boot; in instances mode with an application, the install of the last
 * successful release (its deployment group, its deployment, its bundle at that version); on Spot
 * nodes, the interruption watch leaving the farm's target group.
 */
export function webNodeUserDataCalls(
  c: Caller,
  p: {
    keyParameter: string;
    install?: { deploymentGroupArn: string; bundle: { bucket: string; key: string } };
    spotWatch?: { targetGroupArn: string };
  },
): AwsCall[] {
  const calls = secureParameterRead(
    "web-node",
    c,
    p.keyParameter,
    `${SOURCE}: read the machine key`,
    "Get-SSMParameter",
  );
  if (p.install) {
    const source = `${SOURCE}: install the current release`;
    calls.push(
      {
        principal: "web-node",
        action: "codedeploy:GetDeploymentGroup",
        resource: p.install.deploymentGroupArn,
        context: instanceContext(c),
        source,
        cmdlet: "Get-CDDeploymentGroup",
      },
      {
        // GetDeployment is authorized on the deployment's group (Service Authorization Reference).
        principal: "web-node",
        action: "codedeploy:GetDeployment",
        resource: p.install.deploymentGroupArn,
        context: instanceContext(c),
        source,
        cmdlet: "Get-CDDeployment",
      },
      objectRead("web-node", c, { ...p.install.bundle, versioned: true }, source, "Read-S3Object"),
    );
  }
  if (p.spotWatch) calls.push(spotWatchCall(c, p.spotWatch.targetGroupArn));
  return calls;
}

/** The Spot interruption watch: DeregisterTargets on the farm's target group, the node's own id as target. */
export function spotWatchCall(c: Caller, targetGroupArn: string): AwsCall {
  return {
    principal: "web-node",
    action: "elasticloadbalancing:DeregisterTargets",
    resource: targetGroupArn,
    context: instanceContext(c),
    source: `${SPOT_SOURCE}: the Spot interruption watch`,
    cmdlet: "Unregister-ELB2Target",
  };
}
