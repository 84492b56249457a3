// The calls AWS services make with the kit's service roles, and the image build instance's calls,
// from AWS's documentation; and the deployer's own calls from the dynamic providers (listed for
// docs/permissions.md: the deployer's credentials are the user's, not the kit's to grant).
import { AwsCall, Caller, instanceArn, instanceContext, resourceTags, Where } from "./calls";
import { sessionManagerCalls } from "./agentCalls";

const CODEDEPLOY_ROLE =
  "https://docs.aws.amazon.com/codedeploy/latest/userguide/getting-started-create-service-role.html";
const IMAGE_BUILDER = "https://docs.aws.amazon.com/imagebuilder/latest/userguide/image-builder-setting-up.html";

/**
 * CodeDeploy's service role: tag and group discovery, the target group's traffic control, the
 * rollback alarm; with an Auto Scaling group on a launch template, launching and tagging instances
 * and passing the nodes' role (the page's note).
 */
export function codeDeployServiceCalls(
  w: Where,
  p: {
    targetGroupArn: string;
    autoScaling?: {
      groupArn: string;
      groupTags: Record<string, string>;
      nodeRoleArn: string;
      launchTemplateId: string;
    };
  },
): AwsCall[] {
  const call = (action: string, resource: string, context: Record<string, string | string[]> = {}): AwsCall => ({
    principal: "codedeploy",
    action,
    resource,
    // No aws:CalledVia: a service acting with its own service role carries none (IAM user guide,
    // "AWS global condition context keys": aws:CalledVia).
    context: { "aws:SecureTransport": "true", ...context },
    source: CODEDEPLOY_ROLE,
  });
  const ec2 = `arn:${w.partition}:ec2:${w.region}`;
  const calls = [
    call("tag:GetResources", "*"),
    call("ec2:DescribeInstances", "*"),
    call("cloudwatch:DescribeAlarms", "*"),
    call("elasticloadbalancing:DescribeTargetHealth", "*"),
    call("elasticloadbalancing:DeregisterTargets", p.targetGroupArn),
    call("elasticloadbalancing:RegisterTargets", p.targetGroupArn),
  ];
  const a = p.autoScaling;
  if (a) {
    const groupTags = resourceTags("autoscaling", a.groupTags);
    const launch = { "ec2:LaunchTemplate": `${ec2}:${w.accountId}:launch-template/${a.launchTemplateId}` };
    calls.push(
      call("autoscaling:DescribeAutoScalingGroups", "*"),
      call("autoscaling:PutLifecycleHook", a.groupArn, groupTags),
      call("autoscaling:CompleteLifecycleAction", a.groupArn, groupTags),
      // The termination hook (terminationHookEnabled): CodeDeploy records heartbeats on it (every 5 min)
      // while a termination deployment runs, then completes it (CodeDeploy user guide,
      // "Integrating CodeDeploy with Amazon EC2 Auto Scaling").
      call("autoscaling:RecordLifecycleActionHeartbeat", a.groupArn, groupTags),
      call("ec2:RunInstances", `${ec2}:${w.accountId}:instance/*`, launch),
      call("ec2:RunInstances", `${ec2}::image/ami-0fa4a1b2c3d4e5f60`, launch),
      // An EBS-backed AMI's root volume is made from its snapshot, which RunInstances authorizes
      // (Service Authorization Reference, EC2 RunInstances: snapshot); its ARN has no account.
      call("ec2:RunInstances", `${ec2}::snapshot/snap-0fa4a1b2c3d4e5f60`, launch),
      call("ec2:RunInstances", `${ec2}:${w.accountId}:launch-template/${a.launchTemplateId}`, launch),
      call("ec2:RunInstances", `${ec2}:${w.accountId}:subnet/subnet-0c00000000000000c`, launch),
      call("ec2:RunInstances", `${ec2}:${w.accountId}:security-group/sg-0123456789abcdef0`, launch),
      call("ec2:RunInstances", `${ec2}:${w.accountId}:network-interface/*`, launch),
      call("ec2:RunInstances", `${ec2}:${w.accountId}:volume/*`, launch),
      ...["instance", "volume"].map((t) =>
        call("ec2:CreateTags", `${ec2}:${w.accountId}:${t}/*`, {
          "ec2:CreateAction": "RunInstances",
          "aws:TagKeys": Object.keys(a.groupTags),
        }),
      ),
      call("iam:PassRole", a.nodeRoleArn, { "iam:PassedToService": "ec2.amazonaws.com" }),
    );
  }
  return calls;
}

/**
 * The image build instance (Image Builder drives it through Systems Manager): the agent's
 * registration and associations (the enhanced metadata's inventory among them), the components,
 * AWSTOE's downloads, its log group, and Image Builder's decryption of its own components.
 */
export function imageBuildCalls(c: Caller, p: { componentArns: string[] }): AwsCall[] {
  const call = (action: string, resource: string, context: Record<string, string | string[]> = {}): AwsCall => ({
    principal: "image-build",
    action,
    resource,
    context: { ...instanceContext(c), ...context },
    source: IMAGE_BUILDER,
  });
  // AWS-owned documents' ARNs have an empty account field, which the evaluator cannot match to a
  // resource type; the statement allows "*" either way, so the account's form stands in.
  const ssm = `arn:${c.partition}:ssm:${c.region}:${c.accountId}`;
  return [
    ...sessionManagerCalls("image-build", c, true),
    call("ssm:ListInstanceAssociations", instanceArn(c)),
    call("ssm:DescribeAssociation", `${ssm}:document/AWS-GatherSoftwareInventory`),
    call("ssm:ListAssociations", "*"),
    call("ssm:GetDocument", `${ssm}:document/AWS-GatherSoftwareInventory`),
    call("ssm:DescribeDocument", `${ssm}:document/AWS-GatherSoftwareInventory`),
    call("ssm:UpdateAssociationStatus", `${ssm}:document/AWS-GatherSoftwareInventory`),
    call("ssm:UpdateInstanceAssociationStatus", instanceArn(c)),
    {
      ...call("ssm:PutInventory", "*"),
      source:
        "https://docs.aws.amazon.com/imagebuilder/latest/userguide/how-image-builder-works.html (enhanced image metadata)",
    },
    ...p.componentArns.map((arn) => call("imagebuilder:GetComponent", arn)),
    call(
      "s3:GetObject",
      `arn:${c.partition}:s3:::ec2imagebuilder-toe-${c.region}-prod/latest/windows/amd64/awstoe.exe`,
    ),
    ...["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"].map((action) =>
      call(
        action,
        `arn:${c.partition}:logs:${c.region}:${c.accountId}:log-group:/aws/imagebuilder/aspnet-webfarm` +
          (action === "logs:CreateLogGroup" ? "" : `:log-stream:${c.instanceId}`),
      ),
    ),
    // Image Builder sets aws:CalledVia here: AWS's EC2InstanceProfileForImageBuilder allows this
    // decryption only with it (the policy DecryptImageBuilderComponents copies).
    call("kms:Decrypt", `arn:${c.partition}:kms:${c.region}:${c.accountId}:key/00000000-0000-4000-8000-00000000001b`, {
      "aws:CalledVia": ["imagebuilder.amazonaws.com"],
      "kms:EncryptionContextKeys": ["aws:imagebuilder:arn"],
      "kms:EncryptionContext:aws:imagebuilder:arn": p.componentArns[0] ?? "",
    }),
  ];
}

/**
 * The automatic image rollout (image.amiParameter, components/nodes/imageRollout.ts): EventBridge
 * starts the state machine with the trigger role (EventBridge user guide, "Step Functions state
 * machine target": "The role needs states:StartExecution on the state machine"), and the state
 * machine's one task starts an instance refresh of the farm's group with its own role (Step
 * Functions developer guide, AWS SDK integrations: the task calls the API with the execution role).
 */
export function imageRolloutCalls(p: { groupArn: string; stateMachineArn: string; parameterArn: string }): AwsCall[] {
  const context = { "aws:SecureTransport": "true" };
  return [
    {
      principal: "image-rollout-trigger",
      action: "states:StartExecution",
      resource: p.stateMachineArn,
      context,
      source: "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-custom-bus-target-sfn.html (delivery role)",
    },
    {
      principal: "image-rollout",
      action: "autoscaling:StartInstanceRefresh",
      resource: p.groupArn,
      context,
      source: "https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html",
    },
    {
      principal: "image-rollout",
      action: "ssm:GetParameters",
      resource: p.parameterArn,
      context,
      // "Anyone who uses the launch template also needs the ssm:GetParameters permission": whether
      // StartInstanceRefresh validates the parameter with the caller's rights is not documented.
      source: "https://docs.aws.amazon.com/autoscaling/ec2/userguide/using-systems-manager-parameters.html",
    },
  ];
}

/**
 * What the deployer's credentials call for a farm that takes a FarmImage's parameter
 * (image.amiParameter): the program reads it at `pulumi up` (aws.ssm.getParameter, the provider's
 * GetParameter); with image.autoRollout the launch template names it instead, and "Anyone who uses
 * the launch template also needs the ssm:GetParameters permission in order for the parameter value
 * to be validated" (EC2 Auto Scaling user guide, Systems Manager parameters instead of AMI IDs).
 */
export function imageParameterDeployerCalls(parameterArn: string, autoRollout: boolean): AwsCall[] {
  const context = { "aws:SecureTransport": "true" };
  return autoRollout
    ? [
        {
          principal: "deployer",
          action: "ssm:GetParameters",
          resource: parameterArn,
          context,
          source: "https://docs.aws.amazon.com/autoscaling/ec2/userguide/using-systems-manager-parameters.html",
        },
      ]
    : [
        {
          principal: "deployer",
          action: "ssm:GetParameter",
          resource: parameterArn,
          context,
          source: "components/image/machineImage.ts: farmImageAtUp (aws.ssm.getParameter)",
        },
      ];
}

/** What the deployer's credentials call from the dynamic providers (release.ts, servingGate.ts). */
export function deployerCalls(p: {
  deploymentGroupArn: string;
  /** The farm's CodeDeploy application. */
  applicationArn: string;
  /** The deployment group's deployment configuration (the farm's own, or CodeDeployDefault.OneAtATime). */
  deploymentConfigArn: string;
  targetGroupArn: string;
  instanceArn: string;
}): AwsCall[] {
  const call = (action: string, resource: string, source: string): AwsCall => ({
    principal: "deployer",
    action,
    resource,
    context: { "aws:SecureTransport": "true" },
    source,
  });
  return [
    call(
      "codedeploy:CreateDeployment",
      p.deploymentGroupArn,
      "components/releases/release.ts: CreateDeploymentCommand",
    ),
    // Unverified: no AWS page says CreateDeployment itself checks these three; AWS's CodePipeline
    // "AWS CodeDeploy deploy action reference" (service role permissions) and aws-cdk-lib's
    // CodeDeployServerDeployAction grant them beside CreateDeployment, and create-deployment with an
    // S3 revision is reported to fail without RegisterApplicationRevision. Scoped to the farm's.
    ...["codedeploy:RegisterApplicationRevision", "codedeploy:GetApplicationRevision"].map((a) =>
      call(
        a,
        p.applicationArn,
        "components/releases/release.ts: CreateDeploymentCommand (the S3 revision; unverified)",
      ),
    ),
    call(
      "codedeploy:GetDeploymentConfig",
      p.deploymentConfigArn,
      "components/releases/release.ts: CreateDeploymentCommand (the group's configuration; unverified)",
    ),
    call("codedeploy:GetDeployment", p.deploymentGroupArn, "components/releases/release.ts: GetDeploymentCommand"),
    // Two actions without resource-level permissions (Service Authorization Reference: "*" only).
    call("codedeploy:ListDeploymentTargets", "*", "components/releases/release.ts: ListDeploymentTargetsCommand"),
    call(
      "codedeploy:BatchGetDeploymentTargets",
      "*",
      "components/releases/release.ts: BatchGetDeploymentTargetsCommand",
    ),
    call(
      "elasticloadbalancing:DescribeTargetHealth",
      "*",
      "components/nodes/servingGate.ts: DescribeTargetHealthCommand",
    ),
    call("tag:GetResources", "*", "components/nodes/servingGate.ts: GetResourcesCommand (the node's boot tag)"),
  ];
}
